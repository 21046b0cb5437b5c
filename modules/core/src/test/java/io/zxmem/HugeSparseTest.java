package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
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
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * VMOs far larger than memory, and larger than one Linux file can address (2^63 - 1 bytes): memory
 * is committed only where written, and offsets at or above 2^63 work for read, write, op_range and
 * mappings.
 */
class HugeSparseTest {
    static final long HUGE = 0xFFFF_FFFF_FFFC_0000L;
    static final long TWO_63 = 0x8000_0000_0000_0000L;
    static final long TWO_62 = 0x4000_0000_0000_0000L;

    /** 64 offsets spread over {@code [0, size)}: 0, size/64 steps (odd, to hit unaligned places), and the last bytes. */
    static long[] spreadOffsets(long size, int len) {
        long[] offs = new long[64];
        long step = Long.divideUnsigned(size, 63);
        for (int i = 0; i < 63; i++) {
            offs[i] = step * i + i * 4097L;
        }
        offs[63] = size - len;
        return offs;
    }

    @Test
    void writeAndReadAt64OffsetsOverTheWholeRange() {
        try (Vmo v = Vmo.create(HUGE, 0)) {
            assertEquals(HUGE, v.size());
            assertEquals(HUGE, v.contentSize());
            long[] offs = spreadOffsets(HUGE, 24);
            assertTrue(Long.compareUnsigned(offs[40], TWO_63) >= 0, "offsets reach past 2^63");
            TreeSet<Long> pages = new TreeSet<>(Long::compareUnsigned);
            for (int i = 0; i < offs.length; i++) {
                v.write(pattern(24, i), offs[i]);
                pages.add(offs[i] & -P);
                pages.add((offs[i] + 23) & -P);
            }
            for (int i = 0; i < offs.length; i++) {
                assertArrayEquals(pattern(24, i), read(v, offs[i], 24), "offset " + TestSupport.hex(offs[i]));
                // The bytes around each write are still zero.
                if (offs[i] >= 8) {
                    assertArrayEquals(new byte[8], read(v, offs[i] - 8, 8));
                }
            }
            // Memory is committed exactly where written; reading elsewhere commits nothing.
            assertEquals(pages.size() * P, committed(v));
            for (int i = 0; i < 63; i++) {
                long elsewhere = offs[i] + Long.divideUnsigned(HUGE, 130);
                assertTrue(TestSupport.allZero(read(v, elsewhere, 64)));
            }
            assertEquals(pages.size() * P, committed(v));
        }
    }

    @Test
    void accessAcrossTheBoundariesOfTheBackingFiles() {
        try (Vmo v = Vmo.create(HUGE)) {
            for (long boundary : new long[] {TWO_62, TWO_63, 3 * TWO_62}) {
                byte[] data = pattern(3 * PI, (int) (boundary >>> 60));
                v.write(data, boundary - P - 5);
                assertArrayEquals(data, read(v, boundary - P - 5, data.length));
                assertArrayEquals(Arrays.copyOfRange(data, PI + 5, PI + 105), read(v, boundary, 100));
            }
            assertEquals(3 * 4 * P, committed(v));
            v.zero(TWO_63 - 10, 20);
            assertArrayEquals(new byte[20], read(v, TWO_63 - 10, 20));
            v.decommit(TWO_62 - 2 * P, 4 * P);
            assertArrayEquals(new byte[4 * PI], read(v, TWO_62 - 2 * P, 4 * PI));
            assertEquals(2 * 4 * P, committed(v));
            v.commit(TWO_63 + 5 * P, 1);
            assertEquals(9 * P, committed(v));
        }
    }

