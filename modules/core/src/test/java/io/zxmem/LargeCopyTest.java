package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Reads and writes of Java arrays large enough to take the memcpy path move exactly the right bytes. */
class LargeCopyTest {

    @Test
    void largeArrayCopiesAtOddOffsetsAgreeWithTheMapping() {
        int n = (3 << 20) + 13; // several 1 MiB chunks and a tail
        long size = 4L << 20;
        try (Vmo v = Vmo.create(size); Arena a = Arena.ofConfined()) {
            MemorySegment s = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, size, a);
            byte[] p = pattern(n, 9);
            v.write(p, 5);
            assertArrayEquals(p, s.asSlice(5, n).toArray(ValueLayout.JAVA_BYTE));
            byte[] back = new byte[n];
            v.read(back, 5);
            assertArrayEquals(p, back);
            // the bytes around the written range are untouched
            MemorySegment before = s.asSlice(0, 5);
            assertArrayEquals(new byte[5], before.toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new byte[7], s.asSlice(5 + n, 7).toArray(ValueLayout.JAVA_BYTE));
            // a read-only heap source works, a range past the end is refused before anything moves
            v.write(MemorySegment.ofArray(pattern(128 << 10, 2)).asReadOnly(), P);
            assertArrayEquals(pattern(128 << 10, 2), s.asSlice(P, 128 << 10).toArray(ValueLayout.JAVA_BYTE));
            assertThrows(ZxException.class, () -> v.read(new byte[1 << 20], size - 100));
        }
    }
}
