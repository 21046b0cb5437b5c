package io.zxmem.cow;

import static io.zxmem.cow.ChildRulesTest.get;
import static io.zxmem.cow.ChildRulesTest.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zxmem.Mapping;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One regression test per finding of issue 9 (copy-on-write you can trust). Each failed on the
 * MAP_PRIVATE hidden-node engine; the concurrent ones run thousands of snapshots against live writers.
 * Tests that exhaust a process-wide resource or kill the fault handler run in a child JVM
 * ({@link CowChild}).
 */
class FindingsTest {
    static final long P = Zx.pageSize();
    static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;
    static final int SNAP = Vmo.CHILD_SNAPSHOT;
    static final java.lang.invoke.VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    static long getLong(Vmo v, long off) {
        byte[] b = new byte[8];
        v.read(b, off);
        return MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    // ---- finding 1: torn snapshots --------------------------------------------------------------

    enum Torn {
        /** A mapped root VMO. */
        MAPPED_ROOT,
        /** A VMO snapshotted once while unmapped, then mapped (a copy-on-write parent before). */
        ONCE_SNAPSHOTTED,
        /** The written VMO is itself a snapshot child. */
        CHILD_SOURCE,
        /** A and B in one page of a once-snapshotted VMO. */
        ONE_PAGE,
        /** A snapshot of a snapshot. */
        NESTED,
        /** At-least-on-write children (allowed to be snapshots; must never be torn). */
        AT_LEAST_ON_WRITE
    }

    /**
     * A writer stores i to A, then i to B, through a mapping, forever: A >= B at every instant. Every
     * snapshot must show an instant: A >= B in the snapshot.
     */
    @ParameterizedTest
    @EnumSource(Torn.class)
    void snapshotsOfALiveWriterAreNeverTorn(Torn kind) throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            long size = 16 * P;
            long a = 3 * P;
            long b = kind == Torn.ONE_PAGE ? 3 * P + P / 2 : 9 * P;
            List<AutoCloseable> keep = new ArrayList<>();
            Vmo root = Vmo.create(size);
            keep.add(root);
            Vmo target = root;
            if (kind == Torn.ONCE_SNAPSHOTTED || kind == Torn.ONE_PAGE) {
                keep.add(root.createChild(SNAP, 0, size)); // while unmapped
            } else if (kind == Torn.CHILD_SOURCE) {
                target = root.createChild(SNAP, 0, size);
                keep.add(target);
            }
            Mapping m = target.map(RW, 0, size);
            MemorySegment s = m.segment();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (long i = 1; !stop.get(); i++) {
                        LONG.setVolatile(s, a, i);
                        LONG.setVolatile(s, b, i);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "torn-writer");
            writer.start();
            int torn = 0;
            int tries = 0;
            long lastA = 0;
            long deadline = System.nanoTime() + 8_000_000_000L;
            try {
                for (; tries < 3000 && System.nanoTime() < deadline; tries++) {
                    int kindBits = kind == Torn.AT_LEAST_ON_WRITE ? Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE : SNAP;
                    try (Vmo snap = target.createChild(kindBits, 0, size)) {
                        Vmo check = snap;
                        Vmo nested = null;
                        if (kind == Torn.NESTED) {
                            nested = snap.createChild(SNAP, 0, size);
                            check = nested;
                        }
                        long va = getLong(check, a);
                        long vb = getLong(check, b);
                        if (va < vb) {
                            torn++;
                        }
                        lastA = va;
                        if (kind == Torn.NESTED) {
                            // The first snapshot is frozen too: the writer never reaches it.
                            assertEquals(va, getLong(snap, a));
                            nested.close();
                        }
                    }
                }
            } finally {
                stop.set(true);
                writer.join();
                m.close();
                for (int i = keep.size() - 1; i >= 0; i--) {
                    keep.get(i).close();
                }
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            System.out.println(kind + ": " + tries + " snapshots against a live writer, " + torn + " torn");
            assertTrue(tries >= 200, "snapshots taken: " + tries);
            assertTrue(lastA > 0, "the writer ran");
            assertEquals(0, torn, torn + " of " + tries + " snapshots showed B > A (a state that never existed)");
        });
    }

    /** Unprivileged processes get a user-mode-only userfaultfd; either way children are cut lazily. */
    @Test
    void userfaultfdServesThisProcess() {
        assumeTrue(Files.exists(Path.of("/proc/sys/vm/unprivileged_userfaultfd")), "a kernel without userfaultfd");
        int mode = CowEngine.mode();
        System.out.println("userfaultfd mode: " + (mode == 1 ? "full" : mode == 2 ? "user-mode-only" : "none " + mode));
        assertTrue(mode == 1 || mode == 2, "userfaultfd refused: " + mode);
        long lazy = CutCounts.lazy();
        try (Vmo v = Vmo.create(4 * P); Mapping m = v.map(RW, 0, 4 * P); Vmo c = v.createChild(SNAP, 0, 4 * P)) {
            assertEquals(lazy + 1, CutCounts.lazy(), "the child of a mapped VMO is cut lazily, not copied");
        }
    }

    /**
     * The library's own system calls write into guarded mappings too (a read into a mapping of a
     * snapshotted VMO, or of a child with pages not yet filled); with a user-mode-only userfaultfd
     * the kernel refuses them (EFAULT) instead of faulting, so the library copies in user mode.
     */
    @Test
    void readingIntoGuardedMappingsWorks() {
        try (Vmo p = Vmo.create(4 * P); Mapping pm = p.map(RW, 0, 4 * P); Vmo empty = Vmo.create(4 * P)) {
            for (int i = 0; i < 4; i++) {
                pm.segment().set(ValueLayout.JAVA_BYTE, i * P, (byte) 1);
            }
            try (Vmo snap = p.createChild(SNAP, 0, 4 * P); Vmo c = p.createChild(SNAP, 0, 4 * P);
                    Mapping cm = c.map(RW, 0, 4 * P)) {
                empty.read(pm.segment(), 0); // holes of `empty`: pread into write-protected pages
                assertEquals(0, get(p, 3 * P));
                assertEquals(1, get(snap, 3 * P));
                empty.read(cm.segment(), 0); // pread into pages of a child not filled yet
                assertEquals(0, get(c, 2 * P));
                assertEquals(1, get(snap, 2 * P));
            }
        }
    }

    // ---- finding 2: fork -------------------------------------------------------------------------

    @Test
    void nothingIsLostWhileAForkedChildLives() {
        try (Vmo v = Vmo.create(16 * P); Mapping m = v.map(RW, 0, 16 * P)) {
            MemorySegment s = m.segment();
            s.set(ValueLayout.JAVA_INT, 0, 0x1234);
            int pid = Zxuffd.debugForkSleep(2000);
            assertTrue(pid > 0, "fork: " + pid);
            try {
                assertTrue(v.info().committedBytes() >= P, "committed while a forked child lives: " + v.info().committedBytes());
                try (Vmo s1 = v.createChild(SNAP, 0, 16 * P)) {
                    s.set(ValueLayout.JAVA_INT, P, 0x5678);
                    try (Vmo s2 = v.createChild(SNAP, 0, 16 * P)) {
                        s.set(ValueLayout.JAVA_INT, 0, 0x9999);
                        assertEquals(0x1234, readInt(s1, 0));
                        assertEquals(0, readInt(s1, P));
                        assertEquals(0x1234, readInt(s2, 0));
                        assertEquals(0x5678, readInt(s2, P));
                    }
                }
                assertEquals(0x9999, readInt(v, 0));
                assertEquals(0x5678, readInt(v, P));
            } finally {
                assertEquals(0, Zxuffd.debugReap(pid), "the forked child exited cleanly");
            }
        }
    }

    static int readInt(Vmo v, long off) {
        byte[] b = new byte[4];
        v.read(b, off);
        return MemorySegment.ofArray(b).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    // ---- finding 3: a failed snapshot leaves its parent untouched (child JVM) --------------------

    @Test
    void exhaustedMappingSlotsNeverDestroyTheParent() throws Exception {
        CowChild.Result r = CowChild.run(Duration.ofSeconds(120), "mapcount");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("MAPCOUNT OK"), r.output());
    }

    // ---- finding 4: mapping slots ----------------------------------------------------------------

    @Test
    void zeroingPagesOfAChildAddsNoMappings() throws IOException {
        int pages = 16384;
        try (Vmo v = Vmo.create(pages * P)) {
            put(v, 0, 1);
            try (Vmo c = v.createChild(SNAP, 0, pages * P)) {
                long before = LeakAndPressureTest.maps().size();
                for (int i = 0; i < pages; i += 2) {
                    c.zero(i * P, P);
                }
                assertTrue(LeakAndPressureTest.maps().size() <= before + 20,
                        "/proc/self/maps grew from " + before + " to " + LeakAndPressureTest.maps().size());
                assertEquals(0, get(c, 0));
                assertEquals(1, get(v, 0));
            }
        }
    }

    @Test
    void manyLiveChildrenCostNoMappings() throws IOException {
        try (Vmo v = Vmo.create(4 * P)) {
            put(v, 0, 5);
            long before = LeakAndPressureTest.maps().size();
            List<Vmo> kids = new ArrayList<>();
            try {
                for (int i = 0; i < 5000; i++) {
                    kids.add(v.createChild(SNAP, 0, 4 * P));
                }
                assertTrue(LeakAndPressureTest.maps().size() <= before + 20, "mappings for 5000 children: "
                        + (LeakAndPressureTest.maps().size() - before));
                put(v, 0, 6);
                assertEquals(5, get(kids.get(4999), 0));
            } finally {
                for (Vmo k : kids) {
                    k.close();
                }
            }
        }
    }

    // ---- finding 6: a slice mapped during a cut --------------------------------------------------

    @Test
    void aSliceMappedDuringACutNeverLeaksLaterWritesIntoTheSnapshot() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Vmo v = Vmo.create(4 * P); Vmo slice = v.createChild(Vmo.CHILD_SLICE, P, 2 * P)) {
                CyclicBarrier go = new CyclicBarrier(2);
                AtomicReference<Mapping> mapped = new AtomicReference<>();
                AtomicBoolean stop = new AtomicBoolean();
                Thread mapper = new Thread(() -> {
                    try {
                        while (true) {
                            go.await();
                            if (stop.get()) {
                                return;
                            }
                            mapped.set(slice.map(RW, 0, 2 * P));
                            go.await();
                        }
                    } catch (Exception e) {
                        // the test ends
                    }
                }, "slice-mapper");
                mapper.start();
                int leaks = 0;
                int rounds = 4000;
                for (int i = 0; i < rounds; i++) {
                    put(v, P, 1);
                    go.await();
                    Vmo snap = v.createChild(SNAP, 0, 4 * P); // races the slice's mapping
                    go.await();
                    try (Mapping m = mapped.get(); snap) {
                        m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 2); // after the cut
                        if (get(snap, P) != 1) {
                            leaks++;
                        }
                    }
                }
                stop.set(true);
                go.await();
                mapper.join();
                assertEquals(0, leaks, leaks + " of " + rounds + " snapshots saw a write made after their cut");
            }
        });
    }

    // ---- finding 7: memory -----------------------------------------------------------------------

    static long procStatus(String key) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith(key + ":")) {
                return Long.parseLong(l.substring(key.length() + 1).replace("kB", "").trim()) * 1024;
            }
        }
        throw new IllegalStateException(key);
    }

    /** Bytes held by this process's zxmem memfds (their st_blocks), wherever they are mapped. */
    static long memfdBytes() throws IOException {
        long total = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd")); Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Linux.STAT);
            long blocks = Linux.STAT.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("st_blocks"));
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    if (!Files.readSymbolicLink(p).toString().startsWith("/memfd:zxmem")) {
                        continue;
                    }
                    LibC.get().fstat(Integer.parseInt(p.getFileName().toString()), st);
                    total += st.get(ValueLayout.JAVA_LONG, blocks) * 512;
                } catch (IOException | RuntimeException gone) {
                    // closed while listing
                }
            }
        }
        return total;
    }

    @Test
    void readingASparseSnapshotAllocatesNothing() throws IOException {
        long size = 1L << 30;
        try (Vmo v = Vmo.create(size)) {
            put(v, 5 * P, 7);
            put(v, size - P, 8);
            try (Vmo c = v.createChild(SNAP, 0, size); Arena a = Arena.ofConfined()) {
                long shmem = procStatus("RssShmem");
                long files = memfdBytes();
                MemorySegment buf = a.allocate(1 << 20);
                for (long off = 0; off < size; off += buf.byteSize()) {
                    c.read(buf, off);
                }
                assertEquals(7, get(c, 5 * P));
                assertEquals(8, get(c, size - P));
                assertTrue(procStatus("RssShmem") - shmem < (32L << 20), "shared memory mapped by reading: "
                        + (procStatus("RssShmem") - shmem));
                assertTrue(memfdBytes() - files < (32L << 20), "memfd bytes allocated by reading: " + (memfdBytes() - files));
                assertTrue(c.info().committedBytes() < (1L << 20), "child committed " + c.info().committedBytes());
            }
        }
    }

    @Test
    void closingAChildGivesItsPagesBack() throws IOException {
        long size = 64L << 20;
        try (Vmo v = Vmo.create(size); Mapping m = v.map(RW, 0, size)) {
            MemorySegment s = m.segment();
            for (long off = 0; off < size; off += P) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
            }
            long base = memfdBytes();
            Vmo c = v.createChild(SNAP, 0, size);
            for (long off = 0; off < size; off += P) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 2); // every original moves into the child
            }
            assertTrue(c.info().committedBytes() >= size - (1 << 20), "the child holds the originals: " + c.info().committedBytes());
            assertEquals(1, get(c, size - P));
            c.close();
            assertTrue(memfdBytes() - base < (4L << 20), "left after the child closed: " + (memfdBytes() - base));
        }
    }

    @Test
    void mappingOnePageOfAChildCostsOnePage() throws IOException {
        long size = 64L << 20;
        try (Vmo v = Vmo.create(size); Mapping m = v.map(RW, 0, size)) {
            MemorySegment s = m.segment();
            for (long off = 0; off < size; off += P) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 3);
            }
            long base = memfdBytes();
            try (Vmo c = v.createChild(SNAP, 0, size); Mapping cm = c.map(RW, 0, size)) {
                assertEquals(3, cm.segment().get(ValueLayout.JAVA_BYTE, 7 * P));
                cm.segment().set(ValueLayout.JAVA_BYTE, 9 * P, (byte) 4);
                assertTrue(memfdBytes() - base < (4L << 20), "memory added by mapping a child and touching two pages: "
                        + (memfdBytes() - base));
                assertEquals(3, get(v, 9 * P));
                assertEquals(4, get(c, 9 * P));
                assertEquals(3, get(c, 11 * P));
            }
        }
    }

    @Test
    void commitOnAChildChecksFreeMemory() throws IOException {
        long size = 60L << 30;
        long avail = 0;
        for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (l.startsWith("MemAvailable:")) {
                avail = Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        assumeTrue(avail < size / 2, "the machine has room for a 60 GiB commit");
        try (Vmo v = Vmo.create(size)) {
            put(v, 0, 1);
            try (Vmo c = v.createChild(SNAP, 0, size)) {
                ZxException e = assertThrows(ZxException.class, () -> c.commit(0, size));
                assertEquals(Status.ERR_NO_MEMORY, e.status(), e.getMessage());
                assertEquals(1, get(c, 0));
                assertTrue(c.info().committedBytes() < (1L << 20), "nothing committed: " + c.info().committedBytes());
            }
        }
    }

    // ---- finding 8: each mapping is its own mapping ----------------------------------------------

    /** The permissions column of the /proc/self/maps line containing {@code address}, or null. */
    static String perms(long address) throws IOException {
        for (String l : LeakAndPressureTest.maps()) {
            String[] f = l.split("\\s+");
            String[] r = f[0].split("-");
            long lo = Long.parseUnsignedLong(r[0], 16);
            long hi = Long.parseUnsignedLong(r[1], 16);
            if (Long.compareUnsigned(address, lo) >= 0 && Long.compareUnsigned(address, hi) < 0) {
                return f[1];
            }
        }
        return null;
    }

    @Test
    void eachMappingOfAChildIsItsOwnMapping() throws IOException {
        try (Vmo v = Vmo.create(4 * P)) {
            put(v, 0, 1);
            try (Vmo c = v.createChild(SNAP, 0, 4 * P)) {
                Mapping m1 = c.map(RW, 0, 4 * P);
                Mapping m2 = c.map(RW, 0, 4 * P);
                long a1 = m1.segment().address();
                long a2 = m2.segment().address();
                assertNotEquals(a1, a2, "two mappings, two addresses");
                m1.segment().set(ValueLayout.JAVA_BYTE, 1, (byte) 9);
                assertEquals(9, m2.segment().get(ValueLayout.JAVA_BYTE, 1), "coherent");
                m1.close();
                // A mapping that gave out a segment is retired, not unmapped at once (Mapping.close,
                // JDK-8364167): the child's memory leaves the range at once, the range itself two
                // handshakes later, which the next closes run.
                String retired = perms(a1);
                assertTrue(retired == null || retired.endsWith("p"), "a closed mapping no longer shows the child's memory: " + retired);
                m2.protect(0);
                assertEquals("---s", perms(a2), "protect(0) takes every access away");
                m2.close();
                for (int i = 0; i < 2; i++) {
                    try (Mapping x = c.map(RW, 0, P)) {
                        x.segment();
                    }
                }
                assertEquals(null, perms(a1), "a closed mapping is gone from the address space");
            }
            try (Vmo ro = v.createChild(SNAP | Vmo.CHILD_NO_WRITE, 0, 4 * P); Mapping m = ro.map(Vmar.PERM_READ, 0, 4 * P)) {
                assertEquals("r--s", perms(m.segment().address()), "a read-only mapping is read-only for native code too");
                assertEquals(1, m.segment().get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }

    @Test
    void aMappedChildGrowsAndMapsPastItsEnd() {
        try (Vmo v = Vmo.create(P)) {
            put(v, 0, 1);
            try (Vmo once = v.createChild(SNAP, 0, P)) {
                // A once-snapshotted one-page VMO maps a 256 MiB window (past its end is allowed).
                try (Mapping big = v.map(Vmar.PERM_READ, 0, 256L << 20)) {
                    assertEquals(1, big.segment().get(ValueLayout.JAVA_BYTE, 0));
                }
                try (Vmo c = once.createChild(SNAP | Vmo.CHILD_RESIZABLE, 0, P); Mapping m = c.map(RW, 0, 128L << 20)) {
                    c.setSize(128L << 20);
                    m.segment().set(ValueLayout.JAVA_BYTE, (100L << 20), (byte) 5);
                    assertEquals(5, get(c, 100L << 20));
                    assertEquals(1, m.segment().get(ValueLayout.JAVA_BYTE, 0));
                }
            }
        }
    }

    // ---- finding 9: the native handler -----------------------------------------------------------

    @Test
    void oneHandlerThreadServesEveryGuardedVmo() throws IOException {
        List<AutoCloseable> all = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Vmo v = Vmo.create(2 * P);
                all.add(v);
                Mapping m = v.map(RW, 0, 2 * P);
                all.add(m);
                m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                all.add(v.createChild(SNAP, 0, 2 * P));
                m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0); // a fault
            }
            assertEquals(1, LeakAndPressureTest.nativeZxmemThreads(), "native handler threads for 200 guarded VMOs");
        } finally {
            for (int i = all.size() - 1; i >= 0; i--) {
                try {
                    all.get(i).close();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        }
    }

    @Test
    void aDeadHandlerFailsLoudlyAndReleasesWriters() throws Exception {
        CowChild.Result r = CowChild.run(Duration.ofSeconds(120), "dead");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("DEAD OK"), r.output());
    }
}
