package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.DirtyRange;
import io.zxmem.Handle;
import io.zxmem.Message;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pager in one JVM, the VMO's user in another ({@link PagerChild}): the child's reads and
 * mappings become page requests here, the pager's answers (pages, failures, detaching) reach the
 * child, its writes show up in the dirty ranges here, and the VMO lives while the child holds it.
 */
class PagerCrossProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long P = Zx.pageSize();
    private static final int PI = (int) P;

    @TempDir
    Path dir;
    private ChannelServer server;
    private Process child;
    private Channel ch;
    private Path log;
    private Pager pager;

    static String classPath() throws Exception {
        List<String> parts = new ArrayList<>();
        parts.add(Path.of(PagerChild.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        for (String prop : new String[] {"jdk.module.path", "java.class.path"}) {
            String v = System.getProperty(prop);
            if (v != null && !v.isBlank()) {
                for (String p : v.split(File.pathSeparator)) {
                    if (!p.isBlank() && !parts.contains(p)) {
                        parts.add(p);
                    }
                }
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    @BeforeEach
    void startChild() throws Exception {
        pager = Pager.create();
        Path sock = dir.resolve("pager.sock");
        server = Channel.listen(sock);
        String java = ProcessHandle.current().info().command().orElseThrow();
        log = dir.resolve("child.log");
        child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath(),
                PagerChild.class.getName(), sock.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            ch = server.accept(WAIT);
        } catch (ZxException e) {
            throw new AssertionError("the child did not connect: " + childLog(), e);
        }
    }

    @AfterEach
    void stopChild() throws Exception {
        if (ch != null) {
            ch.close();
        }
        server.close();
        if (!child.waitFor(30, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
        }
        pager.close();
    }

    private String childLog() {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return "(no child log: " + e + ")";
        }
    }

    private void send(String command, Handle... handles) {
        ch.write(command.getBytes(StandardCharsets.UTF_8), handles);
    }

    private byte[] answer(String what) {
        try (Message m = ch.read(WAIT)) {
            return m.data();
        } catch (ZxException e) {
            throw new AssertionError(what + ": " + e.getMessage() + "\nchild log:\n" + childLog(), e);
        }
    }

    private String text(String what) {
        return new String(answer(what), StandardCharsets.UTF_8);
    }

    private PageRequest next() {
        try {
            return pager.next(WAIT);
        } catch (ZxException e) {
            throw new AssertionError(e.getMessage() + "\nchild log:\n" + childLog(), e);
        }
    }

    private Vmo giveChild(int pages) {
        Vmo vmo = pager.createVmo(0, pages * P);
        send("take", vmo.duplicate(Rights.SAME_RIGHTS));
        assertEquals("ok " + pages * P, text("take"));
        return vmo;
    }

    static void expect(PageRequest r, int command, Vmo vmo, long page, long pages) {
        assertEquals(command, r.command(), r::toString);
        assertTrue(r.isFor(vmo), r::toString);
        assertEquals(page * P, r.offset(), r::toString);
        assertEquals(pages * P, r.length(), r::toString);
    }

    @Test
    void theOtherJvmsReadsAndMappingsAreServedByThisPager() {
        try (Vmo vmo = giveChild(16)) {
            send("read " + 5 * P + " " + PI);
            expect(next(), PageRequest.READ, vmo, 5, 1);
            PagerTest.supply(pager, vmo, 5, 1, 1);
            assertArrayEquals(PagerTest.content(5, 1, 1), answer("read"));

            send("map 0 " + 4 * P);
            expect(next(), PageRequest.READ, vmo, 0, 4);
            PagerTest.supply(pager, vmo, 0, 4, 2);
            assertArrayEquals(PagerTest.content(0, 4, 2), answer("map"));
            // Memory in use there is what was supplied, not the VMO's 16 pages.
            send("committed");
            assertEquals(5 * P, Long.parseLong(text("committed")));
            assertEquals(0, pager.pendingRequests());
        }
    }

    @Test
    void failuresAndDetachingReachTheOtherJvm() {
        try (Vmo vmo = giveChild(4)) {
            send("read " + 2 * P + " 1");
            expect(next(), PageRequest.READ, vmo, 2, 1);
            pager.opRange(Pager.OP_FAIL, vmo, 2 * P, P, Status.ERR_IO.value());
            assertEquals("error ERR_IO", text("failed read"));

            send("map 0 " + 2 * P);
            expect(next(), PageRequest.READ, vmo, 0, 2);
            pager.opRange(Pager.OP_FAIL, vmo, 0, 2 * P, Status.ERR_BAD_STATE.value());
            assertEquals("error ERR_BAD_STATE", text("failed map"));

            PagerTest.supply(pager, vmo, 3, 1, 3);
            pager.detach(vmo);
            send("read 0 1");
            assertEquals("error ERR_BAD_STATE", text("read after detach"));
            send("read " + 3 * P + " " + PI);
            assertArrayEquals(PagerTest.content(3, 1, 3), answer("supplied page after detach"));
        }
    }

    @Test
    void writesThroughTheOtherJvmsMappingAreDirtyHere() throws Exception {
        try (Vmo vmo = giveChild(4)) {
            PagerTest.supply(pager, vmo, 0, 4, 1);
            send("mapw " + P + " " + 2 * P);
            assertEquals("ok", text("mapw"));
            assertEquals(List.of(new DirtyRange(P, 2 * P, 0)), pager.queryDirtyRanges(vmo, 0, 4 * P));
            assertEquals('W', PagerTest.read(vmo, 2 * P, 1)[0]);
            pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, 4 * P, 0);
            pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, 4 * P, 0);
            assertEquals(List.of(new DirtyRange(P, 2 * P, 0)), pager.queryDirtyRanges(vmo, 0, 4 * P),
                    "the other JVM can still write the window");
            send("unmap");
            assertEquals("ok", text("unmap"));
            // The unmap notice travels on the link, not the command channel: give it a bounded moment.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<DirtyRange> left;
            do {
                pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, 4 * P, 0);
                pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, 4 * P, 0);
                left = pager.queryDirtyRanges(vmo, 0, 4 * P);
                if (left.isEmpty()) {
                    break;
                }
                Thread.sleep(10);
            } while (System.nanoTime() < deadline);
            assertEquals(List.of(), left, "unmapped in the other JVM: the pages may turn clean");
        }
    }

    @Test
    void theOtherJvmKeepsTheVmoAliveUntilItDies() {
        Vmo vmo = giveChild(2);
        long koid = vmo.koid();
        PagerTest.supply(pager, vmo, 0, 1, 5);
        vmo.close();
        send("read 0 " + PI);
        assertArrayEquals(PagerTest.content(0, 1, 5), answer("read"));
        assertEquals(0, pager.pendingRequests(), "COMPLETE while the other JVM still holds the VMO");
        send("exit");
        PageRequest q = next();
        assertEquals(PageRequest.COMPLETE, q.command());
        assertEquals(koid, q.koid());
    }
}
