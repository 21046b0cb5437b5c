package io.zxmem;

import static io.zxmem.TestSupport.P;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Nothing leaks: 10^5 create/map/close cycles leave the process's descriptors, mappings, VMO
 * objects and threads where they were; handles and mappings dropped without close are cleaned up
 * by the garbage collector.
 */
class LeakTest {
    private static final int CYCLES = 100_000;

    private record Counts(int fds, int maps, int vmoMaps, int liveVmos, int threads) {}

    /** zxmem's own threads (the JVM's compiler and GC threads come and go by themselves). */
    private static int threads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("zxmem")).count();
    }

    private static Counts counts() {
        return new Counts(TestSupport.fdCount(), TestSupport.mapCount(), TestSupport.vmoMapCount(), Zx.liveVmoCount(), threads());
    }

    /** One cycle; every few cycles also the other paths that own descriptors or mappings. */
    private static void cycle(int i) {
        long size = (i % 4 == 0) ? 16 * P : P;
        int options = i % 100 == 0 ? Vmo.DISCARDABLE : i % 10 == 0 ? Vmo.RESIZABLE : 0;
        try (Vmo v = Vmo.create(size, options)) {
            int mapOptions = Vmar.PERM_READ | Vmar.PERM_WRITE | (options == Vmo.DISCARDABLE ? Vmar.ALLOW_FAULTS : 0);
            try (Mapping m = v.map(mapOptions, 0, size)) {
                MemorySegment s = m.segment();
                s.set(ValueLayout.JAVA_INT, 0, i);
                if (s.get(ValueLayout.JAVA_INT, 0) != i) {
                    throw new AssertionError("cycle " + i);
                }
            }
            if (i % 3 == 0) {
                // read/write go through the store's own whole-VMO mapping
                v.write(new byte[] {1}, size - 1);
                v.read(new byte[2], size - 2);
            }
            if (options == Vmo.RESIZABLE) {
                v.setSize(size * 2);
                v.write(new byte[] {1}, size * 2 - 1);
            }
            if (options == Vmo.DISCARDABLE) {
                v.lock();
                v.unlock();
            }
            if (i % 50 == 0) {
                // A mapping whose handle is closed first.
                Mapping m = v.map(Vmar.PERM_READ | (options == Vmo.DISCARDABLE ? Vmar.ALLOW_FAULTS : 0), 0, P);
                v.duplicate(Rights.SAME_RIGHTS).close();
                m.segment().get(ValueLayout.JAVA_BYTE, 0);
                m.close();
            }
        }
    }

    @Test
    void createMapCloseCyclesLeaveNothingBehind() {
        // Warm up: classes, JIT code, the purger thread, malloc arenas.
        for (int i = 0; i < 3000; i++) {
            cycle(i);
        }
        System.gc();
        Counts before = counts();
        long t0 = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) {
            cycle(i);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.gc();
        Counts after = counts();
        System.out.println(CYCLES + " cycles in " + ms + " ms; before " + before + ", after " + after);
        assertEquals(before.fds(), after.fds(), "file descriptors");
        assertEquals(before.vmoMaps(), after.vmoMaps(), "mappings of VMO memory");
        assertEquals(before.liveVmos(), after.liveVmos(), "live VMO objects");
        assertEquals(before.threads(), after.threads(), "zxmem threads");
        // The JVM itself may map or unmap a little (code cache, heap, malloc arenas) in the meantime;
        // one leaked mapping per cycle would show as 10^5.
        assertTrue(Math.abs(after.maps() - before.maps()) <= 16, "mappings: before " + before.maps() + ", after " + after.maps());
    }

    @Test
    void handlesAndMappingsDroppedWithoutCloseAreCleanedUpByTheGc() throws InterruptedException {
        System.gc();
        Counts before = counts();
        for (int i = 0; i < 200; i++) {
            Vmo v = Vmo.create(P);
            v.write(new byte[] {1}, 0);
            // A mapping that never gave out a segment may be unmapped by the cleaner safely.
            v.map(Vmar.PERM_READ, 0, P);
            v.duplicate(Rights.READ);
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        Counts now = counts();
        while ((now.liveVmos() != before.liveVmos() || now.fds() != before.fds() || now.vmoMaps() != before.vmoMaps())
                && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            now = counts();
        }
        assertEquals(before.liveVmos(), now.liveVmos(), "live VMO objects");
        assertEquals(before.fds(), now.fds(), "file descriptors");
        assertEquals(before.vmoMaps(), now.vmoMaps(), "mappings of VMO memory");
    }
}
