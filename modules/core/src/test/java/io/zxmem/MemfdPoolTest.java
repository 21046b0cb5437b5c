package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.allZero;
import static io.zxmem.TestSupport.pattern;
import static io.zxmem.TestSupport.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Recycled memfds: a new VMO reads zero everywhere, the pool is bounded and its descriptors are accounted for. */
class MemfdPoolTest {

    @Test
    void aVmoOnARecycledMemfdReadsZeroEverywhere() {
        Zx.releasePooledMemfds();
        for (int round = 0; round < 20; round++) {
            long size = (round % 4 + 1) * 4 * P;
            try (Vmo v = Vmo.create(size); Arena a = Arena.ofConfined()) {
                assertEquals(0, v.info().committedBytes(), "round " + round + ": a recycled memfd holds no pages");
                assertTrue(allZero(read(v, 0, (int) size)), "round " + round + ": read sees stale bytes");
                MemorySegment s = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, size, a);
                for (long off = 0; off < size; off += P) {
                    if (s.get(ValueLayout.JAVA_LONG, off) != 0 || s.get(ValueLayout.JAVA_LONG, off + P - 8) != 0) {
                        throw new AssertionError("round " + round + ": stale bytes at " + off);
                    }
                }
                v.write(pattern((int) size, round), 0);
                s.fill((byte) 0x5A);
            }
            assertTrue(Zx.pooledMemfds() >= 1, "a small, never shared VMO gives its memfd back");
        }
    }

    @Test
    void thePoolIsBoundedAndReleasingItClosesItsDescriptors() {
        Zx.releasePooledMemfds();
        int fds = TestSupport.fdCount();
        List<Vmo> vmos = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            vmos.add(Vmo.create(P));
        }
        vmos.forEach(Vmo::close);
        int pooled = Zx.pooledMemfds();
        assertTrue(pooled > 0 && pooled <= 16, "pooled " + pooled);
        long open = countOpen();
        assertEquals(pooled, Zx.releasePooledMemfds());
        assertEquals(0, Zx.pooledMemfds());
        assertEquals(open - pooled, countOpen(), "releasing closed exactly the pooled descriptors");
        assertEquals(fds, TestSupport.fdCount());
    }

    @Test
    void largeVmosKeepTheirOwnMemfd() {
        Zx.releasePooledMemfds();
        try (Vmo v = Vmo.create(64L << 20)) {
            v.write(new byte[] {1}, 0);
        }
        assertEquals(0, Zx.pooledMemfds());
        try (Vmo v = Vmo.create(PI)) {
            v.write(new byte[] {1}, 0);
        }
        assertEquals(1, Zx.pooledMemfds());
        Zx.releasePooledMemfds();
    }

    private static long countOpen() {
        try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
