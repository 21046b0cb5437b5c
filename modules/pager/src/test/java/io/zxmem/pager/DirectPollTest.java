package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.PageRequest;
import io.zxmem.Status;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.cow.LazyFaults;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How pager threads wait for direct windows' faults ({@link DirectServer#pollFaults}), in this JVM:
 * the pager is an {@link Engine}, and a receiver made of plain system calls ({@link RawDirect}) hands it
 * windows over a link of one of its VMOs. No fault is ever raised (a fault in this JVM waiting for a
 * Java pager of this JVM could hold a safepoint open): the waits are ended by requests, interrupts and
 * windows that report errors. The poll slice is made an hour long, so that a wait that ends proves a
 * wake-up, not a timeout.
 */
class DirectPollTest {
    private static final long P = Zx.pageSize();
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    @TempDir
    Path dir;

    private long slice;
    private Engine engine;
    private Channel[] link;
    private RawDirect receiver;
    private int uffd = -1;

    @BeforeEach
    void pager() throws Throwable {
        Assumptions.assumeTrue(LazyFaults.mode() > 0, "no userfaultfd engine here");
        uffd = RawDirect.userfaultfd();
        Assumptions.assumeTrue(uffd >= 0, "no userfaultfd for this user");
        slice = Engine.pollSliceNanos;
        Engine.pollSliceNanos = HOUR;
        engine = new Engine();
        PagedStore store = (PagedStore) engine.createStore(0, 16 * P);
        link = Channel.createPair();
        Channel[] spare = Channel.createPair(); // the sender's copy of the far end, which the link closes
        store.serve(link[0], spare[0], () -> {});
        spare[1].close();
        receiver = RawDirect.listen(dir);
        // A receiver in this process claims another pid: its pager here would be refused otherwise.
        assertEquals(0, receiver.connect(link[1], 1, ProcessHandle.current().pid() + 1_000_000));
    }

    @AfterEach
    void close() throws Throwable {
        if (engine == null) {
            if (uffd >= 0) {
                RawDirect.closeFd(uffd);
            }
            return;
        }
        Engine.pollSliceNanos = slice;
        receiver.close();
        link[1].close();
        engine.close();
        RawDirect.closeFd(uffd);
    }

    /** Hands the pager a working window (its faults never come). */
    private void window(long id) throws Throwable {
        assertEquals(56, receiver.send(RawDirect.DWIN, id, 0x10000000L + id * P, P, 0, uffd));
        await(() -> engine.direct.hasWindows(), "the pager holds the window");
    }

