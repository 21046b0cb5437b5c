package io.zxmem.testing;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What this process holds that a zxmem test could leak, at one moment: live VMO objects (by koid, from
 * {@code Zx.inspect()}), open file descriptors (by number, with their targets), mappings of
 * descriptor-backed memory that zxmem makes ({@code /proc/self/maps} lines of memfds, anonymous
 * inodes and device files), and zxmem threads, Java ones by name and native ones (the userfaultfd
 * handler) from {@code /proc/self/task/N/comm}.
 *
 * <p>Anonymous private mappings are not compared: the JVM makes and drops them all the time (heap,
 * code cache, thread stacks, malloc arenas), and one of zxmem's looks like any other. A leaked VMO
 * mapping shows as its memfd line.
 *
 * <p>Process-lifetime singletons that a test may be the first to start (the handle cleaner, the
 * discardable purger and its pressure file, the inspection server, the copy-on-write engine's one
 * empty memfd) are allowed once: a second one is a leak.
 */
public record ProcessResources(Map<Long, Vmo> vmos, Map<Integer, String> fds, Set<Long> fdInodes, List<String> maps,
        Map<String, String> threads) {

    /** One live VMO: its inspection line, how many handles it has, its mappings (address, length, ...). */
    public record Vmo(String description, int handles, Set<String> mappings) {}

    /** Resources that may exist once per process, by description. */
    private static final List<Pattern> SINGLETONS = List.of(
            Pattern.compile("thread zxmem-handle-cleaner.*"),
            Pattern.compile("thread zxmem-purger.*"),
            Pattern.compile("thread zxmem-inspect.*"),
            Pattern.compile("native thread zxmem-(handle-|purger|inspect|uffd).*"),
            Pattern.compile("/memfd:zxmem-beyond-end.*"),
            Pattern.compile("/proc/pressure/memory"),
            Pattern.compile("socket .*zxmem-inspect-\\d+\\.sock"));

    // Plain string tests rather than regular expressions here: the fuzzer checks after every input,
    // and Jazzer hooks java.util.regex.

    /** Descriptors the JVM opens lazily and keeps (jars of classes loaded later, entropy, libraries). */
    private static boolean jvmFd(String target) {
        return target.endsWith(".jar") || target.endsWith("/lib/modules") || target.equals("/dev/random")
                || target.equals("/dev/urandom") || target.endsWith(".jsa") || sharedLibrary(target);
    }

    /** Maps lines that belong to zxmem (or to a test misusing a device): descriptor-backed, not the JVM's. */
    private static boolean zxMap(String line) {
        return (line.contains("/memfd:") || line.contains("anon_inode:") || line.contains("zxmem") || line.contains(" /dev/")
                || line.contains(" /sys/")) && !line.contains("memfd:java") && !sharedLibrary(line);
    }

    /** A loaded library (zxmem's libzxuffd.so is unpacked to a temporary file and stays loaded). */
    private static boolean sharedLibrary(String path) {
        String p = path.endsWith(" (deleted)") ? path.substring(0, path.length() - 10) : path;
        return p.endsWith(".so") || p.contains(".so.");
    }

    private static final long PID = ProcessHandle.current().pid();
    private static final MethodHandle INSPECT = zxStatic("inspect", MethodType.methodType(List.class));
    private static final MethodHandle RELEASE_POOL = zxStatic("releasePooledMemfds", MethodType.methodType(int.class));

    /** A static method of {@code io.zxmem.Zx}, or null where zxmem (or the method) is not on the path. */
    private static MethodHandle zxStatic(String name, MethodType type) {
        try {
            Class<?> zx = Class.forName("io.zxmem.Zx", false, ProcessResources.class.getClassLoader());
            return MethodHandles.publicLookup().findStatic(zx, name, type);
        } catch (ReflectiveOperationException | LinkageError absent) {
            return null;
        }
    }

    /** @return what is open now */
    public static ProcessResources now() {
        // Recycled memfds wait in a bounded pool for the next VMO: the pool's, not a test's.
        if (RELEASE_POOL != null) {
            try {
                RELEASE_POOL.invoke();
            } catch (Throwable t) {
                throw new IllegalStateException("Zx.releasePooledMemfds failed", t);
            }
        }
        Set<Long> inodes = new HashSet<>();
        Map<Integer, String> fds = fdsNow(inodes);
        return new ProcessResources(vmosNow(), fds, inodes, mapsNow(), threadsNow());
    }

    private static Map<Long, Vmo> vmosNow() {
        Map<Long, Vmo> m = new TreeMap<>();
        if (INSPECT == null) {
            return m;
        }
        try {
            for (Object s : (List<?>) INSPECT.invoke()) {
                long koid = (long) s.getClass().getMethod("koid").invoke(s);
                int handles = ((List<?>) s.getClass().getMethod("handleRights").invoke(s)).size();
                Set<String> maps = new HashSet<>();
                for (Object mp : (List<?>) s.getClass().getMethod("mappings").invoke(s)) {
                    maps.add(mp.toString());
                }
                m.put(koid, new Vmo(s.toString(), handles, maps));
            }
        } catch (Throwable t) {
            // An inspection that itself fails is a finding of its own, not something to hide.
            throw new AssertionError("leak check: Zx.inspect() failed: " + t, t);
        }
        return m;
    }

    /** Open descriptors by number, with their targets; adds the inode of each to {@code inodes}. */
    private static Map<Integer, String> fdsNow(Set<Long> inodes) {
        Map<Integer, String> m = new TreeMap<>();
        Path dir = Path.of("/proc/self/fd");
        String self = "/proc/" + PID + "/fd";
        Map<String, String> sockets = null;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (NoSuchFileException closed) {
                    continue; // closed while listing
                }
                if (target.equals(self) || jvmFd(target)) {
                    continue;
                }
                try {
                    inodes.add(((Number) Files.getAttribute(p, "unix:ino")).longValue());
                } catch (IOException | UnsupportedOperationException closed) {
                    continue;
                }
                if (target.startsWith("socket:[")) {
                    if (sockets == null) {
                        sockets = unixSocketPaths();
                    }
                    String path = sockets.get(target.substring(8, target.length() - 1));
                    if (path != null && path.contains("/.java_pid")) {
                        continue; // the JVM's attach listener (Jazzer attaches its agent)
                    }
                    target = "socket " + target + (path == null ? "" : " " + path);
                }
                m.put(Integer.parseInt(p.getFileName().toString()), target);
            }
        } catch (IOException e) {
            throw new AssertionError("leak check: cannot list /proc/self/fd", e);
        }
        return m;
    }

    /** Unix domain socket inode to bound path, from /proc/self/net/unix (nothing for unnamed sockets). */
    private static Map<String, String> unixSocketPaths() {
        Map<String, String> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/net/unix"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 8 && !f[0].equals("Num")) {
                    m.put(f[6], f[7]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Only decoration for the message.
        }
        return m;
    }

    private static List<String> mapsNow() {
        try {
            List<String> l = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (zxMap(line)) {
                    l.add(line);
                }
            }
            return l;
        } catch (IOException e) {
            throw new AssertionError("leak check: cannot read /proc/self/maps", e);
        }
    }

    private static Map<String, String> threadsNow() {
        Map<String, String> m = new LinkedHashMap<>();
        Set<String> javaComms = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("zxmem")) {
                m.put("java:" + t.threadId(), "thread " + t.getName() + " (" + t.getState() + ")");
            }
            String n = t.getName();
            javaComms.add(n.length() > 15 ? n.substring(0, 15) : n);
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : s) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm")).strip();
                } catch (IOException gone) {
                    continue; // the thread ended while listing
                }
                if (comm.startsWith("zxmem") && !javaComms.contains(comm)) {
                    m.put("tid:" + task.getFileName(), "native thread " + comm + " (tid " + task.getFileName() + ")");
                }
            }
        } catch (IOException e) {
            throw new AssertionError("leak check: cannot list /proc/self/task", e);
        }
        return m;
    }

    /** What is open now that was not open at {@code before}, one line per resource; empty when nothing. */
    public List<String> leakedSince(ProcessResources before) {
        List<String> out = new ArrayList<>();
        vmos.forEach((koid, v) -> {
            Vmo old = before.vmos.get(koid);
            if (old == null) {
                out.add("VMO " + v.description());
                return;
            }
            // A VMO that was there before: what the test added to it must be gone too.
            if (v.handles() > old.handles()) {
                out.add((v.handles() - old.handles()) + " more handle(s) to VMO " + v.description());
            }
            for (String mp : v.mappings()) {
                if (!old.mappings().contains(mp)) {
                    out.add("mapping " + mp + " of VMO " + v.description());
                }
            }
        });
        // An object's own mapping made lazily (read and write go through one) is not the test's, when
        // the object was there before and still is: its descriptor's inode was open before and now.
        Set<Long> kept = new HashSet<>(fdInodes);
        kept.retainAll(before.fdInodes);
        fds.forEach((fd, target) -> {
            if (!target.equals(before.fds.get(fd)) && !singleton(target, fds.values()) && !engineFd(fd)) {
                out.add("fd " + fd + " -> " + target);
            }
        });
        Set<String> oldMaps = new HashSet<>(before.maps);
        for (String line : maps) {
            if (!oldMaps.contains(line) && !kept.contains(inode(line))) {
                out.add("mapping " + line);
            }
        }
        threads.forEach((k, d) -> {
            if (!before.threads.containsKey(k) && !singleton(d, threads.values())) {
                out.add(d);
            }
        });
        return out;
    }

    /**
     * Whether {@code fd} belongs to the copy-on-write engine, which starts at the first snapshot and
     * lives as long as the process (one userfaultfd, its stop pipe): it publishes them in a property.
     */
    private static boolean engineFd(int fd) {
        String list = System.getProperty("zxmem.cow.engineFds");
        if (list == null || list.isEmpty()) {
            return false;
        }
        for (String f : list.split(",")) {
            if (f.equals(Integer.toString(fd))) {
                return true;
            }
        }
        return false;
    }

    /** The inode field of a /proc/self/maps line. */
    private static long inode(String mapsLine) {
        String[] f = mapsLine.trim().split("\\s+");
        try {
            return f.length > 4 ? Long.parseLong(f[4]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether {@code d} is a process-lifetime singleton and the only one of its kind in {@code all}. */
    private static boolean singleton(String d, Iterable<String> all) {
        for (Pattern p : SINGLETONS) {
            if (p.matcher(d).matches()) {
                int n = 0;
                for (String o : all) {
                    if (p.matcher(o).matches()) {
                        n++;
                    }
                }
                return n <= 1;
            }
        }
        return false;
    }
}
