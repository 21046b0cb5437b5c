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
    /** The child's limit on a lazy fault's wait for this pager (a pager that never answers). */
    private static final Duration FAULT_TIMEOUT = Duration.ofSeconds(8);

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

    /**
     * The child's {@code zxmem.pager.directFaults}: {@code auto} here (this test JVM, the pager, runs as
     * the same user as the child, so lazy windows are direct where that user is trusted), {@code never}
     * in {@link PagerCrossProcessRelayTest}, so that the relay stays covered.
     */
    String directFaults() {
        return "auto";
    }

    /** The child's {@code zxmem.pager.directPoison}: false in {@link PagerCrossProcessNoPoisonTest}. */
    boolean directPoison() {
        return true;
    }

    /** Whether the child's lazy windows are served by this process directly (see {@link DirectTrust}). */
    boolean expectDirect() {
        int[][] ids = DirectTrust.ownIds();
        return !"never".equals(directFaults()) && DirectTrust.handOver(DirectTrust.Mode.AUTO, ids[0][1], ids[1][1],
                ids[0], ids[1], io.zxmem.cow.LazyFaults.dumpable(), DirectTrust.yamaScope());
    }

    /** The child's lazy windows so far took the path this class expects, and some were made. */
    void assertLazyPath() {
        send("paths");
        String[] n = text("paths").split(" ");
        long direct = Long.parseLong(n[0]);
        long relayed = Long.parseLong(n[1]);
        if (expectDirect()) {
            assertTrue(direct > 0 && relayed == 0, "direct " + direct + ", relayed " + relayed + ": expected direct windows");
        } else {
            assertTrue(direct == 0 && relayed > 0, "direct " + direct + ", relayed " + relayed + ": expected relayed windows");
        }
    }

    @BeforeEach
    void startChild() throws Exception {
        pager = Pager.create();
        Path sock = dir.resolve("pager.sock");
        server = Channel.listen(sock);
        String java = ProcessHandle.current().info().command().orElseThrow();
        log = dir.resolve("child.log");
        child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-Dzxmem.pager.faultTimeoutMillis=" + FAULT_TIMEOUT.toMillis(), "-Dzxmem.pager.directFaults=" + directFaults(),
                "-Dzxmem.pager.directPoison=" + directPoison(),
                "-cp", classPath(),
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

            boolean lazy = lazy();
            send("map 0 " + 4 * P);
            // A lazy window asks for the page its first touch needs; an eager one for all of it.
            expect(next(), PageRequest.READ, vmo, 0, lazy ? 1 : 4);
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

            boolean lazy = lazy();
            send("map 0 " + 2 * P);
            expect(next(), PageRequest.READ, vmo, 0, lazy ? 1 : 2);
            pager.opRange(Pager.OP_FAIL, vmo, 0, 2 * P, Status.ERR_BAD_STATE.value());
            // Lazily, the failure reaches the touch of the mapping itself: the JVM's unsafe-access error.
            assertEquals(lazy ? "fault" : "error ERR_BAD_STATE", text("failed map"));

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

    /** Whether the child maps pager VMOs lazily (its userfaultfd engine runs). */
    private boolean lazy() {
        send("lazymode");
        return !"0".equals(text("lazymode"));
    }

    private void assumeLazy() {
        org.junit.jupiter.api.Assumptions.assumeTrue(lazy(), "no userfaultfd engine in the child: mappings are eager");
    }

    private Vmo giveChildBytes(long size) {
        Vmo vmo = pager.createVmo(0, size);
        send("take", vmo.duplicate(Rights.SAME_RIGHTS));
        assertEquals("ok " + size, text("take"));
        return vmo;
    }

    /** The child touches page {@code page}; this pager serves the one READ request it must cause. */
    private void touchServed(Vmo vmo, long page, int seed) {
        send("touch " + page);
        expect(next(), PageRequest.READ, vmo, page, 1);
        PagerTest.supply(pager, vmo, page, 1, seed);
        assertArrayEquals(PagerTest.content(page, 1, seed), answer("touch " + page));
    }

    /**
     * The snapshot-restore case: the other JVM maps 1 GiB of a pager VMO and touches 3 pages. The pager
     * hears of exactly those pages, one request each, and the other JVM's memory grew by those pages.
     */
    @Test
    void aLazyMappingAsksOnlyForTheTouchedPages() throws Exception {
        assumeLazy();
        long size = 1L << 30;
        try (Vmo vmo = giveChildBytes(size)) {
            send("mapr 0 " + size);
            assertEquals("ok", text("mapr"));
            assertEquals(0, pager.pendingRequests(), "mapping asked for pages");
            send("rss");
            assertEquals(0, Long.parseLong(text("rss")), "resident before any touch");
            long[] pages = {7, 4096, size / P - 1};
            for (int i = 0; i < pages.length; i++) {
                touchServed(vmo, pages[i], 10 + i);
            }
            send("touch " + pages[1]);
            assertArrayEquals(PagerTest.content(pages[1], 1, 11), answer("touch again"), "a second touch needs no pager");
            assertEquals(0, pager.pendingRequests());
            send("rss");
            assertEquals(3 * P / 1024, Long.parseLong(text("rss")), "resident in the other JVM: the 3 touched pages");
            assertEquals(3 * P, vmo.info().committedBytes());
            send("committed");
            assertEquals(3 * P, Long.parseLong(text("committed")));
            assertLazyPath();
        }
    }

    /**
     * Touches served from memory ({@link Pager#supplyPages(Vmo, long, java.lang.foreign.MemorySegment)}).
     * With direct windows, one {@code UFFDIO_COPY} puts each page in the other JVM's mapping and in the
     * VMO's file; over the relay the file is written as from an aux VMO. Either way the page is the
     * VMO's now: this JVM reads it, and a new mapping there shows it with no request. A supply wider
     * than the request fills the faulted page and the others, and keeps a page supplied before.
     */
    @Test
    void lazyTouchesSuppliedFromMemoryReachTheMappingAndTheVmo() {
        assumeLazy();
        try (Vmo vmo = giveChild(8); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            send("mapr 0 " + 8 * P);
            assertEquals("ok", text("mapr"));
            send("touch 2");
            expect(next(), PageRequest.READ, vmo, 2, 1);
            PagerTest.supplyFromMemory(pager, vmo, 2, 1, 22, arena);
            assertArrayEquals(PagerTest.content(2, 1, 22), answer("touch 2"));
            PagerTest.supply(pager, vmo, 5, 1, 25);
            send("touch 6");
            expect(next(), PageRequest.READ, vmo, 6, 1);
            PagerTest.supplyFromMemory(pager, vmo, 5, 3, 26, arena);
            assertArrayEquals(PagerTest.content(6, 1, 26), answer("touch 6"));
            assertEquals(0, pager.pendingRequests());
            assertArrayEquals(PagerTest.content(2, 1, 22), PagerTest.read(vmo, 2 * P, PI));
            assertArrayEquals(PagerTest.content(5, 1, 25), PagerTest.read(vmo, 5 * P, PI), "a page supplied before changed");
            assertArrayEquals(PagerTest.content(6, 2, 26), PagerTest.read(vmo, 6 * P, 2 * PI));
            send("unmap");
            assertEquals("ok", text("unmap"));
            send("mapr 0 " + 8 * P);
            assertEquals("ok", text("mapr"));
            for (long page : new long[] {2, 5, 6, 7}) {
                send("touch " + page);
                assertArrayEquals(PagerTest.read(vmo, page * P, PI), answer("touch " + page + " again"));
            }
            assertEquals(0, pager.pendingRequests(), "a supplied page asked again");
            send("committed");
            assertEquals(4 * P, Long.parseLong(text("committed")));
            assertLazyPath();
        }
    }

    /**
     * Four threads of the other JVM read every page of a lazy mapping (256) at once, each in its own order,
     * while this pager serves the requests as they come, from memory and from aux VMOs in turn: several
     * faults on one page, copies into the window racing the other threads' faults, and pages written
     * into the file while other threads fault on them (a page written through the pager's mapping was
     * visible to them zeroed before its bytes were in: {@code MemfdStore.writeWhole}). Every thread
     * sees every page's supplied bytes, and the VMO here holds the same.
     */
    @Test
    void concurrentTouchesOfALazyMappingAllSeeTheSuppliedPages() throws Exception {
        assumeLazy();
        int pages = 256;
        try (Vmo vmo = giveChild(pages)) {
            send("mapr 0 " + pages * P);
            assertEquals("ok", text("mapr"));
            send("touchpar 4");
            // This pager serves until the child answers: however long its threads take, none is left
            // waiting for a request nobody takes.
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread server = Thread.ofPlatform().start(() -> {
                int served = 0;
                while (!done.get()) {
                    PageRequest r;
                    try {
                        r = pager.next(Duration.ofMillis(100));
                    } catch (ZxException e) {
                        if (e.status() == Status.ERR_TIMED_OUT) {
                            continue;
                        }
                        failed.set(e);
                        return;
                    }
                    try {
                        assertEquals(PageRequest.READ, r.command(), r::toString);
                        long first = r.offset() / P;
                        long n = r.length() / P;
                        if ((served++ & 1) == 0) {
                            try (java.lang.foreign.Arena mine = java.lang.foreign.Arena.ofConfined()) {
                                PagerTest.supplyFromMemory(pager, vmo, first, n, 40, mine);
                            }
                        } else {
                            PagerTest.supply(pager, vmo, first, n, 40);
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                        return;
                    }
                }
            });
            String answer;
            try {
                answer = text("touchpar");
            } finally {
                done.set(true);
                server.join();
            }
            if (failed.get() != null) {
                throw new AssertionError("the pager's thread failed", failed.get());
            }
            String[] crcs = answer.split(" ");
            assertEquals(pages, crcs.length, () -> "the child's threads disagree or faulted: " + String.join(" ", crcs));
            for (int i = 0; i < pages; i++) {
                java.util.zip.CRC32 c = new java.util.zip.CRC32();
                c.update(PagerTest.content(i, 1, 40));
                assertEquals(c.getValue(), Long.parseLong(crcs[i]), "page " + i);
            }
            assertArrayEquals(PagerTest.content(0, pages, 40), PagerTest.read(vmo, 0, pages * PI));
            assertEquals(0, pager.pendingRequests());
            assertLazyPath();
        }
    }

    /** OP_FAIL on a page a touch waits for: the touching thread gets the JVM's unsafe-access error, the JVM lives on. */
    @Test
    void aFailedLazyPageFailsTheTouchNotTheJvm() {
        assumeLazy();
        try (Vmo vmo = giveChild(8)) {
            send("mapr 0 " + 8 * P);
            assertEquals("ok", text("mapr"));
            send("touch 2");
            expect(next(), PageRequest.READ, vmo, 2, 1);
            pager.opRange(Pager.OP_FAIL, vmo, 2 * P, P, Status.ERR_IO_DATA_INTEGRITY.value());
            assertEquals("fault", text("failed touch"));
            // The failed page stays failed in this mapping (no new request); the others work.
            send("touch 2");
            assertEquals("fault", text("failed page again"));
            touchServed(vmo, 3, 4);
            assertEquals(0, pager.pendingRequests());
            // A new mapping asks again.
            send("unmap");
            assertEquals("ok", text("unmap"));
            send("mapr 0 " + 8 * P);
            assertEquals("ok", text("mapr"));
            touchServed(vmo, 2, 5);
            assertLazyPath();
        }
    }

    /** Detaching (and closing the pager) while a touch waits: BAD_STATE there, a fault of the touch here. */
    @Test
    void detachingWhileATouchWaitsFailsTheTouch() {
        assumeLazy();
        try (Vmo vmo = giveChild(4)) {
            PagerTest.supply(pager, vmo, 0, 1, 6);
            send("mapr 0 " + 4 * P);
            assertEquals("ok", text("mapr"));
            send("touch 1");
            expect(next(), PageRequest.READ, vmo, 1, 1);
            pager.detach(vmo);
            assertEquals("fault", text("touch after detach"));
            send("touch 0");
            assertArrayEquals(PagerTest.content(0, 1, 6), answer("a page supplied before the detach"));
            assertLazyPath();
        }
    }

    /** A pager that never answers: the touch fails after the child's fault timeout instead of hanging its JVM. */
    @Test
    void aPagerThatNeverAnswersFailsTheTouchAfterTheTimeout() {
        assumeLazy();
        try (Vmo vmo = giveChild(4)) {
            send("mapr 0 " + 4 * P);
            assertEquals("ok", text("mapr"));
            long t0 = System.nanoTime();
            send("touch 3");
            expect(next(), PageRequest.READ, vmo, 3, 1);
            assertEquals("fault", text("unanswered touch"));
            assertTrue(System.nanoTime() - t0 >= FAULT_TIMEOUT.toNanos() / 2, "failed before the timeout");
            assertLazyPath();
        }
    }

    /**
     * Closing the mapping while a touch of it waits for this pager (which does not answer): the close
     * completes, the touch fails with the unsafe-access error, the other JVM lives on, and the VMO
     * still works there.
     */
    @Test
    void closingAMappingWhileATouchWaits() {
        assumeLazy();
        try (Vmo vmo = giveChild(4)) {
            send("mapr 0 " + 4 * P);
            assertEquals("ok", text("mapr"));
            send("touchclose 1");
            expect(next(), PageRequest.READ, vmo, 1, 1);
            String r = text("touch during close");
            assertTrue(r.equals("closed fault") || r.equals("closed closed"), r);
            PagerTest.supply(pager, vmo, 1, 1, 7); // a late answer finds nobody waiting: harmless
            send("read " + P + " " + PI);
            assertArrayEquals(PagerTest.content(1, 1, 7), answer("read after the close"));
            send("mapr 0 " + 4 * P);
            assertEquals("ok", text("mapr"));
            send("touch 1");
            assertArrayEquals(PagerTest.content(1, 1, 7), answer("touch of a new mapping"));
            assertLazyPath();
        }
    }

    /** Writes through a lazy writable window: pages fault in on demand and are dirty here. */
    @Test
    void writesThroughALazyWindowAreDirtyHere() {
        assumeLazy();
        try (Vmo vmo = giveChild(8)) {
            PagerTest.supply(pager, vmo, 0, 1, 8);
            send("mapr 0 " + 8 * P + " w");
            assertEquals("ok", text("mapw"));
            assertEquals(0, pager.pendingRequests());
            assertEquals(List.of(new DirtyRange(0, P, 0)), pager.queryDirtyRanges(vmo, 0, 8 * P),
                    "supplied pages of a writable window are dirty");
            send("poke 5 Z");
            expect(next(), PageRequest.READ, vmo, 5, 1);
            PagerTest.supply(pager, vmo, 5, 1, 9);
            assertEquals("ok", text("poke"));
            assertEquals('Z', PagerTest.read(vmo, 5 * P, 1)[0]);
            assertEquals(List.of(new DirtyRange(0, P, 0), new DirtyRange(5 * P, P, 0)), pager.queryDirtyRanges(vmo, 0, 8 * P));
            assertLazyPath();
        }
    }

    /**
     * A system call that writes into a lazy page (a VMO read into the mapping): with a full userfaultfd
     * the kernel's fault is served as a touch is; with a user-mode-only one (ordinary users) the call
     * gets EFAULT and zxmem copies through a bounce buffer. Either way the bytes land.
     */
    @Test
    void aSystemCallIntoALazyPageIsServed() {
        assumeLazy();
        try (Vmo vmo = giveChild(4)) {
            send("mapr 0 " + 4 * P + " w");
            assertEquals("ok", text("mapw"));
            send("kernelread 2");
            expect(next(), PageRequest.READ, vmo, 2, 1);
            PagerTest.supply(pager, vmo, 2, 1, 3);
            byte[] seen = answer("kernelread");
            assertEquals('K', seen[0]);
            assertEquals('R', seen[1]);
            assertEquals(0, seen[2], "the rest of the page is what the read brought: zeros");
            assertLazyPath();
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

    /** @return this process's open userfaultfds (the ones it holds for other processes' direct windows among them) */
    static long userfaultfds() throws Exception {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("anon_inode:[userfaultfd]")) {
                        n++;
                    }
                } catch (java.io.IOException gone) {
                    // closed meanwhile (the listing's own descriptor, among others)
                }
            }
        }
        return n;
    }

    /** Waits (bounded) until this process holds {@code expected} userfaultfds. @return how many it holds */
    static long awaitUserfaultfds(long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long n;
        while ((n = userfaultfds()) != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return n;
    }

    /**
     * This pager's process holds a direct window's userfaultfd while the window exists, and closes it
     * when the other JVM unmaps the window, and when that JVM dies with a window mapped.
     */
    @Test
    void thisProcessClosesTheUserfaultfdsOfDirectWindowsWhenTheyGo() throws Exception {
        assumeLazy();
        long base = userfaultfds();
        long each = expectDirect() ? 1 : 0;
        try (Vmo vmo = giveChild(4)) {
            send("mapr 0 " + 4 * P);
            assertEquals("ok", text("mapr"));
            touchServed(vmo, 1, 3);
            assertEquals(base + each, awaitUserfaultfds(base + each), "while the window is mapped");
            send("unmap");
            assertEquals("ok", text("unmap"));
            assertEquals(base, awaitUserfaultfds(base), "after the unmap");
            send("mapr 0 " + 4 * P);
            assertEquals("ok", text("mapr"));
            touchServed(vmo, 2, 4);
            assertEquals(base + each, awaitUserfaultfds(base + each), "a new window");
            assertLazyPath();
            send("exit");
            assertEquals(0, child.waitFor());
            assertEquals(base, awaitUserfaultfds(base), "after the other JVM died");
        }
    }
}
