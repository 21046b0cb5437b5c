package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void createWriteMapReadResize() {
        long p = Zx.pageSize();
        try (Vmo v = Vmo.create(3 * p + 1, Vmo.RESIZABLE)) {
            assertEquals(4 * p, v.size());
            assertEquals(3 * p + 1, v.contentSize());
            v.write(new byte[] {1, 2, 3}, p);
            try (Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * p)) {
                MemorySegment s = m.segment();
                assertEquals(2, s.get(ValueLayout.JAVA_BYTE, p + 1));
                s.set(ValueLayout.JAVA_BYTE, 5, (byte) 9);
                byte[] b = new byte[1];
                v.read(b, 5);
                assertArrayEquals(new byte[] {9}, b);
                v.setSize(p);
                assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, 2 * p));
                v.setSize(4 * p);
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, p + 1));
                m.close();
                assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            }
            assertEquals(Status.ERR_OUT_OF_RANGE, assertThrows(ZxException.class, () -> v.read(new byte[2], 4 * p - 1)).status());
        }
    }

    @Test
    void hugeSparse() {
        try (Vmo v = Vmo.create(0xFFFF_FFFF_FFFC_0000L, 0)) {
            long step = Long.divideUnsigned(0xFFFF_FFFF_FFFC_0000L, 64);
            for (int i = 0; i < 64; i++) {
                long off = step * i;
                v.write(new byte[] {(byte) i, 7}, off);
            }
            for (int i = 0; i < 64; i++) {
                byte[] b = new byte[2];
                v.read(b, step * i);
                assertArrayEquals(new byte[] {(byte) i, 7}, b);
            }
            System.out.println("committed " + v.info().committedBytes());
        }
    }
}
