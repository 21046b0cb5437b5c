package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Discarding under real memory pressure, reported by Linux PSI.
 *
 * <p>The main test builds the pressure for real: a child cgroup with a small memory limit, a shell
 * in it that streams a file larger than the limit through the page cache (the kernel must reclaim
 * and refault: memory stalls, accounted in the cgroup's {@code memory.pressure}), and a child JVM
 * whose purger watches that cgroup's {@code memory.pressure} through {@code zxmem.psi.file} with a
 * low trigger. Its unlocked discardable VMO must get discarded, and only once the pressure starts.
 * It needs root, a writable cgroup v2 hierarchy (for the PSI file) and a memory controller (v2, or
 * v1 next to it as on this machine); without them it is skipped and says which one is missing.
 */
@Tag("cgroup")
class PressureTest {
    private static final long VMO_BYTES = 4 << 20;
    /** 10 ms of stall in a 2 s window: the lowest useful bar, with the window unprivileged processes may use. */
    private static final String TRIGGER = "some 10000 2000000";

    /** A line of /proc/self/mountinfo: mount point, file system type, super options. */
    private record Mount(Path point, String type, String options) {}

    private static List<Mount> mounts() throws IOException {
        List<Mount> l = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            String[] a = halves[0].split(" ");
            String[] b = halves[1].split(" ");
            l.add(new Mount(Path.of(a[4]), b[0], b.length > 2 ? b[2] : ""));
        }
        return l;
    }

    /** This process's cgroup path in the hierarchy whose controller list matches {@code controller} ("" = v2). */
    private static Optional<String> ownCgroup(String controller) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (controller.isEmpty() ? f[0].equals("0") && f[1].isEmpty() : List.of(f[1].split(",")).contains(controller)) {
                return Optional.of(f[2]);
            }
        }
        return Optional.empty();
    }

    private static Path under(Path mount, String cgroup, String leaf) {
        return mount.resolve(cgroup.substring(1)).resolve(leaf);
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }

    /** The cgroups of one test run: v2 for the PSI file, and where the memory limit is set. */
    private static final class Cgroups implements AutoCloseable {
        Path v2;
        Path v1Memory;

        Path pressureFile() {
            return v2.resolve("memory.pressure");
        }

        /** Shell commands that move the shell itself into both groups. */
        String enter() {
            return "echo $$ > '" + v2.resolve("cgroup.procs") + "'"
                    + (v1Memory != null ? " && echo $$ > '" + v1Memory.resolve("cgroup.procs") + "'" : "");
        }

        @Override
        public void close() throws Exception {
            for (Path p : new Path[] {v1Memory, v2}) {
                if (p == null || !Files.exists(p)) {
                    continue;
                }
                // The group can be removed once its processes are gone, which takes the kernel a moment.
                for (int i = 0; i < 200; i++) {
                    try {
                        Files.delete(p);
                        break;
                    } catch (IOException busy) {
                        Thread.sleep(50);
                    }
                }
            }
        }
    }

    /** Makes the cgroups with a memory limit of {@code limit}, or aborts the test naming what this machine lacks. */
    private static Cgroups makeCgroups(String limit) throws IOException {
        assumeTrue(Files.exists(Path.of("/proc/pressure/memory")), "the kernel has no PSI (/proc/pressure/memory is missing)");
        List<Mount> mounts = mounts();
        Mount v2 = mounts.stream().filter(m -> m.type().equals("cgroup2")).findFirst()
                .orElse(null);
        if (v2 == null) {
            abort("no cgroup v2 hierarchy is mounted (it holds the per-cgroup memory.pressure files)");
        }
        Optional<String> own2 = ownCgroup("");
        if (own2.isEmpty()) {
            abort("this process has no cgroup v2 path in /proc/self/cgroup");
        }
        String name = "zxmem-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
        Cgroups g = new Cgroups();
        Path parent2 = under(v2.point(), own2.get(), "");
        g.v2 = parent2.resolve(name);
        try {
            Files.createDirectory(g.v2);
        } catch (IOException e) {
            abort("cannot create a cgroup v2 child under " + parent2 + " (" + e + "): not root, or a read-only cgroup mount");
        }
        try {
            if (!Files.exists(g.pressureFile())) {
                g.close();
                abort("cgroup v2 has no memory.pressure in " + g.v2 + " (kernel PSI disabled for cgroups)");
            }
            String controllers2 = Files.readString(parent2.resolve("cgroup.controllers"));
            if (List.of(controllers2.trim().split(" ")).contains("memory")) {
                String subtree = Files.readString(parent2.resolve("cgroup.subtree_control"));
                if (!subtree.contains("memory")) {
                    write(parent2.resolve("cgroup.subtree_control"), "+memory");
                }
                write(g.v2.resolve("memory.max"), limit);
                return g;
            }
            Mount v1 = mounts.stream().filter(m -> m.type().equals("cgroup") && List.of(m.options().split(",")).contains("memory"))
                    .findFirst().orElse(null);
            Optional<String> own1 = ownCgroup("memory");
            if (v1 == null || own1.isEmpty()) {
                g.close();
                abort("no memory controller: cgroup v2 at " + v2.point() + " has controllers [" + controllers2.trim()
                        + "] and no cgroup v1 memory hierarchy is mounted");
            }
            g.v1Memory = under(v1.point(), own1.get(), name);
            Files.createDirectory(g.v1Memory);
            write(g.v1Memory.resolve("memory.limit_in_bytes"), limit);
            return g;
        } catch (IOException | RuntimeException e) {
            try {
                g.close();
            } catch (Exception ignored) {
                // best effort
            }
            if (e instanceof IOException) {
                abort("cannot set a memory limit on a child cgroup: " + e);
            }
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Timeout(300)
    void memoryPressureInACgroupDiscardsTheUnlockedVmo() throws Exception {
        Path data = Path.of("target", "psi-" + ProcessHandle.current().pid() + ".bin").toAbsolutePath();
        try (Cgroups g = makeCgroups("16M")) {
            runPressure(g, data);
        } finally {
            Files.deleteIfExists(data);
        }
    }

    private static void runPressure(Cgroups g, Path data) throws Exception {
        ChildJvm child = null;
        ChildJvm load = null;
        try {
            child = ChildJvm.start(ChildJvm.command(List.of("--enable-native-access=io.zxmem.linux",
                    "-Dzxmem.psi.file=" + g.pressureFile(), "-Dzxmem.psi.trigger=" + TRIGGER),
                    "psi", Long.toString(VMO_BYTES), "120"));
            String ready = child.awaitLine("READY", Duration.ofSeconds(60));
            assertNotNull(ready, child.output());
            assertTrue(ready.contains("committed=" + VMO_BYTES), ready);
            assertTrue(ready.contains("monitor=watching " + g.pressureFile()), ready);
            // No pressure yet: nothing is discarded.
            Thread.sleep(1500);
            assertFalse(child.output().contains("EVENTS"), child.output());
            // The load: a file 6x the group's limit, written then read over and over inside the group.
            // It stops by itself after 120 s should this JVM die before killing it.
            String script = g.enter() + " && head -c 96M /dev/zero > '" + data + "'"
                    + " && end=$(( $(date +%s) + 120 )) && while [ $(date +%s) -lt $end ]; do cat '" + data
                    + "' > /dev/null; done";
            load = ChildJvm.start(List.of("sh", "-c", script));
            ChildJvm.Result r = child.await(Duration.ofSeconds(150));
            String out = r.output();
            System.out.println("child JVM:\n" + out + "pressure file: " + Files.readString(g.pressureFile()));
            assertEquals(0, r.exit(), out + "\nload: " + load.output() + "\npressure: " + Files.readString(g.pressureFile()));
            String events = out.lines().filter(l -> l.startsWith("EVENTS ")).findFirst().orElse("");
            assertTrue(events.contains("committed=0"), out + "\npressure: " + Files.readString(g.pressureFile()));
            long pressureEvents = Long.parseLong(events.split(" ")[1]);
            assertTrue(pressureEvents >= 1, events);
            assertTrue(out.contains("DISCARDED lock=" + new LockState(0, VMO_BYTES, 0, VMO_BYTES) + " zero=true"), out);
        } finally {
            // Before the groups are removed: a group with processes in it cannot be.
            if (load != null) {
                load.kill();
            }
            if (child != null) {
                child.kill();
            }
        }
    }

    /**
     * Committing shmem past a memory limit does not fail in the kernel: the OOM killer ends the
     * process. zxmem checks first, so a JVM in a 256 MiB cgroup that asks to COMMIT 512 MiB gets
     * NO_MEMORY and lives on, and a commit that fits still works.
     */
    @Test
    @Timeout(300)
    void commitBeyondTheCgroupLimitIsNoMemoryNotAnOomKill() throws Exception {
        try (Cgroups g = makeCgroups("256M")) {
            List<String> cmd = new ArrayList<>(List.of("sh", "-c", g.enter() + " && exec \"$@\"", "sh"));
            cmd.addAll(ChildJvm.command(List.of("--enable-native-access=io.zxmem.linux", "-Xmx64m"),
                    "commit", Long.toString(512L << 20), Long.toString(32L << 20)));
            ChildJvm.Result r = ChildJvm.start(cmd).await(Duration.ofSeconds(120));
            String out = r.output();
            System.out.println("child JVM in a 256 MiB cgroup:\n" + out);
            assertEquals(0, r.exit(), "the child must not be OOM-killed (exit 137):\n" + out);
            assertTrue(out.contains("COMMIT " + (512L << 20) + " ERR_NO_MEMORY committed=0"), out);
            assertTrue(out.contains("COMMIT " + (32L << 20) + " OK committed=" + (32L << 20)), out);
        }
    }

    /** In this JVM the purger watches the system-wide PSI file, unless the property names another. */
    @Test
    void thePurgerWatchesTheSystemPressureFile() throws Exception {
        assumeTrue(System.getProperty("zxmem.psi.file") == null, "zxmem.psi.file is set for this run");
        Path psi = Path.of("/proc/pressure/memory");
        assumeTrue(Files.exists(psi), "the kernel has no PSI (/proc/pressure/memory is missing)");
        try (Vmo v = Vmo.create(TestSupport.P, Vmo.DISCARDABLE)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (Zx.pressureMonitor().equals("not started") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            String state = Zx.pressureMonitor();
            if (Files.isWritable(psi)) {
                assertTrue(state.startsWith("watching " + psi + " (some 300000 2000000)"), state);
            } else {
                assertTrue(state.startsWith("no pressure monitor"), state);
            }
        }
    }
}
