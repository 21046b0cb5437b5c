package io.zxmem.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Nothing leaks once a tree is closed; faults on copy-on-write pages survive garbage-collection pressure. */
class LeakAndPressureTest {
    static final long P = Zx.pageSize();

    static long fds() throws IOException {
        Zx.releasePooledMemfds(); // recycled memfds are not leaks
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    static List<String> maps() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps"));
    }

    static long zxmemMaps() throws IOException {
        return maps().stream().filter(l -> l.contains("zxmem")).count();
    }

    static long zxmemThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("zxmem")).count();
    }

    /** A started thread that allocates hard and calls System.gc() until {@code stop} is set. */
    static Thread gcPressure(AtomicBoolean stop) {
        Thread gc = new Thread(() -> {
            List<byte[]> junk = new ArrayList<>();
            while (!stop.get()) {
                for (int i = 0; i < 200; i++) {
                    junk.add(new byte[8192]);
                }
                if (junk.size() > 20_000) {
                    junk.clear();
                    System.gc();
                }
            }
        }, "gc-pressure");
        gc.start();
        return gc;
    }

    /** Native threads named by zxmem's C code (the userfaultfd handler is "zxmem-uffd"), from /proc. */
    static long nativeZxmemThreads() throws IOException {
        long n = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) s::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith("zxmem-uffd")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // the thread ended while listing
                }
            }
        }
        return n;
    }

    static long tasks() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            return s.count();
        }
    }

    /** A tree with every kind of child, mappings, writes through them, resizes; closed in random order. */
    static void tree(Random r) {
        List<AutoCloseable> all = new ArrayList<>();
        Vmo root = Vmo.create(16 * P, Vmo.RESIZABLE);
        all.add(root);
        root.write(new byte[] {1, 2, 3}, 3 * P);
        Vmo snap = root.createChild(Vmo.CHILD_SNAPSHOT | Vmo.CHILD_RESIZABLE, 0, 16 * P);
        all.add(snap);
        Vmo alow = snap.createChild(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, P, 8 * P);
        all.add(alow);
        Vmo slice = alow.createChild(Vmo.CHILD_SLICE, P, 4 * P);
        all.add(slice);
        Mapping m1 = snap.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 16 * P);
        all.add(m1);
        m1.segment().set(ValueLayout.JAVA_BYTE, 5 * P, (byte) 9);
        Mapping m2 = slice.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P);
        all.add(m2);
        m2.segment().set(ValueLayout.JAVA_BYTE, 7, (byte) 9);
        Vmo grand = slice.createChild(Vmo.CHILD_SNAPSHOT, 0, 2 * P);
        all.add(grand);
        Mapping m3 = root.map(Vmar.PERM_READ, 0, 16 * P);
        all.add(m3);
        Vmo late = root.createChild(Vmo.CHILD_SNAPSHOT, 0, 4 * P); // a mapped copy-on-write parent: copied
        all.add(late);
        // A mapped memfd parent: its children take the userfaultfd path (a guard, a native handler).
        Vmo mapped = Vmo.create(16 * P, Vmo.RESIZABLE);
        all.add(mapped);
        Mapping m4 = mapped.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 16 * P);
        all.add(m4);
        m4.segment().set(ValueLayout.JAVA_BYTE, 3 * P, (byte) 4);
        Vmo wp1 = mapped.createChild(Vmo.CHILD_SNAPSHOT, 0, 16 * P);
        all.add(wp1);
        Vmo wp2 = mapped.createChild(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, 2 * P, 8 * P);
        all.add(wp2);
        m4.segment().set(ValueLayout.JAVA_BYTE, 3 * P, (byte) 5); // a write-protect fault for both
        mapped.write(new byte[] {6}, 4 * P);
        if (wp1.createChild(Vmo.CHILD_SNAPSHOT, P, 2 * P) instanceof Vmo nested) {
            all.add(nested);
        }
        wp2.write(new byte[] {7}, 0);
        if (r.nextBoolean()) {
            mapped.setSize(2 * P);
        }
        snap.setSize(32 * P);
        snap.setSize(2 * P);
        grand.write(new byte[(int) P], 0);
        Collections.shuffle(all, r);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void closingATreeLeavesNothingBehind() throws IOException {
        Random r = new Random(42);
        tree(r); // warm up: classes, the process-wide empty memfd, the cleaner threads
        long fds = fds();
        long lines = maps().size();
        long ours = zxmemMaps();
        long threads = zxmemThreads();
        long tasks = tasks();
        long handlers = nativeZxmemThreads();
        long uffd = CutCounts.lazy();
        int live = Zx.liveVmoCount();
        for (int i = 0; i < 50; i++) {
            tree(r);
        }
        assertEquals(fds, fds(), "file descriptors");
        assertEquals(ours, zxmemMaps(), "mappings of zxmem memfds");
        assertEquals(threads, zxmemThreads(), "zxmem threads");
        assertTrue(CutCounts.lazy() >= uffd + 100, "children on the userfaultfd path: " + (CutCounts.lazy() - uffd));
        // Each tree started guards (a native handler thread each); none may outlive its tree.
        assertEquals(handlers, nativeZxmemThreads(), "userfaultfd handler threads left");
        assertTrue(tasks() <= tasks + 2, "threads of the process: " + tasks + " -> " + tasks());
        // Each tree makes ~20 kernel mappings; 50 trees leaking any would add hundreds of lines. The JVM
        // itself maps and unmaps a little (GC, code cache), hence the small tolerance.
        assertTrue(maps().size() <= lines + 20, "/proc/self/maps grew from " + lines + " to " + maps().size());
        assertEquals(live, Zx.liveVmoCount(), "live VMO objects");
    }

    /**
     * The userfaultfd path under GC pressure: many Java threads write through write-protected mappings
     * of a parent (each first write blocks in a fault until the native handler saved the page) while
     * another thread allocates hard and calls System.gc(). A handler that needed the JVM at a
     * safepoint would deadlock here; the native one must resolve every fault, and each child must
     * keep exactly the bytes of its cut.
     */
    @Test
    void writeProtectFaultsUnderGarbageCollectionPressure() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int pages = 512;
            int threads = 8;
            long faults = CowEngine.faults();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread gc = gcPressure(stop);
            try (Vmo parent = Vmo.create(pages * P); Mapping pm = parent.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, pages * P)) {
                MemorySegment s = pm.segment();
                for (int round = 0; round < 10; round++) {
                    for (int i = 0; i < pages; i++) {
                        s.set(ValueLayout.JAVA_BYTE, i * P, (byte) (round + i));
                        s.set(ValueLayout.JAVA_BYTE, i * P + 1, (byte) 0);
                    }
                    long before = CutCounts.lazy();
                    Vmo child = parent.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P);
                    assertEquals(before + 1, CutCounts.lazy(), "the mapped parent's child is write-protected");
                    int r = round;
                    List<Thread> workers = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        int id = t;
                        Thread w = new Thread(() -> {
                            try {
                                for (int i = id; i < pages; i += threads) {
                                    s.set(ValueLayout.JAVA_BYTE, i * P + 1, (byte) 0x7F); // faults
                                    s.set(ValueLayout.JAVA_BYTE, i * P, (byte) -1);
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                        }, "wp-faulter-" + t);
                        workers.add(w);
                        w.start();
                    }
                    for (Thread w : workers) {
                        w.join();
                    }
                    try (child) {
                        byte[] b = new byte[2];
                        for (int i = 0; i < pages; i++) {
                            child.read(b, i * P);
                            if (b[0] != (byte) (r + i) || b[1] != 0) {
                                throw new AssertionError("round " + r + " child page " + i + ": " + b[0] + "," + b[1]);
                            }
                        }
                    }
                }
            } finally {
                stop.set(true);
                gc.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(CowEngine.faults() - faults >= pages, "faults resolved by the native handler: "
                    + (CowEngine.faults() - faults));
        });
    }

    /**
     * Many threads take snapshots and fault on their copy-on-write pages (through mappings and
     * write()) while another thread allocates hard and calls System.gc(): every fault must resolve
     * (a fault handler that needed the JVM at a safepoint would hang here) and every byte must be right.
     */
    @Test
    void faultsUnderGarbageCollectionPressure() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int pages = 256;
            try (Vmo parent = Vmo.create(pages * P)) {
                for (int i = 0; i < pages; i++) {
                    parent.write(new byte[] {(byte) i}, i * P);
                }
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread gc = gcPressure(stop);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int id = t;
                    Thread w = new Thread(() -> {
                        try {
                            for (int round = 0; round < 15; round++) {
                                int kind = (round + id) % 2 == 0 ? Vmo.CHILD_SNAPSHOT : Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE;
                                try (Vmo c = parent.createChild(kind, 0, pages * P);
                                        Mapping m = c.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, pages * P)) {
                                    MemorySegment s = m.segment();
                                    for (int i = 0; i < pages; i++) {
                                        if ((i & 1) == 0) {
                                            s.set(ValueLayout.JAVA_BYTE, i * P + 1, (byte) id);
                                        } else {
                                            c.write(new byte[] {(byte) id}, i * P + 1);
                                        }
                                    }
                                    for (int i = 0; i < pages; i++) {
                                        if (s.get(ValueLayout.JAVA_BYTE, i * P) != (byte) i
                                                || s.get(ValueLayout.JAVA_BYTE, i * P + 1) != (byte) id) {
                                            throw new AssertionError("thread " + id + " page " + i + " wrong");
                                        }
                                    }
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }, "cow-faulter-" + t);
                    workers.add(w);
                    w.start();
                }
                for (Thread w : workers) {
                    w.join();
                }
                stop.set(true);
                gc.join();
                if (failure.get() != null) {
                    throw new AssertionError(failure.get());
                }
                byte[] b = new byte[2];
                parent.read(b, 7 * P);
                assertEquals(7, b[0]);
                assertEquals(0, b[1], "the parent never sees its children's writes");
            }
        });
    }
}