    private static void await(BooleanSupplier what, String message) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!what.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, message);
            Thread.sleep(5);
        }
    }

    /** Calls {@code next} on a new thread: its request, or the exception it threw. */
    private CompletableFuture<Object> next(boolean[] interruptedAfter) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(engine.next(HOUR));
            } catch (Throwable e) {
                f.complete(e);
            } finally {
                if (interruptedAfter != null) {
                    interruptedAfter[0] = Thread.currentThread().isInterrupted();
                }
            }
        });
        t.setDaemon(true);
        t.start();
        threads.put(f, t);
        return f;
    }

    private final java.util.Map<CompletableFuture<Object>, Thread> threads = new java.util.concurrent.ConcurrentHashMap<>();

    @Test
    void anInterruptEndsAWaitOnDirectWindowsAsDocumented() throws Throwable {
        window(1);
        boolean[] interrupted = {false};
        CompletableFuture<Object> f = next(interrupted);
        await(() -> engine.direct.waiting() == 1, "the pager thread polls the windows");
        Thread t = threads.get(f);
        t.interrupt();
        Object r = f.get(60, TimeUnit.SECONDS); // a slice is an hour: only the interrupt ends the wait
        t.join(60_000);
        assertTrue(r instanceof ZxException, "next threw: " + r);
        assertEquals(Status.ERR_CANCELED, ((ZxException) r).status());
        assertTrue(interrupted[0], "the thread's interrupt status stays set");
    }

    @Test
    void everyWaitingPagerThreadWakesForTheRequestsQueued() throws Throwable {
        window(1);
        CompletableFuture<Object> a = next(null);
        CompletableFuture<Object> b = next(null);
        await(() -> engine.direct.waiting() == 2, "both pager threads poll the windows");
        engine.lock.lock();
        try {
            engine.post(PageRequest.READ, 1, 0, P);
            engine.post(PageRequest.READ, 1, P, P);
        } finally {
            engine.lock.unlock();
        }
        Object ra = a.get(60, TimeUnit.SECONDS);
        Object rb = b.get(60, TimeUnit.SECONDS);
        assertTrue(ra instanceof PageRequest, "first thread: " + ra);
        assertTrue(rb instanceof PageRequest, "second thread: " + rb);
        assertNotEquals(((PageRequest) ra).offset(), ((PageRequest) rb).offset(), "one request each");
    }

    @Test
    void aWindowWhoseUserfaultfdCannotBeReadIsDroppedWhileThreadsWait() throws Throwable {
        window(1);
        CompletableFuture<Object> a = next(null);
        await(() -> engine.direct.waiting() == 1, "the pager thread polls the windows");
        // A userfaultfd without its API handshake reports an error for ever: level-triggered, it would
        // wake every waiting thread at once, again and again. It goes instead, the working one stays.
        int bad = RawDirect.userfaultfdWithoutHandshake();
        try {
            assertEquals(56, receiver.send(RawDirect.DWIN, 2, 0x20000000L, P, 0, bad));
        } finally {
            RawDirect.closeFd(bad);
        }
        await(() -> engine.direct.windowCount() == 1, "the broken window is dropped");
        assertFalse(a.isDone(), "the waiting thread waits on: " + (a.isDone() ? a.join() : ""));
        engine.lock.lock();
        try {
            engine.post(PageRequest.READ, 1, 0, P);
        } finally {
            engine.lock.unlock();
        }
        assertTrue(a.get(60, TimeUnit.SECONDS) instanceof PageRequest);
    }

    @Test
    void aWindowUnmappedWhileThreadsWaitLeavesTheSetAndItsNumberServesTheNext() throws Throwable {
        window(1);
        CompletableFuture<Object> a = next(null);
        await(() -> engine.direct.waiting() == 1, "the pager thread polls the windows");
        assertEquals(56, receiver.send(RawDirect.DUNMAP, 1, 0, 0, 0, -1));
        await(() -> !engine.direct.hasWindows(), "the unmapped window is gone");
        // Its descriptor number is free again; a broken window likely takes it. Had the old entry stayed
        // in the set, the new one would be unknown to it: it is seen (and dropped), as a new window.
        int bad = RawDirect.userfaultfdWithoutHandshake();
        try {
            assertEquals(56, receiver.send(RawDirect.DWIN, 2, 0x20000000L, P, 0, bad));
        } finally {
            RawDirect.closeFd(bad);
        }
        await(() -> engine.direct.droppedWindows() == 1, "the new window is seen by the waiting thread");
        assertFalse(a.isDone());
        threads.get(a).interrupt();
        assertTrue(a.get(60, TimeUnit.SECONDS) instanceof ZxException);
    }

    /**
     * With no descriptor left for the epoll set or its wake-up (EMFILE), a pager thread waits as
     * without direct windows (the reader's sweep serves them) and its call ends as it should; once
     * descriptors are free again, the next call polls the windows. Both the wake-up's eventfd and the
     * set itself are refused in turn (the limit at the lowest free number, then one above).
     */
    @Test
    void withNoDescriptorLeftAPagerThreadFallsBackAndDoesNotHang() throws Throwable {
        window(1); // no pager thread polled yet: neither the set nor its wake-up exists
        long[] limit = RawDirect.descriptorLimit();
        for (int extra = 0; extra < 2; extra++) {
            int free = RawDirect.lowestFree();
            ZxException e = null;
            RawDirect.descriptorLimit(free + extra, limit[1]);
            try {
                engine.next(TimeUnit.MILLISECONDS.toNanos(20));
            } catch (ZxException x) {
                e = x;
            } finally {
                RawDirect.descriptorLimit(limit[0], limit[1]);
            }
            assertTrue(e != null, "next returned a request from nowhere");
            assertEquals(Status.ERR_TIMED_OUT, e.status());
            assertEquals(0, engine.direct.waiting());
        }
        CompletableFuture<Object> f = next(null);
        await(() -> engine.direct.waiting() == 1, "the pager thread polls the windows");
        threads.get(f).interrupt();
        assertTrue(f.get(60, TimeUnit.SECONDS) instanceof ZxException);
    }

    /**
     * A receiver's unmap notice (DUNMAP, sent without blocking) that does not fit in the socket is sent
     * later, once it fits: the pager's process does not keep that window's userfaultfd until the
     * connection ends. Here this test is the pager's process, reading the receiver's (this process's
     * engine) connection only once it filled up.
     */
    @Test
    void anUnmapNoticeThatDidNotFitIsSentLater() throws Throwable {
        Path sockPath = dir.resolve("notice");
        MemorySegment d = LazyFaults.directListen(sockPath);
        int sock = LazyFaults.directConnect(sockPath);
        assertTrue(sock >= 0);
        int pages = 4096;
        MemorySegment mem = RawDirect.map(pages * P);
        int windows = 0;
        try {
            LazyFaults.directAccept(d, 10_000);
            assertTrue(LazyFaults.directStart(d));
            int rc = 0;
            while (windows < pages) {
                rc = LazyFaults.registerDirect(d, windows, mem.address() + windows * P, P, 0, false, 0, true);
                if (rc != 0) {
                    break;
                }
                windows++;
            }
            Assumptions.assumeTrue(rc != 0, "the socket took " + pages + " windows without filling up");
            assertEquals(-11, rc, "the window past a full socket fails with EAGAIN");
            LazyFaults.unregister(mem.address()); // window 0: its notice does not fit now
            MemorySegment out = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG, 8);
            int seen = 0;
            boolean unmapped = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!unmapped && System.nanoTime() < deadline) {
                int n = LazyFaults.directReceive(sock, out);
                assertTrue(n >= 0, "the connection works");
                if (n == 0) {
                    Thread.sleep(5);
                    continue;
                }
                long op = out.getAtIndex(ValueLayout.JAVA_LONG, 0);
                if (op == RawDirect.DWIN) {
                    seen++;
                    LazyFaults.close((int) out.getAtIndex(ValueLayout.JAVA_LONG, 7));
                } else if (op == RawDirect.DUNMAP) {
                    assertEquals(0, out.getAtIndex(ValueLayout.JAVA_LONG, 2), "the unmapped window's id");
                    unmapped = true;
                }
            }
            assertEquals(windows, seen, "every window arrived before the notice");
            assertTrue(unmapped, "the notice came once the socket had room");
        } finally {
            for (int i = 1; i < windows; i++) {
                LazyFaults.unregister(mem.address() + i * P);
            }
            LazyFaults.directFree(d);
            LazyFaults.close(sock);
            RawDirect.unmap(mem);
        }
    }
}