    @Test
    void maxSizeVmoIsUsableUpToItsLastByte() {
        try (Vmo v = Vmo.create(Vmo.MAX_SIZE)) {
            v.write(new byte[] {1, 2}, Vmo.MAX_SIZE - 2);
            assertArrayEquals(new byte[] {1, 2}, read(v, Vmo.MAX_SIZE - 2, 2));
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.write(new byte[1], Vmo.MAX_SIZE));
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.commit(Vmo.MAX_SIZE - P, 2 * P));
            v.commit(Vmo.MAX_SIZE - 2 * P, 2 * P);
            assertEquals(2 * P, committed(v));
            v.read(new byte[0], Vmo.MAX_SIZE);
        }
    }

    @Test
    void maxSizePlusAPageIsOutOfRange() {
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(Vmo.MAX_SIZE + P), "vmo.create");
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(Vmo.MAX_SIZE + 1), "vmo.create");
    }

    @Test
    void mappingsOfWindowsAbove2To63() {
        try (Vmo v = Vmo.create(HUGE)) {
            long[] windows = {TWO_63, TWO_63 + 1000 * P, HUGE - 4 * P, TWO_63 - 2 * P, TWO_62 - P, 3 * TWO_62 - 3 * P};
            for (long at : windows) {
                try (Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, at, 4 * P)) {
                    assertEquals(4 * P, m.length());
                    assertEquals(at, m.vmoOffset());
                    MemorySegment s = m.segment();
                    // Through the mapping, seen by read; through write, seen by the mapping.
                    s.set(ValueLayout.JAVA_LONG_UNALIGNED, 3, at);
                    s.set(ValueLayout.JAVA_LONG_UNALIGNED, 4 * P - 8, ~at);
                    assertEquals(at, MemorySegment.ofArray(read(v, at + 3, 8)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                    assertEquals(~at, MemorySegment.ofArray(read(v, at + 4 * P - 8, 8)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                    v.write(new byte[] {9, 8, 7}, at + 2 * P - 1);
                    assertEquals(9, s.get(ValueLayout.JAVA_BYTE, 2 * P - 1));
                    assertEquals(7, s.get(ValueLayout.JAVA_BYTE, 2 * P + 1));
                }
            }
        }
    }

    @Test
    void twoMappingsOfOneWindowAbove2To63Agree() {
        try (Vmo v = Vmo.create(HUGE);
                Mapping a = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, TWO_63 + P, 2 * P);
                Mapping b = v.map(Vmar.PERM_READ, TWO_63, 4 * P)) {
            a.segment().set(ValueLayout.JAVA_INT_UNALIGNED, 6, 0x1234_5678);
            assertEquals(0x1234_5678, b.segment().get(ValueLayout.JAVA_INT_UNALIGNED, P + 6));
            assertEquals(P, committed(v), "only the touched page is committed");
        }
    }

    /** {@code vmoOffset + len} wrapping past 2^64 is OUT_OF_RANGE, as in current Zircon (issue 12, item 9). */
    @Test
    void mappingThatWouldWrapPast2To64IsOutOfRange() {
        try (Vmo v = Vmo.create(HUGE)) {
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.map(Vmar.PERM_READ, -P, 2 * P), "vmar.map");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.map(Vmar.PERM_READ, TWO_63, -1L), "vmar.map");
        }
    }

    @Test
    void mappingPastTheEndOfAHugeVmoFaultsButDoesNotCrash() {
        try (Vmo v = Vmo.create(HUGE); Mapping m = v.map(Vmar.PERM_READ, HUGE - P, 2 * P)) {
            assertEquals(0, m.segment().get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(InternalError.class, () -> m.segment().get(ValueLayout.JAVA_BYTE, P));
        }
    }

    @Test
    void resizableHugeVmoShrinksAcrossFileBoundaries() {
        try (Vmo v = Vmo.create(HUGE, Vmo.RESIZABLE)) {
            v.write(new byte[] {1}, 10);
            v.write(new byte[] {2}, TWO_62 + 10);
            v.write(new byte[] {3}, TWO_63 + 10);
            v.write(new byte[] {4}, HUGE - 1);
            assertEquals(4 * P, committed(v));
            v.setSize(TWO_62 + P);
            assertEquals(2 * P, committed(v));
            assertEquals(2, read(v, TWO_62 + 10, 1)[0]);
            v.setSize(TWO_62);
            assertEquals(P, committed(v));
            v.setSize(HUGE);
            assertEquals(0, read(v, TWO_62 + 10, 1)[0]);
            assertEquals(0, read(v, TWO_63 + 10, 1)[0]);
            assertEquals(0, read(v, HUGE - 1, 1)[0]);
            assertEquals(1, read(v, 10, 1)[0]);
        }
    }

    /**
     * A mapping made before the VMO shrank below a backing file's range must fault (not show stale
     * bytes) while that range is gone, and show the same bytes as read/write once the VMO grows back.
     */
    @Test
    void oldMappingsStayCoherentWhenTheVmoShrinksBelowAWholeBackingFile() {
        try (Vmo v = Vmo.create(HUGE, Vmo.RESIZABLE);
                Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, TWO_63, 2 * P)) {
            MemorySegment s = m.segment();
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
            assertEquals(7, read(v, TWO_63, 1)[0]);
            v.setSize(P);
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            v.setSize(HUGE);
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 0), "regrown range reads zero through the old mapping");
            v.write(new byte[] {5}, TWO_63 + 1);
            assertEquals(5, s.get(ValueLayout.JAVA_BYTE, 1), "write() is seen by the old mapping");
            s.set(ValueLayout.JAVA_BYTE, 2, (byte) 6);
            assertEquals(6, read(v, TWO_63 + 2, 1)[0], "the old mapping's writes are seen by read()");
            assertEquals(P, committed(v));
        }
    }

    @Test
    void readingIntoABackingFileNotYetCreatedGivesZerosAndCommitsNothing() {
        try (Vmo v = Vmo.create(HUGE)) {
            v.write(new byte[] {1, 2, 3, 4}, TWO_62 - 4);
            byte[] b = read(v, TWO_62 - 4, 4 + 3 * PI);
            assertArrayEquals(new byte[] {1, 2, 3, 4}, Arrays.copyOf(b, 4));
            assertTrue(TestSupport.allZero(Arrays.copyOfRange(b, 4, b.length)));
            assertTrue(TestSupport.allZero(read(v, TWO_63 + 12345, 4096)));
            v.zero(TWO_63, 10 * P);
            v.decommit(3 * TWO_62, 10 * P);
            assertEquals(P, committed(v));
        }
    }

    /** Between 64 GiB and 2^62 bytes read and write use pread/pwrite: they must agree with mappings too. */
    @Test
    void largeVmosBeyondTheInternalMappingAgreeWithMappings() {
        long size = 1L << 40;
        try (Vmo v = Vmo.create(size, Vmo.RESIZABLE)) {
            byte[] big = pattern(3 * (1 << 20) + 77, 5);
            long at = (1L << 39) + 3;
            v.write(big, at);
            assertArrayEquals(big, read(v, at, big.length));
            try (Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, (1L << 39), 4L << 20)) {
                MemorySegment s = m.segment();
                assertEquals(big[1000], s.get(ValueLayout.JAVA_BYTE, 3 + 1000));
                s.set(ValueLayout.JAVA_BYTE, 2, (byte) 99);
                assertEquals(99, read(v, (1L << 39) + 2, 1)[0]);
                v.zero(at, 10);
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 3 + 5));
            }
            long pages = ((at + big.length + P - 1) / P) - (at / P);
            assertEquals(pages * P, committed(v));
            // Shrinking to where the internal mapping is used again keeps what is left.
            v.setSize(16 * P);
            v.write(new byte[] {7}, 0);
            assertEquals(7, read(v, 0, 1)[0]);
            v.setSize(size);
            assertTrue(TestSupport.allZero(read(v, at, 64)));
        }
    }
}
