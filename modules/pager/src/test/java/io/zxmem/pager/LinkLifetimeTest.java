package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.Message;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.testing.LeakCheckExtension;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * The pager link of a pager VMO sent over a channel lives exactly as long as someone outside the
 * pager's process can still use it: a message that fails to go out, or goes out and dies unread,
 * leaves no link, no link thread and no hold on the VMO behind, so the pager hears COMPLETE once
 * nothing else holds the VMO. (Before {@code Channel.write} closed the sender's copy of the link's
 * far end after {@code sendmsg}, only the receiver's HELLO closed it: every case below but the last
 * left the link, its thread and the VMO alive until the process exited.)
 *
 * <p>The leak check runs after each test: no VMO, descriptor or zxmem thread may be left.
 */
@ExtendWith(LeakCheckExtension.class)
class LinkLifetimeTest {
    static final long P = Zx.pageSize();
    static final Duration WAIT = Duration.ofSeconds(10);

    private Pager pager;
    private Channel a;
    private Channel b;
    /** Link threads running before the test (another test's, still winding down): not this test's. */
    private long linkThreadsBefore;

    @BeforeEach
    void open() {
        linkThreadsBefore = linkThreads();
        pager = Pager.create();
        Channel[] pair = Channel.createPair();
        a = pair[0];
        b = pair[1];
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
        pager.close();
    }

    /** Expects {@code status} from {@code write}, then COMPLETE for {@code koid} and no link left. */
    private void failsThenComplete(Status status, long koid, Executable write) {
        ZxException e = assertThrows(ZxException.class, write);
        assertEquals(status, e.status(), e.getMessage());
        expectComplete(koid);
    }

    private void expectComplete(long koid) {
        PageRequest q = pager.next(WAIT);
        assertEquals(PageRequest.COMPLETE, q.command());
        assertEquals(koid, q.koid());
        awaitNoLinkThread();
    }

    /** The link's reader ends right after it hands the VMO back (that is what sent COMPLETE). */
    private void awaitNoLinkThread() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (linkThreads() > linkThreadsBefore) {
            assertTrue(System.nanoTime() < deadline, "a zxmem-pager-link thread is still running");
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static long linkThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("zxmem-pager-link")).count();
    }

    @Test
    void aSendToAClosedPeerEndsTheLink() {
        Vmo vmo = pager.createVmo(0, 2 * P);
        long koid = vmo.koid();
        b.close();
        failsThenComplete(Status.ERR_PEER_CLOSED, koid, () -> a.write(new byte[] {1}, vmo));
    }

    @Test
    void aSendToAFullQueueEndsTheLink() {
        // Fill b's queue with plain messages until the channel refuses one.
        byte[] chunk = new byte[Channel.MAX_MSG_BYTES];
        ZxException full = null;
        for (int i = 0; i < 100_000 && full == null; i++) {
            try {
                a.write(chunk);
            } catch (ZxException e) {
                full = e;
            }
        }
        assertTrue(full != null && full.status() == Status.ERR_SHOULD_WAIT, "the queue never filled: " + full);
        Vmo vmo = pager.createVmo(0, P);
        long koid = vmo.koid();
        failsThenComplete(Status.ERR_SHOULD_WAIT, koid, () -> a.write(null, vmo));
    }

    @Test
    void aLaterHandleThatCannotTravelEndsTheLinkOfAnEarlierOne() {
        // The pager VMO is exported (its link made) before the discardable VMO is refused.
        Vmo vmo = pager.createVmo(0, P);
        long koid = vmo.koid();
        Vmo discardable = Vmo.create(P, Vmo.DISCARDABLE);
        failsThenComplete(Status.ERR_NOT_SUPPORTED, koid, () -> a.write(null, vmo, discardable));
        assertTrue(!discardable.isValid(), "a written handle is consumed even when the write fails");
    }

    @Test
    void aMessageTooLargeConsumesThePagerVmo() {
        Vmo vmo = pager.createVmo(0, P);
        long koid = vmo.koid();
        failsThenComplete(Status.ERR_OUT_OF_RANGE, koid, () -> a.write(new byte[Channel.MAX_MSG_BYTES + 1], vmo));
    }

    @Test
    void aMessageThatDiesUnreadEndsTheLink() {
        Vmo vmo = pager.createVmo(0, P);
        long koid = vmo.koid();
        a.write(new byte[] {1}, vmo);
        // In the queue, the message holds the VMO alive, as a handle in a Zircon channel does.
        assertEquals(0, pager.pendingRequests(), "COMPLETE while the message was still in the queue");
        b.close(); // the queue and the link's far end in it go with the last reader
        expectComplete(koid);
    }

    @Test
    void aMessageReadLaterStillReachesThePager() throws Exception {
        Vmo vmo = pager.createVmo(0, P);
        long koid = vmo.koid();
        a.write(new byte[] {1}, vmo.<Vmo>duplicate(Rights.SAME_RIGHTS));
        // The sender kept no copy of the link's far end, yet the message in flight keeps the link:
        // the receiver reads it afterwards and its reads reach the pager.
        try (Message m = b.read(WAIT)) {
            Vmo got = m.handle(0, Vmo.class);
            byte[] x = new byte[4];
            Thread reader = Thread.ofPlatform().start(() -> got.read(x, 0));
            PageRequest q = pager.next(WAIT);
            assertEquals(PageRequest.READ, q.command());
            try (Vmo aux = Vmo.create(P)) {
                aux.write(filled(P, (byte) 7), 0);
                pager.supplyPages(vmo, 0, P, aux, 0);
            }
            reader.join(WAIT.toMillis());
            assertTrue(!reader.isAlive(), "the receiver's read never got its page");
            assertArrayEquals(new byte[] {7, 7, 7, 7}, x);
            vmo.close();
            assertEquals(0, pager.pendingRequests(), "COMPLETE while the receiver still holds the VMO");
        }
        expectComplete(koid);
    }

    private static byte[] filled(long n, byte v) {
        byte[] b = new byte[(int) n];
        java.util.Arrays.fill(b, v);
        return b;
    }
}
