package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.zxmem.Channel;
import io.zxmem.Status;
import io.zxmem.ZxException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Channel handles dropped without close are closed by the garbage collector, like VMO handles
 * (core's LeakTest). A channel object, unlike a VM object, is in no table of its own: what keeps it
 * reachable while its handle is open is the table of objects with open handles (KernelObject), so
 * that its handle's leak is noticed and its socket closed.
 */
class LeakedChannelTest {

    @Test
    void droppedChannelEndsAreClosedByTheGc() throws InterruptedException {
        System.gc();
        int before = Fds.count();
        for (int i = 0; i < 100; i++) {
            Channel[] c = Channel.createPair();
            c[0].write(new byte[] {1});
        }
        assertNotEquals(before, Fds.count(), "the dropped pairs' sockets are open until collected");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (Fds.count() != before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, Fds.count(), "file descriptors");
    }

    @Test
    void thePeerOfACollectedEndSeesPeerClosed() throws InterruptedException {
        Channel kept = keepOneEnd();
        long deadline = System.nanoTime() + 60_000_000_000L;
        int seen = 0;
        while ((seen & Channel.PEER_CLOSED) == 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            seen = kept.signals();
        }
        try (kept) {
            assertEquals(Channel.PEER_CLOSED, seen & Channel.PEER_CLOSED);
            assertEquals(Status.ERR_PEER_CLOSED, org.junit.jupiter.api.Assertions.assertThrows(ZxException.class,
                    () -> kept.read(Duration.ZERO)).status());
        }
    }

    private static Channel keepOneEnd() {
        Channel[] c = Channel.createPair();
        return c[1];
    }
}
