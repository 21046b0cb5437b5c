package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Channel;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A memfd that went through a channel is never recycled: its other holders would see the next VMO's bytes. */
class RecycledMemfdTest {
    private static final int P = (int) Zx.pageSize();

    @Test
    void aSentVmosMemfdIsNotReusedForTheNextVmos() throws Exception {
        Zx.releasePooledMemfds();
        byte[] original = new byte[P];
        Arrays.fill(original, (byte) 0x3C);
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]) {
            Vmo received;
            try (Vmo v = Vmo.create(P)) {
                v.write(original, 0);
                a.write(null, v.duplicate(Rights.SAME_RIGHTS));
                try (Message m = b.read(Duration.ofSeconds(5))) {
                    received = ((Vmo) m.handles().get(0)).duplicate(Rights.SAME_RIGHTS);
                }
            }
            // The sender's VMO is gone; new VMOs of the same size must get fresh files.
            assertEquals(0, Zx.pooledMemfds(), "a memfd that left through a channel went back to the pool");
            try (received) {
                for (int i = 0; i < 8; i++) {
                    try (Vmo next = Vmo.create(P)) {
                        byte[] other = new byte[P];
                        Arrays.fill(other, (byte) i);
                        next.write(other, 0);
                    }
                }
                byte[] now = new byte[P];
                received.read(now, 0);
                assertArrayEquals(original, now, "the received VMO shows another VMO's bytes");
            }
        }
        Zx.releasePooledMemfds();
    }
}
