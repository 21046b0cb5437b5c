package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.DirtyRange;
import io.zxmem.Mapping;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.VmoInfo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Ports of Fuchsia's user-pager tests ({@code zircon/system/utest/core/pager/pager.cc} and its dirty
 * tracking companion {@code pager-writeback.cc}) against zxmem's Java API. Each test names the case it
 * ports. Zircon runs most cases twice, once through {@code zx_vmo_read} and once through a mapping
 * ({@code VMO_VMAR_TEST}); here the {@code read}/{@code write} half is ported case by case, and the
 * mapping half as zxmem does mappings in the pager's own JVM: {@code map} waits for the window's pages
 * (see the module README for why a fault must never wait for a Java pager of the same JVM).
 * The accessor runs on a second thread, the test thread is the pager, as in Zircon's tests.
 */
class PagerTest {
    static final long P = Zx.pageSize();
    static final int PI = (int) P;
    static final Duration WAIT = Duration.ofSeconds(20);

    private ExecutorService pool;
    private final List<AutoCloseable> closers = new ArrayList<>();

    @BeforeEach
    void start() {
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pager-test-accessor");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closers.size() - 1; i >= 0; i--) {
            closers.get(i).close();
        }
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS), "an accessor thread is still blocked");
    }

    private <T extends AutoCloseable> T keep(T c) {
        closers.add(c);
        return c;
    }

    private Pager pager() {
        return keep(Pager.create());
    }

    private Vmo vmo(Pager pager, int options, long pages) {
        return keep(pager.createVmo(options, pages * P));
    }

    /** The bytes of pages {@code [firstPage, firstPage+pages)} for {@code seed}: a function of the VMO offset, never zero. */
    static byte[] content(long firstPage, long pages, int seed) {
        byte[] b = new byte[(int) (pages * P)];
        for (int i = 0; i < b.length; i++) {
            long at = firstPage * P + i;
            b[i] = (byte) (1 + Long.remainderUnsigned(at * 7 + (at / P) * 13 + seed * 29L, 250));
        }
        return b;
    }

    /** Supplies {@code [page, page+pages)} with {@link #content} through a fresh aux VMO. */
    static void supply(Pager pager, Vmo vmo, long page, long pages, int seed) {
        try (Vmo aux = Vmo.create(pages * P)) {
            aux.write(content(page, pages, seed), 0);
            pager.supplyPages(vmo, page * P, pages * P, aux, 0);
        }
    }

    static byte[] read(Vmo v, long offset, int n) {
        byte[] b = new byte[n];
        v.read(b, offset);
        return b;
    }

    private <T> Future<T> async(Callable<T> c) {
        return pool.submit(c);
    }

    private Future<byte[]> asyncRead(Vmo v, long offset, int n) {
        return async(() -> read(v, offset, n));
    }

    static <T> T done(Future<T> f) throws Exception {
        return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    static ZxException failure(Future<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof ZxException, () -> "expected a ZxException, got " + e.getCause());
        return (ZxException) e.getCause();
    }

    static void status(Status s, Executable e) {
        ZxException x = assertThrows(ZxException.class, e);
        assertEquals(s, x.status(), x.getMessage());
    }

    static void expect(PageRequest r, int command, Vmo vmo, long page, long pages) {
        assertEquals(command, r.command(), r::toString);
        assertTrue(r.isFor(vmo), r::toString);
        assertEquals(page * P, r.offset(), r::toString);
        assertEquals(pages * P, r.length(), r::toString);
    }

    // ---------------------------------------------------------------- pager.cc: supply

    /** pager.cc {@code SinglePageTest}: a read of a missing page waits for one READ request and its supply. */
    @Test
    void singlePageTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 1);
        Future<byte[]> r = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        assertFalse(r.isDone(), "the read returned before the page was supplied");
        supply(pager, vmo, 0, 1, 1);
        assertArrayEquals(content(0, 1, 1), done(r));
        assertEquals(0, pager.pendingRequests());
    }

    /** pager.cc {@code PresentPageTest}: pages supplied before any access are read without a request. */
    @Test
    void presentPageTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        supply(pager, vmo, 0, 2, 3);
        assertArrayEquals(content(0, 2, 3), read(vmo, 0, 2 * PI));
        assertEquals(0, pager.pendingRequests());
    }

    /** pager.cc {@code BulkSingleSupplyTest}: a read of many pages asks once for the run, one supply serves it. */
    @Test
    void bulkSingleSupplyTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 8);
        Future<byte[]> r = asyncRead(vmo, 0, 8 * PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 8);
        supply(pager, vmo, 0, 8, 5);
        assertArrayEquals(content(0, 8, 5), done(r));
    }

    /**
     * pager.cc {@code BulkOddLengthSupplyTest} and {@code BulkOddOffsetSupplyTest}: the request is
     * answered by several supplies of odd lengths at odd offsets; the reader wakes after the last.
     */
    @Test
    void bulkOddLengthAndOffsetSupplyTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 16);
        Future<byte[]> r = asyncRead(vmo, 0, 16 * PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 16);
        long[][] pieces = {{3, 5}, {0, 1}, {8, 7}, {1, 2}, {15, 1}};
        for (long[] p : pieces) {
            assertFalse(r.isDone(), "the read returned before every page was supplied");
            supply(pager, vmo, p[0], p[1], 9);
        }
        assertArrayEquals(content(0, 16, 9), done(r));
    }

    /** pager.cc {@code OverlapSupplyTest}: supplying a page twice keeps the first content. */
    @Test
    void overlapSupplyTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        supply(pager, vmo, 0, 3, 1);
        supply(pager, vmo, 1, 3, 2);
        byte[] all = read(vmo, 0, 4 * PI);
        byte[] expected = content(0, 4, 1);
        System.arraycopy(content(3, 1, 2), 0, expected, 3 * PI, PI);
        assertArrayEquals(expected, all);
    }

    /** pager.cc {@code ManyRequestTest}: concurrent readers of distinct pages each get a request, served in any order. */
    @Test
    void manyRequestTest() throws Exception {
        Pager pager = pager();
        int n = 8;
        Vmo vmo = vmo(pager, 0, n);
        List<Future<byte[]>> readers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            readers.add(asyncRead(vmo, i * P, PI));
        }
        Set<Long> asked = new HashSet<>();
        for (int i = 0; i < n; i++) {
            PageRequest q = pager.next(WAIT);
            assertEquals(PageRequest.READ, q.command());
            assertEquals(P, q.length());
            assertTrue(asked.add(q.offset()), "page asked twice: " + q);
        }
        for (int i = n - 1; i >= 0; i--) {
            supply(pager, vmo, i, 1, 4);
        }
        for (int i = 0; i < n; i++) {
            assertArrayEquals(content(i, 1, 4), done(readers.get(i)));
        }
        assertEquals(0, pager.pendingRequests());
    }

    /** pager.cc {@code ConcurrentOverlappingReadTest}: readers of one missing page share one request. */
    @Test
    void concurrentOverlappingReadTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 1);
        List<Future<byte[]>> readers = new ArrayList<>();
        Future<byte[]> first = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        for (int i = 0; i < 4; i++) {
            readers.add(asyncRead(vmo, 0, PI));
        }
        readers.add(first);
        supply(pager, vmo, 0, 1, 6);
        for (Future<byte[]> r : readers) {
            assertArrayEquals(content(0, 1, 6), done(r));
        }
        assertEquals(0, pager.pendingRequests(), "a second request went out for a page already requested");
    }

    /** pager.cc {@code CommitTest}: COMMIT waits for the pages; they count as committed afterwards. */
    @Test
    void commitTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        Future<Object> c = async(() -> {
            vmo.commit(P, 2 * P);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 2);
        supply(pager, vmo, 1, 2, 2);
        done(c);
        assertEquals(2 * P, vmo.info().committedBytes());
        assertArrayEquals(content(1, 2, 2), read(vmo, P, 2 * PI));
    }

    /** pager.cc {@code DecommitTest}: DECOMMIT of a pager VMO is not supported. */
    @Test
    void decommitTest() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        supply(pager, vmo, 0, 2, 1);
        status(Status.ERR_NOT_SUPPORTED, () -> vmo.decommit(0, P));
        assertArrayEquals(content(0, 2, 1), read(vmo, 0, 2 * PI));
    }

    /** pager.cc {@code SupplyMovesPages} (the aux VMO's pages move): the aux range reads zero afterwards. */
    @Test
    void supplyTakesTheAuxPages() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        try (Vmo aux = Vmo.create(3 * P)) {
            aux.write(content(0, 3, 7), 0);
            pager.supplyPages(vmo, 0, 2 * P, aux, P);
            assertArrayEquals(new byte[2 * PI], read(aux, P, 2 * PI));
            assertArrayEquals(java.util.Arrays.copyOf(content(0, 3, 7), PI), read(aux, 0, PI));
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(content(0, 3, 7), PI, 3 * PI), read(vmo, 0, 2 * PI));
    }

    // ---------------------------------------------------------------- zxmem: supply from memory

    /** Supplies {@code [page, page+pages)} with {@link #content} from a segment of {@code arena}. */
    static void supplyFromMemory(Pager pager, Vmo vmo, long page, long pages, int seed, java.lang.foreign.Arena arena) {
        java.lang.foreign.MemorySegment src = arena.allocate(pages * P, P);
        src.copyFrom(java.lang.foreign.MemorySegment.ofArray(content(page, pages, seed)));
        pager.supplyPages(vmo, page * P, src);
    }

    /** Supplied from memory, a waiting read gets the bytes; the source is left as it was. */
    @Test
    void supplyFromMemoryServesAWaitingRead() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        Future<byte[]> r = asyncRead(vmo, P, 2 * PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 2);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment src = arena.allocate(2 * P, P);
            src.copyFrom(java.lang.foreign.MemorySegment.ofArray(content(1, 2, 5)));
            pager.supplyPages(vmo, P, src);
            assertArrayEquals(content(1, 2, 5), done(r));
            assertArrayEquals(content(1, 2, 5), src.toArray(ValueLayout.JAVA_BYTE), "the source changed");
        }
        assertEquals(0, pager.pendingRequests());
        assertEquals(2 * P, vmo.info().committedBytes());
    }

    /** A heap segment works as well; pages supplied before keep their content, as with an aux VMO. */
    @Test
    void supplyFromMemoryKeepsPagesSuppliedBefore() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 3);
        supply(pager, vmo, 1, 1, 1);
        pager.supplyPages(vmo, 0, java.lang.foreign.MemorySegment.ofArray(content(0, 3, 2)));
        byte[] expected = content(0, 3, 2);
        System.arraycopy(content(1, 1, 1), 0, expected, PI, PI);
        assertArrayEquals(expected, read(vmo, 0, 3 * PI));
        // A mapping of the VMO sees the same bytes, with no request.
        try (Mapping m = Vmar.root().map(Vmar.PERM_READ, vmo, 0, 3 * P)) {
            assertArrayEquals(expected, m.segment().toArray(ValueLayout.JAVA_BYTE));
        }
        assertEquals(0, pager.pendingRequests());
    }

    /** Every bad argument of the memory form, in the order its Javadoc gives; a failed call supplies nothing. */
    @Test
    void invalidSupplyFromMemory() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        Vmo foreign = vmo(pager(), 0, 4);
        Vmo plain = keep(Vmo.create(4 * P));
        java.lang.foreign.MemorySegment page = java.lang.foreign.MemorySegment.ofArray(new byte[PI]);
        Pager weak = keep(pager.duplicate(Rights.BASIC | Rights.ATTACH_VMO));
        status(Status.ERR_ACCESS_DENIED, () -> weak.supplyPages(vmo, 0, page));
        status(Status.ERR_ACCESS_DENIED, () -> weak.supplyPages(vmo, 1, null)); // rights come first
        status(Status.ERR_BAD_HANDLE, () -> pager.supplyPages(null, 0, page));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(foreign, 0, page));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(plain, 0, page));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 0, null));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 1, page));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 0,
                java.lang.foreign.MemorySegment.ofArray(new byte[PI + 1])));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(vmo, 4 * P, page));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(vmo, -P, java.lang.foreign.MemorySegment.ofArray(new byte[2 * PI])));
        java.lang.foreign.Arena closed = java.lang.foreign.Arena.ofConfined();
        java.lang.foreign.MemorySegment gone = closed.allocate(P);
        closed.close();
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 0, gone));
        try (java.lang.foreign.Arena mine = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment confined = mine.allocate(P);
            ZxException e = failure(async(() -> {
                pager.supplyPages(vmo, 0, confined);
                return null;
            }));
            assertEquals(Status.ERR_INVALID_ARGS, e.status(), e.getMessage());
        }
        assertEquals(0, vmo.info().committedBytes(), "a failed call supplied pages");
        pager.supplyPages(vmo, 0, java.lang.foreign.MemorySegment.ofArray(new byte[0])); // length 0 is fine
        status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(vmo, 5 * P, java.lang.foreign.MemorySegment.ofArray(new byte[0])));
        // A range of several pieces (1 MiB each) that ends outside fails before its first piece goes in.
        try (Vmo big = pager.createVmo(0, (1L << 20) + P); java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(big, P, a.allocate((1L << 20) + P, P)));
            assertEquals(0, big.info().committedBytes(), "a failed call supplied its first piece");
        }
        pager.detach(vmo);
        status(Status.ERR_BAD_STATE, () -> pager.supplyPages(vmo, 0, page));
        status(Status.ERR_BAD_STATE, () -> pager.supplyPages(vmo, 0, java.lang.foreign.MemorySegment.ofArray(new byte[0])));
        pager.close();
        status(Status.ERR_BAD_HANDLE, () -> pager.supplyPages(vmo, 0, page));
    }

    // ---------------------------------------------------------------- pager.cc: fail

    /** pager.cc {@code FailSinglePage}: OP_FAIL wakes the reader with the status the pager gave. */
    @Test
    void failSinglePage() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 1);
        Future<byte[]> r = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        pager.opRange(Pager.OP_FAIL, vmo, 0, P, Status.ERR_IO.value());
        assertEquals(Status.ERR_IO, failure(r).status());
        // The failure is not sticky: the next access asks again.
        Future<byte[]> again = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        supply(pager, vmo, 0, 1, 2);
        assertArrayEquals(content(0, 1, 2), done(again));
    }

    /** pager.cc {@code FailErrorCode}: the accessor sees exactly the status OP_FAIL carried, for each allowed one. */
    @Test
    void failErrorCode() throws Exception {
        for (Status s : new Status[] {Status.ERR_IO, Status.ERR_IO_DATA_INTEGRITY, Status.ERR_BAD_STATE,
            Status.ERR_NO_SPACE, Status.ERR_BUFFER_TOO_SMALL}) {
            Pager pager = pager();
            Vmo vmo = vmo(pager, 0, 1);
            Future<byte[]> r = asyncRead(vmo, 0, PI);
            expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
            pager.opRange(Pager.OP_FAIL, vmo, 0, P, s.value());
            assertEquals(s, failure(r).status());
        }
    }

    /** pager.cc {@code FailExactlyPartialPage} / {@code FailOverlappingPartialPage}: failing part of a request fails its reader. */
    @Test
    void failPartOfARequest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 3);
        Future<byte[]> r = asyncRead(vmo, 0, 3 * PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 3);
        supply(pager, vmo, 0, 1, 1);
        pager.opRange(Pager.OP_FAIL, vmo, 2 * P, P, Status.ERR_IO.value());
        assertEquals(Status.ERR_IO, failure(r).status());
        // The supplied page stays; page 1 is still missing and page 2 is asked for again.
        assertArrayEquals(content(0, 1, 1), read(vmo, 0, PI));
    }

    /** pager.cc {@code FailNonexistentPage}: OP_FAIL over pages nobody waits for changes nothing. */
    @Test
    void failNonexistentPage() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        pager.opRange(Pager.OP_FAIL, vmo, 0, 2 * P, Status.ERR_IO.value());
        Future<byte[]> r = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        supply(pager, vmo, 0, 1, 3);
        assertArrayEquals(content(0, 1, 3), done(r));
    }

    // ---------------------------------------------------------------- pager.cc: detach and close

    /** pager.cc {@code DetachPageTest}: detaching fails the waiting reader with BAD_STATE and sends COMPLETE. */
    @Test
    void detachPageTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        supply(pager, vmo, 1, 1, 2);
        Future<byte[]> r = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        pager.detach(vmo);
        assertEquals(Status.ERR_BAD_STATE, failure(r).status());
        expect(pager.next(WAIT), PageRequest.COMPLETE, vmo, 0, 0);
        // Pages supplied before stay readable; missing ones fail at once, without a request.
        assertArrayEquals(content(1, 1, 2), read(vmo, P, PI));
        status(Status.ERR_BAD_STATE, () -> read(vmo, 0, PI));
        assertEquals(0, pager.pendingRequests());
        // Supplying a detached VMO is refused; detaching again is harmless.
        status(Status.ERR_BAD_STATE, () -> supply(pager, vmo, 0, 1, 1));
        pager.detach(vmo);
    }

    /** pager.cc {@code ClosePagerTest}: closing the pager detaches its VMOs; waiting readers fail with BAD_STATE. */
    @Test
    void closePagerTest() throws Exception {
        Pager pager = Pager.create();
        Vmo vmo = vmo(pager, 0, 2);
        supply(pager, vmo, 1, 1, 5);
        Future<byte[]> r = asyncRead(vmo, 0, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        pager.close();
        assertEquals(Status.ERR_BAD_STATE, failure(r).status());
        assertArrayEquals(content(1, 1, 5), read(vmo, P, PI));
        status(Status.ERR_BAD_STATE, () -> read(vmo, 0, PI));
        status(Status.ERR_BAD_HANDLE, () -> pager.next(Duration.ZERO));
    }

    /** pager.cc {@code CloseVmoTest} (the COMPLETE packet): destroying a pager VMO tells the pager. */
    @Test
    void closingTheVmoSendsComplete() {
        Pager pager = pager();
        Vmo vmo = pager.createVmo(0, P);
        long koid = vmo.koid();
        vmo.close();
        PageRequest q = pager.next(WAIT);
        assertEquals(PageRequest.COMPLETE, q.command());
        assertEquals(koid, q.koid());
    }

    /** pager.cc {@code DetachNonPagerVmoTest}: a VMO of another pager, or no pager, is INVALID_ARGS. */
    @Test
    void detachNonPagerVmo() {
        Pager pager = pager();
        Pager other = pager();
        Vmo foreign = vmo(other, 0, 1);
        try (Vmo plain = Vmo.create(P)) {
            status(Status.ERR_INVALID_ARGS, () -> pager.detach(plain));
            status(Status.ERR_INVALID_ARGS, () -> pager.detach(foreign));
        }
    }

    // ---------------------------------------------------------------- pager.cc: argument checks

    /** pager.cc {@code InvalidPagerCreateVmo}: options, rights and size, in Zircon's order. */
    @Test
    void invalidPagerCreateVmo() {
        Pager pager = pager();
        status(Status.ERR_INVALID_ARGS, () -> pager.createVmo(1 << 7, P));
        status(Status.ERR_INVALID_ARGS, () -> pager.createVmo(Vmo.RESIZABLE | Vmo.UNBOUNDED, P));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.createVmo(0, -1L));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.createVmo(0, Vmo.MAX_SIZE + 1));
        Pager weak = keep(pager.duplicate(Rights.BASIC | Rights.MANAGE_VMO));
        status(Status.ERR_ACCESS_DENIED, () -> weak.createVmo(0, P));
        // Unknown options win over missing rights.
        status(Status.ERR_INVALID_ARGS, () -> weak.createVmo(1 << 7, P));
        Pager closed = Pager.create();
        closed.close();
        status(Status.ERR_BAD_HANDLE, () -> closed.createVmo(0, P));
        // Rights of the VMO: the defaults, plus RESIZE when resizable.
        assertEquals(Rights.DEFAULT_VMO, vmo(pager, 0, 1).rights());
        assertEquals(Rights.DEFAULT_VMO | Rights.RESIZE, vmo(pager, Vmo.RESIZABLE, 1).rights());
        assertEquals(Pager.DEFAULT_RIGHTS, pager.rights());
    }

    /** pager.cc {@code InvalidPagerSupplyPages}: every bad argument of supplyPages, in Zircon's order. */
    @Test
    void invalidPagerSupplyPages() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        Vmo foreign = vmo(pager(), 0, 4);
        Vmo aux = keep(Vmo.create(4 * P));
        Vmo auxRo = keep(aux.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE));
        status(Status.ERR_BAD_HANDLE, () -> pager.supplyPages(null, 0, P, aux, 0));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(foreign, 0, P, aux, 0));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(aux, 0, P, aux, 0));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 1, P, aux, 0));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 0, P + 1, aux, 0));
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 0, P, aux, 7));
        // Alignment is checked before the aux handle.
        status(Status.ERR_INVALID_ARGS, () -> pager.supplyPages(vmo, 1, P, auxRo, 0));
        status(Status.ERR_BAD_HANDLE, () -> pager.supplyPages(vmo, 0, P, null, 0));
        status(Status.ERR_ACCESS_DENIED, () -> pager.supplyPages(vmo, 0, P, auxRo, 0));
        status(Status.ERR_NOT_SUPPORTED, () -> pager.supplyPages(vmo, 0, P, foreign, 0));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(vmo, 4 * P, P, aux, 0));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(vmo, 0, P, aux, 4 * P));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.supplyPages(vmo, -P, 2 * P, aux, 0));
        Pager weak = keep(pager.duplicate(Rights.BASIC | Rights.ATTACH_VMO));
        status(Status.ERR_ACCESS_DENIED, () -> weak.supplyPages(vmo, 0, P, aux, 0));
        // Nothing was supplied by the failed calls.
        assertEquals(0, pager.queryDirtyRanges(vmo, 0, 4 * P).size());
        assertEquals(0, vmo.info().committedBytes());
        // Length 0 is fine.
        pager.supplyPages(vmo, 0, 0, aux, 0);
    }

    /** pager.cc {@code InvalidPagerOpRange}: unknown ops, bad data, unaligned and out-of-range ranges. */
    @Test
    void invalidPagerOpRange() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        status(Status.ERR_NOT_SUPPORTED, () -> pager.opRange(99, vmo, 0, P, 0));
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, vmo, 0, P, Status.ERR_NOT_FOUND.value()));
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, vmo, 0, P, 0));
        // Zircon accepts exactly IO, IO_DATA_INTEGRITY, BAD_STATE, NO_SPACE and BUFFER_TOO_SMALL.
        for (Status other : Status.values()) {
            if (other != Status.ERR_IO && other != Status.ERR_IO_DATA_INTEGRITY && other != Status.ERR_BAD_STATE
                    && other != Status.ERR_NO_SPACE && other != Status.ERR_BUFFER_TOO_SMALL) {
                status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, vmo, 0, P, other.value()));
            }
        }
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, vmo, 0, P, -41)); // IO_REFUSED: not a pager's
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_DIRTY, vmo, 0, P, 1));
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, P, 2));
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, vmo, 1, P, Status.ERR_IO.value()));
        status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, vmo, 0, 1, Status.ERR_IO.value()));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.opRange(Pager.OP_FAIL, vmo, P, 2 * P, Status.ERR_IO.value()));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.opRange(Pager.OP_WRITEBACK_END, vmo, -P, 2 * P, 0));
        try (Vmo plain = Vmo.create(P)) {
            status(Status.ERR_INVALID_ARGS, () -> pager.opRange(Pager.OP_FAIL, plain, 0, P, Status.ERR_IO.value()));
            // The VMO is checked before the op.
            status(Status.ERR_INVALID_ARGS, () -> pager.opRange(99, plain, 0, P, 0));
        }
        status(Status.ERR_INVALID_ARGS, () -> pager.queryDirtyRanges(vmo, 1, P));
        status(Status.ERR_OUT_OF_RANGE, () -> pager.queryDirtyRanges(vmo, 0, 3 * P));
    }

    // ---------------------------------------------------------------- pager.cc: resize, children, sizes

    /** pager.cc {@code ResizeTest}: growing needs no pager (new pages are zero); shrinking drops pages. */
    @Test
    void resizeTest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Vmo.RESIZABLE, 2);
        supply(pager, vmo, 0, 2, 1);
        vmo.setSize(4 * P);
        assertArrayEquals(new byte[2 * PI], read(vmo, 2 * P, 2 * PI));
        assertEquals(0, pager.pendingRequests());
        assertEquals(List.of(new DirtyRange(2 * P, 2 * P, DirtyRange.IS_ZERO)), pager.queryDirtyRanges(vmo, 0, 4 * P));
        vmo.setSize(P);
        status(Status.ERR_OUT_OF_RANGE, () -> read(vmo, P, 1));
        assertArrayEquals(content(0, 1, 1), read(vmo, 0, PI));
        vmo.setSize(3 * P);
        assertArrayEquals(new byte[2 * PI], read(vmo, P, 2 * PI), "a page that was cut off and grew back must read zero");
        status(Status.ERR_UNAVAILABLE, () -> vmo(pager, 0, 1).setSize(2 * P));
    }

    /** pager.cc {@code SimpleCloneTest} (snapshot kind): a SNAPSHOT of a pager VMO is not supported. */
    @Test
    void snapshotOfPagerVmoIsNotSupported() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        ZxException e = assertThrows(ZxException.class, () -> vmo.createChild(Vmo.CHILD_SNAPSHOT, 0, P));
        assertEquals(Status.ERR_NOT_SUPPORTED, e.status());
        Vmo slice = keep(vmo.createChild(Vmo.CHILD_SLICE, 0, P));
        status(Status.ERR_NOT_SUPPORTED, () -> slice.createChild(Vmo.CHILD_SNAPSHOT, 0, P));
        // The argument checks that come first still win.
        status(Status.ERR_INVALID_ARGS, () -> vmo.createChild(Vmo.CHILD_SNAPSHOT, 1, P));
    }

    /** pager.cc {@code CloneTest} (at-least-on-write): the child gets the pager's pages and keeps its writes private. */
    @Test
    void atLeastOnWriteChildReadsThroughThePager() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        supply(pager, vmo, 0, 1, 1);
        Future<Vmo> child = async(() -> vmo.createChild(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, 0, 4 * P));
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 3);
        supply(pager, vmo, 1, 3, 1);
        Vmo c = keep(done(child));
        assertArrayEquals(content(0, 4, 1), read(c, 0, 4 * PI));
        c.write(new byte[] {42}, 0);
        assertEquals(content(0, 1, 1)[0], read(vmo, 0, 1)[0]);
        assertEquals(42, read(c, 0, 1)[0]);
    }

    /** pager.cc {@code SliceTest}: reads through a slice ask the pager for the parent's pages. */
    @Test
    void sliceReadsWaitForThePager() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        Vmo slice = keep(vmo.createChild(Vmo.CHILD_SLICE, 2 * P, 2 * P));
        Future<byte[]> r = asyncRead(slice, P, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 3, 1);
        supply(pager, vmo, 3, 1, 8);
        assertArrayEquals(content(3, 1, 8), done(r));
        assertTrue((slice.info().flags() & VmoInfo.PAGER_BACKED) != 0);
    }

    /** pager.cc {@code UnboundedVmoTest}: an UNBOUNDED pager VMO asks for pages near 2^64. */
    @Test
    void unboundedVmo() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Vmo.UNBOUNDED, 3);
        assertEquals(Vmo.MAX_SIZE, vmo.size());
        assertEquals(3 * P, vmo.contentSize());
        long far = Vmo.MAX_SIZE - 2 * P;
        Future<byte[]> r = asyncRead(vmo, far, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, far / P, 1);
        supply(pager, vmo, far / P, 1, 2);
        assertArrayEquals(content(far / P, 1, 2), done(r));
        assertEquals(P, vmo.info().committedBytes());
    }

    /** pager.cc {@code WriteTest}: a write to a missing page first reads it from the pager, then changes it. */
    @Test
    void writeWaitsForThePageFirst() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        Future<Object> w = async(() -> {
            vmo.write(new byte[] {7, 7}, P + 10);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 1);
        supply(pager, vmo, 1, 1, 3);
        done(w);
        byte[] expected = content(1, 1, 3);
        expected[10] = 7;
        expected[11] = 7;
        assertArrayEquals(expected, read(vmo, P, PI));
        assertEquals(List.of(new DirtyRange(P, P, 0)), pager.queryDirtyRanges(vmo, 0, 2 * P));
    }

    // ---------------------------------------------------------------- mappings (the in-process rule, module README)

    /**
     * pager.cc {@code SinglePageTest}, mapping half, as zxmem does it in the pager's own JVM: {@code map}
     * asks for the window's pages and waits in Java; the mapping then never faults into the pager.
     */
    @Test
    void mapWaitsForTheWindowThenNeverFaultsIntoThePager() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        supply(pager, vmo, 0, 1, 1);
        Future<Mapping> m = async(() -> Vmar.root().map(Vmar.PERM_READ, vmo, 0, 4 * P));
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 3);
        assertFalse(m.isDone(), "map returned before its window was supplied");
        supply(pager, vmo, 1, 3, 1);
        try (Mapping map = done(m)) {
            assertArrayEquals(content(0, 4, 1), map.segment().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(1, vmo.info().numMappings());
        }
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 4 * P), "a read-only mapping dirties nothing");
        assertEquals(0, pager.pendingRequests());
    }

    /** A writable mapping is coherent with read/write and keeps its window dirty while it exists. */
    @Test
    void writableMappingKeepsItsWindowDirty() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 3);
        supply(pager, vmo, 0, 3, 2);
        try (Mapping map = Vmar.root().map(Vmar.PERM_READ | Vmar.PERM_WRITE, vmo, P, P)) {
            map.segment().set(ValueLayout.JAVA_BYTE, 5, (byte) 77);
            assertEquals(77, read(vmo, P + 5, 1)[0]);
            vmo.write(new byte[] {78}, P + 6);
            assertEquals(78, map.segment().get(ValueLayout.JAVA_BYTE, 6));
            assertEquals(List.of(new DirtyRange(P, P, 0)), pager.queryDirtyRanges(vmo, 0, 3 * P));
            pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, 3 * P, 0);
            pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, 3 * P, 0);
            assertEquals(List.of(new DirtyRange(P, P, 0)), pager.queryDirtyRanges(vmo, 0, 3 * P),
                    "a page a live writable mapping can change must not turn clean");
            map.protect(Vmar.PERM_READ);
            pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, 3 * P, 0);
            pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, 3 * P, 0);
            assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 3 * P));
            // Made writable again: dirty again at once.
            map.protect(Vmar.PERM_READ | Vmar.PERM_WRITE);
            assertEquals(List.of(new DirtyRange(P, P, 0)), pager.queryDirtyRanges(vmo, 0, 3 * P));
        }
        pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, 3 * P, 0);
        pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, 3 * P, 0);
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 3 * P), "unmapped: the window can turn clean");
    }

    /** pager-writeback.cc {@code SimpleTrapDirty}, mapping half: a writable mapping of a TRAP_DIRTY VMO asks first. */
    @Test
    void writableMapOfTrapDirtyVmoAsksForDirty() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 2);
        supply(pager, vmo, 0, 2, 3);
        Future<Mapping> m = async(() -> Vmar.root().map(Vmar.PERM_READ | Vmar.PERM_WRITE, vmo, 0, 2 * P));
        expect(pager.next(WAIT), PageRequest.DIRTY, vmo, 0, 2);
        pager.opRange(Pager.OP_DIRTY, vmo, 0, 2 * P, 0);
        try (Mapping map = done(m)) {
            map.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            assertEquals(1, read(vmo, 0, 1)[0]);
        }
    }

    /** pager.cc {@code FailSinglePage}, mapping half: the pager's failure reaches {@code map} as an exception, nothing is mapped. */
    @Test
    void mapOfAFailedPageThrows() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        Future<Mapping> m = async(() -> Vmar.root().map(Vmar.PERM_READ, vmo, 0, 2 * P));
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 2);
        pager.opRange(Pager.OP_FAIL, vmo, 0, 2 * P, Status.ERR_IO.value());
        assertEquals(Status.ERR_IO, failure(m).status());
        assertEquals(0, vmo.info().numMappings());
        pager.detach(vmo);
        status(Status.ERR_BAD_STATE, () -> Vmar.root().map(Vmar.PERM_READ, vmo, 0, 2 * P));
    }

    /** A mapping past the VMO's end asks only for the pages inside it. */
    @Test
    void mapPastTheEndAsksOnlyForPagesInside() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        Future<Mapping> m = async(() -> Vmar.root().map(Vmar.PERM_READ, vmo, P, 4 * P));
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 1);
        supply(pager, vmo, 1, 1, 4);
        try (Mapping map = done(m)) {
            assertArrayEquals(content(1, 1, 4), map.segment().asSlice(0, P).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    // ---------------------------------------------------------------- over a channel (same JVM; two JVMs: PagerCrossProcessTest)

    /** Sends a duplicate of {@code vmo} over a new channel pair and returns what arrives. */
    private Vmo sendAndReceive(Vmo vmo, int rights) {
        Channel[] pair = Channel.createPair();
        keep(pair[0]);
        keep(pair[1]);
        pair[0].write(new byte[] {1}, vmo.duplicate(rights));
        return keep((Vmo) pair[1].read(WAIT).handles().get(0));
    }

    /** A pager VMO sent over a channel keeps its pager: the receiver's accesses become page requests. */
    @Test
    void sentPagerVmoKeepsItsPager() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 8);
        Vmo got = sendAndReceive(vmo, Rights.SAME_RIGHTS);
        assertTrue((got.info().flags() & VmoInfo.PAGER_BACKED) != 0);
        Future<byte[]> r = asyncRead(got, 2 * P, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 2, 1);
        assertFalse(r.isDone());
        supply(pager, vmo, 2, 1, 3);
        assertArrayEquals(content(2, 1, 3), done(r));
        // A write there asks the pager's process, which records the page dirty.
        Future<Object> w = async(() -> {
            got.write(new byte[] {9}, 5);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 1);
        supply(pager, vmo, 0, 1, 3);
        done(w);
        assertEquals(9, read(vmo, 5, 1)[0]);
        assertEquals(List.of(new DirtyRange(0, P, 0)), pager.queryDirtyRanges(vmo, 0, 8 * P));
        // A mapping asks for its window first, then shows the pager's bytes. It stays eager even where
        // the userfaultfd engine runs: the pager is in this JVM, so the pager's side refuses the fault
        // relay (a lazy fault would wait for this JVM's Java pager while holding its safepoints).
        Future<Mapping> m = async(() -> Vmar.root().map(Vmar.PERM_READ, got, 0, 4 * P));
        expect(pager.next(WAIT), PageRequest.READ, vmo, 1, 1);
        supply(pager, vmo, 1, 1, 3);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 3, 1);
        supply(pager, vmo, 3, 1, 3);
        try (Mapping map = done(m)) {
            assertArrayEquals(read(vmo, 0, 4 * PI), map.segment().toArray(ValueLayout.JAVA_BYTE));
        }
        // Failures and detaching reach the receiver with the pager's statuses.
        Future<byte[]> f = asyncRead(got, 6 * P, PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 6, 1);
        pager.opRange(Pager.OP_FAIL, vmo, 6 * P, P, Status.ERR_IO.value());
        assertEquals(Status.ERR_IO, failure(f).status());
        status(Status.ERR_NOT_SUPPORTED, () -> got.createChild(Vmo.CHILD_SNAPSHOT, 0, P));
        status(Status.ERR_UNAVAILABLE, () -> got.setSize(P));
        pager.detach(vmo);
        status(Status.ERR_BAD_STATE, () -> read(got, 7 * P, 1));
        assertArrayEquals(content(2, 1, 3), read(got, 2 * P, PI));
    }

    /** The receiver's handle keeps the VMO alive; the pager hears COMPLETE only when the last holder is gone. */
    @Test
    void receiverKeepsThePagerVmoAlive() throws Exception {
        Pager pager = pager();
        Vmo vmo = pager.createVmo(0, 2 * P);
        long koid = vmo.koid();
        supply(pager, vmo, 0, 1, 4);
        Vmo got = sendAndReceive(vmo, Rights.SAME_RIGHTS);
        vmo.close();
        assertArrayEquals(content(0, 1, 4), read(got, 0, PI));
        assertEquals(0, pager.pendingRequests(), "COMPLETE came while another process still holds the VMO");
        got.close();
        PageRequest q = pager.next(WAIT);
        assertEquals(PageRequest.COMPLETE, q.command());
        assertEquals(koid, q.koid());
    }

    /** A read-only handle travels read-only: the receiver reads through the pager and cannot write. */
    @Test
    void readOnlyPagerVmoTravelsReadOnly() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        Vmo got = sendAndReceive(vmo, Rights.DEFAULT_VMO & ~Rights.WRITE);
        Future<byte[]> r = asyncRead(got, 0, 2 * PI);
        expect(pager.next(WAIT), PageRequest.READ, vmo, 0, 2);
        supply(pager, vmo, 0, 2, 6);
        assertArrayEquals(content(0, 2, 6), done(r));
        status(Status.ERR_ACCESS_DENIED, () -> got.write(new byte[1], 0));
        // The sender still writes (its pages are supplied, so no request).
        vmo.write(new byte[] {3}, 0);
        assertEquals(3, read(got, 0, 1)[0]);
    }

    /** {@code zx inspect}'s data: a pager VMO shows as kind {@code pager} with its supplied and dirty bytes. */
    @Test
    void inspectShowsPagerVmos() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 8);
        supply(pager, vmo, 0, 3, 1);
        vmo.write(new byte[] {1}, P);
        io.zxmem.VmoSnapshot s = Zx.inspect().stream().filter(v -> v.koid() == vmo.koid()).findFirst().orElseThrow();
        assertEquals("pager", s.kind());
        assertEquals(3 * P, s.suppliedBytes());
        assertEquals(P, s.dirtyBytes());
        assertEquals(3 * P, s.committedBytes());
        assertTrue((s.flags() & VmoInfo.PAGER_BACKED) != 0);
    }

    /** {@code ZX_INFO_VMO_PAGER_BACKED} and committed bytes as pages arrive. */
    @Test
    void infoShowsPagerBacked() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 4);
        VmoInfo i = vmo.info();
        assertTrue((i.flags() & VmoInfo.PAGER_BACKED) != 0);
        assertTrue((i.flags() & VmoInfo.TYPE_PAGED) != 0);
        assertEquals(0, i.committedBytes());
        supply(pager, vmo, 1, 2, 1);
        assertEquals(2 * P, vmo.info().committedBytes());
        try (Vmo plain = Vmo.create(P)) {
            assertEquals(0, plain.info().flags() & VmoInfo.PAGER_BACKED);
        }
    }

    // ---------------------------------------------------------------- pager-writeback.cc: dirty tracking

    /** pager-writeback.cc {@code SimpleTrapDirty}: the first write to a clean page waits for OP_DIRTY. */
    @Test
    void simpleTrapDirty() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 2);
        supply(pager, vmo, 0, 2, 1);
        Future<Object> w = async(() -> {
            vmo.write(new byte[] {5}, P);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.DIRTY, vmo, 1, 1);
        assertFalse(w.isDone(), "the write went on before the pager allowed it");
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 2 * P));
        pager.opRange(Pager.OP_DIRTY, vmo, P, P, 0);
        done(w);
        assertEquals(5, read(vmo, P, 1)[0]);
        assertEquals(List.of(new DirtyRange(P, P, 0)), pager.queryDirtyRanges(vmo, 0, 2 * P));
        // A dirty page is written without asking again.
        vmo.write(new byte[] {6}, P + 1);
        assertEquals(0, pager.pendingRequests());
    }

    /** pager-writeback.cc {@code SimpleDirtyNoTrap}: without TRAP_DIRTY a write dirties the page at once. */
    @Test
    void simpleDirtyNoTrap() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 3);
        supply(pager, vmo, 0, 3, 1);
        vmo.write(new byte[] {1}, 0);
        vmo.write(new byte[] {1}, 2 * P);
        assertEquals(0, pager.pendingRequests());
        assertEquals(List.of(new DirtyRange(0, P, 0), new DirtyRange(2 * P, P, 0)), pager.queryDirtyRanges(vmo, 0, 3 * P));
        vmo.write(new byte[] {1}, P);
        assertEquals(List.of(new DirtyRange(0, 3 * P, 0)), pager.queryDirtyRanges(vmo, 0, 3 * P), "adjacent dirty pages merge");
        assertEquals(List.of(new DirtyRange(P, P, 0)), pager.queryDirtyRanges(vmo, P, P), "the query clips to its range");
    }

    /** pager-writeback.cc {@code FailDirtyRequests}: OP_FAIL of a DIRTY request fails the write and changes nothing. */
    @Test
    void failDirtyRequest() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 1);
        supply(pager, vmo, 0, 1, 1);
        Future<Object> w = async(() -> {
            vmo.write(new byte[] {5}, 0);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.DIRTY, vmo, 0, 1);
        pager.opRange(Pager.OP_FAIL, vmo, 0, P, Status.ERR_BAD_STATE.value());
        assertEquals(Status.ERR_BAD_STATE, failure(w).status());
        assertArrayEquals(content(0, 1, 1), read(vmo, 0, PI));
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, P));
    }

    /** pager-writeback.cc {@code OpDirtyNotPresent}: OP_DIRTY over pages never supplied is NOT_FOUND. */
    @Test
    void opDirtyNotPresent() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 2);
        supply(pager, vmo, 0, 1, 1);
        status(Status.ERR_NOT_FOUND, () -> pager.opRange(Pager.OP_DIRTY, vmo, 0, 2 * P, 0));
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 2 * P), "a failed OP_DIRTY dirties nothing");
        pager.opRange(Pager.OP_DIRTY, vmo, 0, P, 0);
        assertEquals(List.of(new DirtyRange(0, P, 0)), pager.queryDirtyRanges(vmo, 0, 2 * P));
    }

    /** pager-writeback.cc {@code SimpleWriteback}: WRITEBACK_BEGIN then END cleans the pages. */
    @Test
    void simpleWriteback() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 2);
        supply(pager, vmo, 0, 2, 1);
        vmo.write(new byte[] {1}, 0);
        pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, 2 * P, 0);
        // Awaiting clean still counts as dirty.
        assertEquals(List.of(new DirtyRange(0, P, 0)), pager.queryDirtyRanges(vmo, 0, 2 * P));
        pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, 2 * P, 0);
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 2 * P));
        assertEquals(1, read(vmo, 0, 1)[0]);
    }

    /** pager-writeback.cc {@code DirtyDuringWriteback}: a write after WRITEBACK_BEGIN keeps the page dirty past END. */
    @Test
    void dirtyDuringWriteback() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, 0, 1);
        supply(pager, vmo, 0, 1, 1);
        vmo.write(new byte[] {1}, 0);
        pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, P, 0);
        vmo.write(new byte[] {2}, 0);
        pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, P, 0);
        assertEquals(List.of(new DirtyRange(0, P, 0)), pager.queryDirtyRanges(vmo, 0, P));
    }

    /** pager-writeback.cc {@code WritebackTrapDirtyAgain}: with TRAP_DIRTY, a page awaiting clean traps again when written. */
    @Test
    void awaitingCleanTrapsAgain() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 1);
        supply(pager, vmo, 0, 1, 1);
        pager.opRange(Pager.OP_DIRTY, vmo, 0, P, 0);
        vmo.write(new byte[] {1}, 0);
        pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, P, 0);
        Future<Object> w = async(() -> {
            vmo.write(new byte[] {2}, 0);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.DIRTY, vmo, 0, 1);
        pager.opRange(Pager.OP_DIRTY, vmo, 0, P, 0);
        done(w);
        pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, P, 0);
        assertEquals(List.of(new DirtyRange(0, P, 0)), pager.queryDirtyRanges(vmo, 0, P));
        assertEquals(2, read(vmo, 0, 1)[0]);
    }

    /** pager-writeback.cc {@code ResizeDirtyZero}: a grown tail is dirty and zero until written, clean after write-back. */
    @Test
    void resizeTailIsDirtyZero() {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Vmo.RESIZABLE, 1);
        supply(pager, vmo, 0, 1, 1);
        vmo.setSize(4 * P);
        vmo.write(new byte[] {9}, 2 * P);
        assertEquals(List.of(new DirtyRange(P, P, DirtyRange.IS_ZERO), new DirtyRange(2 * P, P, 0),
                new DirtyRange(3 * P, P, DirtyRange.IS_ZERO)), pager.queryDirtyRanges(vmo, 0, 4 * P));
        pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, P, 3 * P, DirtyRange.IS_ZERO);
        pager.opRange(Pager.OP_WRITEBACK_END, vmo, P, 3 * P, 0);
        assertEquals(List.of(), pager.queryDirtyRanges(vmo, 0, 4 * P));
    }

    /** pager-writeback.cc {@code ZeroTrapsDirty}: OP_ZERO changes bytes, so it traps like a write. */
    @Test
    void zeroTrapsDirty() throws Exception {
        Pager pager = pager();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 2);
        supply(pager, vmo, 0, 2, 1);
        Future<Object> z = async(() -> {
            vmo.zero(P, P);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.DIRTY, vmo, 1, 1);
        pager.opRange(Pager.OP_DIRTY, vmo, P, P, 0);
        done(z);
        assertArrayEquals(new byte[PI], read(vmo, P, PI));
        assertArrayEquals(content(0, 1, 1), read(vmo, 0, PI));
    }

    /** Without the engine's answer nothing is lost: a pager closed while a DIRTY request waits fails the writer. */
    @Test
    void closePagerDuringDirtyRequest() throws Exception {
        Pager pager = Pager.create();
        Vmo vmo = vmo(pager, Pager.TRAP_DIRTY, 1);
        supply(pager, vmo, 0, 1, 1);
        Future<Object> w = async(() -> {
            vmo.write(new byte[] {5}, 0);
            return null;
        });
        expect(pager.next(WAIT), PageRequest.DIRTY, vmo, 0, 1);
        pager.close();
        assertEquals(Status.ERR_BAD_STATE, failure(w).status());
        assertArrayEquals(content(0, 1, 1), read(vmo, 0, PI));
    }
}
