package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.allZero;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.committed;
import static io.zxmem.TestSupport.pattern;
import static io.zxmem.TestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@code zx_vmo_set_size}: rights, limits, zeroing, and shrinking under mappings. */
class VmoResizeTest {

    @Test
    void growAndShrinkChangeSizeAndContentSize() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            v.setSize(5 * P + 3);
            assertEquals(6 * P, v.size());
            assertEquals(5 * P + 3, v.contentSize());
            v.setSize(P);
            assertEquals(P, v.size());
            assertEquals(P, v.contentSize());
            v.setSize(0);
            assertEquals(0, v.size());
            assertEquals(0, v.contentSize());
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.read(new byte[1], 0));
            v.setSize(2 * P);
            assertTrue(allZero(read(v, 0, 2 * PI)));
        }
    }

    @Test
    void shrinkingToAnUnalignedSizeZeroesTheTailOfTheLastPage() {
        try (Vmo v = Vmo.create(2 * P, Vmo.RESIZABLE)) {
            byte[] ones = new byte[2 * PI];
            Arrays.fill(ones, (byte) 0xFF);
            v.write(ones, 0);
            v.setSize(P + 10);
            assertEquals(2 * P, v.size());
            byte[] after = read(v, 0, 2 * PI);
            for (int i = 0; i < after.length; i++) {
                assertEquals(i < PI + 10 ? (byte) 0xFF : 0, after[i], "byte " + i);
            }
        }
    }

    @Test
    void settingAnUnalignedSizeWithinTheSamePagesAlsoZeroesTheTail() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            v.write(pattern(PI, 1), 0);
            v.setSize(100);
            assertEquals(P, v.size());
            assertArrayEquals(Arrays.copyOf(pattern(PI, 1), 100), Arrays.copyOf(read(v, 0, PI), 100));
            assertTrue(allZero(Arrays.copyOfRange(read(v, 0, PI), 100, PI)));
        }
    }

    @Test
    void grownRangeReadsZeroNeverStaleData() {
        try (Vmo v = Vmo.create(8 * P, Vmo.RESIZABLE)) {
            byte[] data = pattern(8 * PI, 2);
            v.write(data, 0);
            v.setSize(2 * P + 1);
            v.setSize(8 * P);
            byte[] after = read(v, 0, 8 * PI);
            assertArrayEquals(Arrays.copyOf(data, 2 * PI + 1), Arrays.copyOf(after, 2 * PI + 1));
            assertTrue(allZero(Arrays.copyOfRange(after, 2 * PI + 1, after.length)));
        }
    }

    @Test
    void shrinkingFreesTheCutOffPages() {
        try (Vmo v = Vmo.create(16 * P, Vmo.RESIZABLE)) {
            v.write(pattern(16 * PI, 3), 0);
            assertEquals(16 * P, committed(v));
            v.setSize(4 * P);
            assertEquals(4 * P, committed(v));
            v.setSize(16 * P);
            assertEquals(4 * P, committed(v));
        }
    }

    @Test
    void resizeToMaxSizeStaysSparse() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            v.write(new byte[] {1}, 0);
            v.setSize(Vmo.MAX_SIZE);
            assertEquals(Vmo.MAX_SIZE, v.size());
            v.write(new byte[] {2}, Vmo.MAX_SIZE - 1);
            v.write(new byte[] {3}, 0x8000_0000_0000_0000L);
            assertEquals(3 * P, committed(v));
            assertEquals(1, read(v, 0, 1)[0]);
            v.setSize(P);
            assertEquals(P, committed(v));
            assertEquals(1, read(v, 0, 1)[0]);
            v.setSize(Vmo.MAX_SIZE);
            assertEquals(0, read(v, Vmo.MAX_SIZE - 1, 1)[0]);
            assertEquals(0, read(v, 0x8000_0000_0000_0000L, 1)[0]);
        }
    }

    @Test
    void sizeAboveMaxIsOutOfRange() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.setSize(Vmo.MAX_SIZE + 1), "vmo.set_size");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.setSize(Vmo.MAX_SIZE + P), "vmo.set_size");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.setSize(-1L), "vmo.set_size", "0xffffffffffffffff");
            assertEquals(P, v.size());
        }
    }

    @Test
    void notResizableIsUnavailable() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_UNAVAILABLE, () -> v.setSize(2 * P), "vmo.set_size");
            assertStatus(Status.ERR_UNAVAILABLE, () -> v.setSize(P), "vmo.set_size");
            assertEquals(P, v.size());
        }
    }

    @Test
    void resizableWithoutTheResizeRightIsAccessDenied() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE); Vmo noResize = v.duplicate(Rights.DEFAULT_VMO)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noResize.setSize(2 * P), "vmo.set_size", "RESIZE");
            assertEquals(P, v.size());
        }
    }

    @Test
    void setSizeNeedsTheWriteRight() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE); Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE | Rights.RESIZE)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.setSize(2 * P), "vmo.set_size", "WRITE");
        }
    }

    /** Rights first (WRITE, then RESIZE), then the object's state (UNAVAILABLE), then the size. */
    @Test
    void validationOrder() {
        try (Vmo fixed = Vmo.create(P); Vmo fixedRo = fixed.duplicate(Rights.READ | Rights.DUPLICATE)) {
            assertStatus(Status.ERR_UNAVAILABLE, () -> fixed.setSize(-1L));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> fixedRo.setSize(-1L));
        }
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE);
                Vmo noResize = v.duplicate(Rights.DEFAULT_VMO);
                Vmo noWrite = v.duplicate(Rights.READ | Rights.RESIZE)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noResize.setSize(-1L));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noWrite.setSize(-1L));
        }
    }

    @Test
    void shrinkingAMappedVmoThenTouchingTheCutOffRangeThrowsAndRegrowingReadsZero() {
        try (Vmo v = Vmo.create(4 * P, Vmo.RESIZABLE); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P)) {
            MemorySegment s = m.segment();
            v.write(pattern(4 * PI, 4), 0);
            v.setSize(P);
            assertEquals(pattern(4 * PI, 4)[5], s.get(ValueLayout.JAVA_BYTE, 5));
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, P));
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, 4 * P - 1));
            assertThrows(InternalError.class, () -> s.set(ValueLayout.JAVA_BYTE, 2 * P, (byte) 1));
            assertThrows(InternalError.class, () -> s.asSlice(P, P).fill((byte) 7));
            assertThrows(InternalError.class, () -> MemorySegment.copy(s, 0, MemorySegment.ofArray(new byte[3 * PI]), 0, 3 * P));
            v.setSize(4 * P);
            for (long off = P; off < 4 * P; off += 512) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, off), "offset " + off);
            }
            assertTrue(allZero(read(v, P, 3 * PI)));
            // The regrown range works again in both directions.
            s.set(ValueLayout.JAVA_BYTE, 3 * P, (byte) 77);
            assertEquals(77, read(v, 3 * P, 1)[0]);
        }
    }

    @Test
    void shrinkToUnalignedSizeZeroesTheTailVisibleThroughMappings() {
        try (Vmo v = Vmo.create(2 * P, Vmo.RESIZABLE); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P)) {
            MemorySegment s = m.segment();
            s.fill((byte) 0x5A);
            v.setSize(P / 2);
            assertEquals(0x5A, s.get(ValueLayout.JAVA_BYTE, P / 2 - 1));
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, P / 2));
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, P - 1));
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, P));
        }
    }
}
