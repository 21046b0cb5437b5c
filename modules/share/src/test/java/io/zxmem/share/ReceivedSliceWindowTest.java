package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A slice received over a channel is a window of its parent's file in the receiver; mapping it
 * longer than itself, or past its end, must not reach the parent's pages outside the window
 * (issue 12, item 2).
 */
class ReceivedSliceWindowTest {
    private static final long P = Zx.pageSize();

    /** @return the InternalError raised by touching {@code off} (at once, or late: delivered by the native call) */
    static Throwable touch(MemorySegment s, long off, boolean write, byte[] seen) {
        try {
            if (write) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 0x5A);
            } else {
                seen[0] = s.get(ValueLayout.JAVA_BYTE, off);
            }
            Thread.holdsLock(seen);
            return null;
        } catch (InternalError e) {
            return e;
        }
    }

    @Test
    void aReceivedSliceMappedPastItsEndNeverShowsTheParent() {
        byte[] whole = new byte[(int) (4 * P)];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = (byte) (1 + i % 251);
        }
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo parent = Vmo.create(4 * P)) {
            parent.write(whole, 0);
            a.write(null, parent.createChild(Vmo.CHILD_SLICE, P, P));
            try (Message m = b.read(Duration.ofSeconds(1))) {
                Vmo slice = m.handle(0, Vmo.class);
                try (Mapping map = slice.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 3 * P)) {
                    byte[] in = new byte[(int) P];
                    MemorySegment.copy(map.segment(), ValueLayout.JAVA_BYTE, 0, in, 0, in.length);
                    assertArrayEquals(Arrays.copyOfRange(whole, (int) P, (int) (2 * P)), in);
                    for (long off = P; off < 3 * P; off += P) {
                        byte[] seen = new byte[1];
                        assertNotNull(touch(map.segment(), off, false, seen), "read " + off + " gave " + seen[0]);
                        assertNotNull(touch(map.segment(), off, true, seen), "write " + off + " did not fault");
                    }
                }
                try (Mapping map = slice.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 2 * P, P)) {
                    byte[] seen = new byte[1];
                    assertNotNull(touch(map.segment(), 0, false, seen), "read past the end gave " + seen[0]);
                    assertNotNull(touch(map.segment(), 0, true, seen));
                }
            }
            assertArrayEquals(whole, read(parent, 4 * P), "nothing reached the sender's parent");
        }
    }

    private static byte[] read(Vmo v, long n) {
        byte[] b = new byte[(int) n];
        v.read(b, 0);
        return b;
    }
}
