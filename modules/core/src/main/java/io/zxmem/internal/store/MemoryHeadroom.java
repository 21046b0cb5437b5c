package io.zxmem.internal.store;

import io.zxmem.Status;
import io.zxmem.internal.Ranges;
import io.zxmem.spi.PageStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How much more memory this process may commit before the kernel's OOM killer steps in: the
 * smaller of the machine's {@code MemAvailable} and the room left under every memory limit of the
 * cgroups this process is in (v2 {@code memory.max}, v1 {@code memory.limit_in_bytes}), counting
 * their reclaimable page cache as room.
 *
 * <p>Why it exists: committing shmem pages ({@code fallocate} on a memfd) never fails with ENOMEM;
 * past the limit the kernel kills a process instead, this JVM most likely. Zircon answers a COMMIT
 * it cannot satisfy with NO_MEMORY, so large commits are checked against this first.
 */
public final class MemoryHeadroom {
    /** Each limited cgroup level: its limit file, its usage file and its memory.stat. */
    private record Level(Path limit, Path usage, Path stat, String activeFile, String inactiveFile) {}

    /** Commits of at least this many bytes are checked against the memory left ({@link #checkCommit}). */
    static final long CHECKED_COMMIT = 16L << 20;

    private static volatile List<Level> levels;

    private MemoryHeadroom() {}

    /** What a store already holds: its data extents, as {@code PageStore.forEachData} reports them. */
    @FunctionalInterface
    interface Data {
        void forEachData(long offset, long length, PageStore.Extents action);
    }

    /**
     * Shmem pages never fail to allocate with ENOMEM: past the memory of the machine or of the
     * cgroup, the kernel kills a process instead (this JVM, most likely). So a large COMMIT first
     * counts the holes it would fill and, as Zircon does, fails with NO_MEMORY when they do not fit.
     * Commits below {@link #CHECKED_COMMIT} pass unchecked.
     *
     * @throws io.zxmem.ZxException NO_MEMORY when committing the holes of the range would not fit
     */
    static void checkCommit(long offset, long length, Data data) {
        if (Long.compareUnsigned(length, CHECKED_COMMIT) < 0) {
            return;
        }
        long[] allocated = {0};
        data.forEachData(offset, length, (off, len) -> allocated[0] += len);
        long needed = length - allocated[0];
        long room = bytes();
        if (Long.compareUnsigned(needed, room) > 0) {
            throw Ranges.fail(Status.ERR_NO_MEMORY, "vmo.op_range(COMMIT, offset=" + Ranges.hex(offset) + ", size="
                    + Ranges.hex(length) + ")", "needs " + Ranges.hex(needed) + " more bytes but only " + Ranges.hex(room)
                    + " are left to this process (MemAvailable and cgroup memory limits)");
        }
    }

    /** @return bytes that can still be committed, {@code Long.MAX_VALUE} when nothing is known */
    public static long bytes() {
        long room = memAvailable();
        for (Level l : levels()) {
            room = Math.min(room, levelRoom(l));
        }
        return room;
    }

    private static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux-like: no estimate
        }
        return Long.MAX_VALUE;
    }

    private static long levelRoom(Level l) {
        try {
            String limit = Files.readString(l.limit()).trim();
            if (limit.equals("max")) {
                return Long.MAX_VALUE;
            }
            long max = Long.parseLong(limit);
            long used = Long.parseLong(Files.readString(l.usage()).trim());
            long reclaimable = 0;
            for (String line : Files.readAllLines(l.stat())) {
                String[] f = line.split(" ");
                if (f.length == 2 && (f[0].equals(l.activeFile()) || f[0].equals(l.inactiveFile()))) {
                    reclaimable += Long.parseLong(f[1]);
                }
            }
            return Math.max(0, max - used) + reclaimable;
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private static List<Level> levels() {
        List<Level> l = levels;
        if (l == null) {
            l = find();
            levels = l;
        }
        return l;
    }

    /** Walks from this process's cgroup up to the root of each hierarchy that has a memory controller. */
    private static List<Level> find() {
        List<Level> out = new ArrayList<>();
        try {
            List<String[]> mounts = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] halves = line.split(" - ", 2);
                String[] b = halves[1].split(" ");
                mounts.add(new String[] {halves[0].split(" ")[4], b[0], b.length > 2 ? b[2] : ""});
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] f = line.split(":", 3);
                boolean v2 = f[0].equals("0") && f[1].isEmpty();
                boolean v1 = List.of(f[1].split(",")).contains("memory");
                if (!v1 && !v2) {
                    continue;
                }
                for (String[] m : mounts) {
                    boolean match = v2 ? m[1].equals("cgroup2") : m[1].equals("cgroup") && List.of(m[2].split(",")).contains("memory");
                    if (!match) {
                        continue;
                    }
                    Path root = Path.of(m[0]);
                    for (Path dir = root.resolve(f[2].substring(1)); dir != null && dir.startsWith(root); dir = dir.getParent()) {
                        Level lv = v2
                                ? new Level(dir.resolve("memory.max"), dir.resolve("memory.current"), dir.resolve("memory.stat"),
                                        "active_file", "inactive_file")
                                : new Level(dir.resolve("memory.limit_in_bytes"), dir.resolve("memory.usage_in_bytes"),
                                        dir.resolve("memory.stat"), "total_active_file", "total_inactive_file");
                        if (Files.isReadable(lv.limit()) && Files.isReadable(lv.usage())) {
                            out.add(lv);
                        }
                    }
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no cgroup information: MemAvailable alone
        }
        return List.copyOf(out);
    }
}
