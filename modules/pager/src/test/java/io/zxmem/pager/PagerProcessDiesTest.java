package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pager's process dies while this JVM (the receiver) waits in a lazy fault of a mapping: the
 * touch fails with the JVM's unsafe-access error, promptly (long before the fault timeout), and this
 * JVM lives on.
 */
class PagerProcessDiesTest {
    private static final long P = Zx.pageSize();

    @TempDir
    Path dir;

    @Test
    void aTouchWaitingForAPagerProcessThatDiesFails() throws Exception {
        dies("auto");
    }

    /** The same with the relay (the path a pager process of another user gets). */
    @Test
    void aRelayedTouchWaitingForAPagerProcessThatDiesFails() throws Exception {
        dies("never");
    }

    /**
     * @param directFaults this JVM's {@code zxmem.pager.directFaults} while it maps: {@code auto} takes the
     *                     direct path where the pager's process (the same user) is trusted
     */
    private void dies(String directFaults) throws Exception {
        Assumptions.assumeTrue(io.zxmem.cow.LazyFaults.mode() > 0, "no userfaultfd engine here: mappings are eager");
        PagerProcess.Launched l = PagerProcess.launch(dir, java.util.List.of(), PagerCrossProcessTest.classPath(), 64, 9);
        Process pager = l.process();
        Vmo vmo = l.vmo();
        long direct = RemoteStore.DIRECT_WINDOWS.get();
        long relayed = RemoteStore.RELAY_WINDOWS.get();
        Mapping m;
        String old = System.getProperty("zxmem.pager.directFaults");
        System.setProperty("zxmem.pager.directFaults", directFaults);
        try {
            m = vmo.map(Vmar.PERM_READ, 0, 64 * P);
        } finally {
            if (old == null) {
                System.clearProperty("zxmem.pager.directFaults");
            } else {
                System.setProperty("zxmem.pager.directFaults", old);
            }
        }
        int[][] ids = DirectTrust.ownIds();
        boolean expectDirect = directFaults.equals("auto") && DirectTrust.handOver(DirectTrust.Mode.AUTO, ids[0][1], ids[1][1],
                ids[0], ids[1], io.zxmem.cow.LazyFaults.dumpable(), DirectTrust.yamaScope());
        assertEquals(expectDirect ? 1 : 0, RemoteStore.DIRECT_WINDOWS.get() - direct, "direct windows");
        assertEquals(expectDirect ? 0 : 1, RemoteStore.RELAY_WINDOWS.get() - relayed, "relayed windows");
        try (vmo; Mapping mapping = m) {
            assertArrayEquals(PagerTest.content(3, 1, 1), touch(mapping, 3).get(60, TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            CompletableFuture<byte[]> dying = touch(mapping, 9);
            assertEquals(3, pager.waitFor() , "the pager process exit status");
            byte[] seen = dying.get(60, TimeUnit.SECONDS);
            assertEquals(null, seen, "a touch answered by nobody");
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(RemoteStore.FAULT_TIMEOUT_MILLIS),
                    "the touch failed because the pager died, not by the timeout");
            // Pages supplied before stay readable; others fail at once now.
            assertArrayEquals(PagerTest.content(3, 1, 1), touch(mapping, 3).get(60, TimeUnit.SECONDS));
            assertEquals(null, touch(mapping, 20).get(60, TimeUnit.SECONDS));
        } finally {
            pager.destroyForcibly().waitFor();
        }
    }

    /** Touches a page on another thread. @return its bytes, or null when the touch faulted */
    private static CompletableFuture<byte[]> touch(Mapping mapping, long page) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(PagerChild.touch(mapping, page));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        t.start();
        return f;
    }
}
