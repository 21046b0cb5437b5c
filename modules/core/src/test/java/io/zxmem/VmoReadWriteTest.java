package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.pattern;
import static io.zxmem.TestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code zx_vmo_read} / {@code zx_vmo_write}: ranges, rights, both buffer kinds. */
class VmoReadWriteTest {

    @Test
    void bytesWrittenAreReadBackAtAnyOffset() {
        try (Vmo v = Vmo.create(8 * P)) {
            byte[] data = pattern(3 * PI + 123, 1);
            v.write(data, P - 7);
            assertArrayEquals(data, read(v, P - 7, data.length));
            // Neighbours stay zero.
            assertTrue(TestSupport.allZero(read(v, 0, PI - 7)));
            assertTrue(TestSupport.allZero(read(v, P - 7 + data.length, (int) (8 * P - (P - 7 + data.length)))));
        }
    }

    @Test
    void segmentsReadAndWriteLikeArrays() {
        try (Vmo v = Vmo.create(4 * P); Arena a = Arena.ofConfined()) {
            byte[] data = pattern(2 * PI, 2);
            MemorySegment src = a.allocate(data.length);
            src.copyFrom(MemorySegment.ofArray(data));
            v.write(src, 5);
            MemorySegment dst = a.allocate(data.length);
            v.read(dst, 5);
            assertArrayEquals(data, dst.toArray(ValueLayout.JAVA_BYTE));
            // Heap segments, slices and read-only sources work too.
            MemorySegment heap = MemorySegment.ofArray(new byte[100]);
            v.read(heap, 5);
            assertArrayEquals(Arrays.copyOf(data, 100), heap.toArray(ValueLayout.JAVA_BYTE));
            v.write(MemorySegment.ofArray(pattern(64, 3)).asReadOnly(), 3 * P);
            assertArrayEquals(pattern(64, 3), read(v, 3 * P, 64));
            MemorySegment slice = a.allocate(4 * P).asSlice(P, 64);
            v.read(slice, 3 * P);
            assertArrayEquals(pattern(64, 3), slice.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void readIntoAReadOnlySegmentIsInvalidArgs() {
        try (Vmo v = Vmo.create(P)) {
            MemorySegment ro = MemorySegment.ofArray(new byte[8]).asReadOnly();
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.read(ro, 0), "vmo.read");
        }
    }

    @Test
    void nullBuffersAreInvalidArgs() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.read((byte[]) null, 0), "vmo.read");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.read((MemorySegment) null, 0), "vmo.read");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.write((byte[]) null, 0), "vmo.write");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.write((MemorySegment) null, 0), "vmo.write");
        }
    }

    @Test
    void zeroLengthAtTheEndIsOk() {
        try (Vmo v = Vmo.create(2 * P)) {
            v.read(new byte[0], 2 * P);
            v.write(new byte[0], 2 * P);
            v.read(MemorySegment.ofArray(new byte[0]), 2 * P);
            v.write(MemorySegment.ofArray(new byte[0]), 2 * P);
            v.read(new byte[0], 0);
        }
        try (Vmo v = Vmo.create(0)) {
            v.read(new byte[0], 0);
            v.write(new byte[0], 0);
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[1], 0), "vmo.read");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[1], 0), "vmo.write");
        }
    }

    @Test
    void zeroLengthPastTheEndIsOutOfRange() {
        try (Vmo v = Vmo.create(2 * P)) {
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[0], 2 * P + 1), "vmo.read");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[0], 2 * P + 1), "vmo.write");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[0], -1L), "vmo.read");
        }
    }

    @Test
    void rangesPastTheSizeAreOutOfRange() {
        try (Vmo v = Vmo.create(2 * P - 100)) {
            // The size is rounded: the last page is usable as a whole.
            v.write(new byte[100], 2 * P - 100);
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[2], 2 * P - 1), "vmo.read", TestSupport.hex(2 * P - 1));
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[2], 2 * P - 1), "vmo.write", TestSupport.hex(2 * P - 1));
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[1], 2 * P), "vmo.read");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[(int) (3 * P)], 0), "vmo.write");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[1], 0x8000_0000_0000_0000L), "vmo.read");
            assertStatus(Status.ERR_OUT_OF_RANGE,
                    () -> v.write(MemorySegment.ofArray(new byte[1]), 0x8000_0000_0000_0000L), "vmo.write");
        }
    }

    @Test
    void offsetPlusLengthOverflowIsOutOfRange() {
        try (Vmo v = Vmo.create(Vmo.MAX_SIZE)) {
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[16], -8L), "vmo.read");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[16], -8L), "vmo.write");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[16], Vmo.MAX_SIZE - 8), "vmo.write");
            // Exactly up to MAX_SIZE is fine.
            v.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, Vmo.MAX_SIZE - 8);
            assertEquals(8, read(v, Vmo.MAX_SIZE - 1, 1)[0]);
        }
    }

    @Test
    void readNeedsTheReadRightAndWriteTheWriteRight() {
        try (Vmo v = Vmo.create(P);
                Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE);
                Vmo wo = v.duplicate(Rights.DEFAULT_VMO & ~Rights.READ)) {
            v.write(new byte[] {42}, 0);
            assertEquals(42, read(ro, 0, 1)[0]);
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.write(new byte[1], 0), "vmo.write", "WRITE");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.write(MemorySegment.ofArray(new byte[1]), 0), "vmo.write");
            wo.write(new byte[] {43}, 1);
            assertStatus(Status.ERR_ACCESS_DENIED, () -> wo.read(new byte[1], 0), "vmo.read", "READ");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> wo.read(MemorySegment.ofArray(new byte[1]), 0), "vmo.read");
            assertEquals(43, read(v, 1, 1)[0]);
        }
    }

    /** The handle's rights are looked up before the range is checked (GetDispatcherWithRights first). */
    @Test
    void rightsAreCheckedBeforeTheRange() {
        try (Vmo v = Vmo.create(P); Vmo none = v.duplicate(Rights.DUPLICATE)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> none.read(new byte[1], 10 * P));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> none.write(new byte[1], -1L));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> none.read((byte[]) null, 0));
        }
    }

    @Test
    void closedHandleIsBadHandleBeforeAnythingElse() {
        Vmo v = Vmo.create(P);
        v.close();
        assertStatus(Status.ERR_BAD_HANDLE, () -> v.read(new byte[1], 10 * P), "vmo.read");
        assertStatus(Status.ERR_BAD_HANDLE, () -> v.write((byte[]) null, 0), "vmo.write");
    }

    @Test
    void readsOfPagesWrittenOnlyPartlyOrThroughAMappingAreExact() {
        // Read paths differ for pages the store knows as resident and for the rest: mix them in one read.
        try (Vmo v = Vmo.create(6 * P); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 6 * P)) {
            byte[] model = new byte[(int) (6 * P)];
            Random r = new Random(7);
            for (int i = 0; i < 200; i++) {
                int off = r.nextInt(model.length);
                int len = r.nextInt(Math.min(model.length - off, 3 * PI) + 1);
                byte[] data = pattern(len, i);
                if (r.nextBoolean()) {
                    v.write(data, off);
                } else {
                    MemorySegment.copy(data, 0, m.segment(), ValueLayout.JAVA_BYTE, off, len);
                }
                System.arraycopy(data, 0, model, off, len);
                int roff = r.nextInt(model.length);
                int rlen = r.nextInt(model.length - roff + 1);
                assertArrayEquals(Arrays.copyOfRange(model, roff, roff + rlen), read(v, roff, rlen), "step " + i);
            }
        }
    }

    @Test
    void largeTransfersCrossManyPages() {
        try (Vmo v = Vmo.create(1 << 22)) {
            byte[] data = pattern((1 << 22) - 1, 9);
            v.write(data, 1);
            assertArrayEquals(data, read(v, 1, data.length));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment dst = a.allocate(1 << 21);
                v.read(dst, P + 3);
                assertArrayEquals(Arrays.copyOfRange(data, PI + 2, PI + 2 + (1 << 21)), dst.toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void uncachedVmoCannotBeReadOrWritten() {
        try (Vmo v = Vmo.create(P)) {
            v.write(new byte[] {5}, 0);
            v.setCachePolicy(Vmo.CACHE_UNCACHED);
            assertStatus(Status.ERR_BAD_STATE, () -> v.read(new byte[1], 0), "vmo.read");
            assertStatus(Status.ERR_BAD_STATE, () -> v.write(new byte[1], 0), "vmo.write");
            assertEquals(Vmo.CACHE_UNCACHED, v.info().cachePolicy());
            v.setCachePolicy(Vmo.CACHE_CACHED);
            assertEquals(5, read(v, 0, 1)[0]);
        }
    }

    @Test
    void cachePolicyRules() {
        try (Vmo v = Vmo.create(P); Vmo noMap = v.duplicate(Rights.DEFAULT_VMO & ~Rights.MAP)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noMap.setCachePolicy(Vmo.CACHE_UNCACHED), "vmo.set_cache_policy");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.setCachePolicy(4), "vmo.set_cache_policy");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.setCachePolicy(-1), "vmo.set_cache_policy");
            for (int policy : new int[] {Vmo.CACHE_UNCACHED, Vmo.CACHE_UNCACHED_DEVICE, Vmo.CACHE_WRITE_COMBINING, Vmo.CACHE_CACHED}) {
                v.setCachePolicy(policy);
                assertEquals(policy, v.info().cachePolicy());
            }
            try (Mapping m = v.map(Vmar.PERM_READ, 0, P)) {
                assertStatus(Status.ERR_BAD_STATE, () -> v.setCachePolicy(Vmo.CACHE_UNCACHED), "mapped");
            }
            v.setCachePolicy(Vmo.CACHE_UNCACHED);
            v.setCachePolicy(Vmo.CACHE_CACHED);
        }
    }
}
