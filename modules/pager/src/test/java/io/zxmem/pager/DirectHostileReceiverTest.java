package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pager's process bounds what one receiver makes it hold ({@link DirectServer#MAX_WINDOWS_HELD}),
 * against a receiver that is not zxmem's code: this test opens a direct connection over a bare link
 * (as RemoteStore does) and sends more windows, each with a userfaultfd, than allowed. The pager's
 * process (a second JVM, {@link PagerProcess}) ends that connection, its descriptor count comes back to
 * where it was, and it keeps serving another receiver (this JVM's lazy mapping of its VMO, direct).
 */
class DirectHostileReceiverTest {
    private static final long P = Zx.pageSize();

    @TempDir
    Path dir;

    @Test
    void aReceiverPastTheBoundLosesItsConnectionAndNothingElse() throws Throwable {
        Assumptions.assumeTrue(io.zxmem.cow.LazyFaults.mode() > 0, "no userfaultfd engine here: mappings are eager");
        int[][] ids = DirectTrust.ownIds();
        Assumptions.assumeTrue(DirectTrust.handOver(DirectTrust.mode(), ids[0][1], ids[1][1], ids[0], ids[1],
                io.zxmem.cow.LazyFaults.dumpable(), DirectTrust.yamaScope()), "the pager's process (this user) is not trusted here");
        int uffd = RawDirect.userfaultfd();
        Assumptions.assumeTrue(uffd >= 0, "no userfaultfd for this user");
        PagerProcess.Launched l = PagerProcess.launch(dir, List.of(), PagerCrossProcessTest.classPath(), 16, 17, true);
        Process pager = l.process();
        long direct = RemoteStore.DIRECT_WINDOWS.get();
        try (Vmo vmo = l.vmo(); Channel link = l.link(); Mapping m = vmo.map(Vmar.PERM_READ, 0, 16 * P)) {
            assertEquals(1, RemoteStore.DIRECT_WINDOWS.get() - direct, "this JVM's window is direct");
            assertArrayEquals(PagerTest.content(0, 1, 1), PagerChild.touch(m, 0));
            int before = RawDirect.descriptors(pager.pid());
            int sent = 0;
            try (RawDirect hostile = RawDirect.listen(dir)) {
                assertEquals(0, hostile.connect(link, 1, ProcessHandle.current().pid()), "the pager's process connected");
                // The same userfaultfd again and again: each message installs a new descriptor there.
                for (int i = 0; i <= DirectServer.MAX_WINDOWS_HELD; i++) {
                    if (hostile.send(RawDirect.DWIN, 100 + i, 0x100000000L + i * P, P, 0, uffd) != 56) {
                        break; // ended already
                    }
                    sent++;
                }
                assertEquals(DirectServer.MAX_WINDOWS_HELD + 1, sent, "windows sent before the end");
                assertTrue(hostile.endedWithin(TimeUnit.SECONDS.toMillis(30)), "the pager's process ended the connection");
            } finally {
                RawDirect.closeFd(uffd);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int after = RawDirect.descriptors(pager.pid());
            while (after != before && System.nanoTime() < deadline) {
                Thread.sleep(20);
                after = RawDirect.descriptors(pager.pid());
            }
            assertEquals(before, after, "the pager process's descriptors");
            assertTrue(pager.isAlive());
            // The other receiver is served as before, directly.
            assertArrayEquals(PagerTest.content(5, 1, 1), PagerChild.touch(m, 5));
            assertArrayEquals(PagerTest.content(9, 1, 1), PagerChild.touch(m, 9));
        } finally {
            pager.destroyForcibly().waitFor();
        }
    }
}
