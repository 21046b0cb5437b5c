package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Object signals: user signals, {@code signal}, {@code signals}, {@code waitOne}. */
@Timeout(60)
class SignalsTest {
    private static final int[] USER = {Signals.USER_0, Signals.USER_1, Signals.USER_2, Signals.USER_3, Signals.USER_4,
        Signals.USER_5, Signals.USER_6, Signals.USER_7};

    @Test
    void everyUserSignalCanBeSetAndCleared() {
        try (Vmo v = Vmo.create(P)) {
            for (int i = 0; i < 8; i++) {
                assertEquals(1 << (24 + i), USER[i]);
                v.signal(0, USER[i]);
                assertEquals(Signals.VMO_ZERO_CHILDREN | USER[i], v.signals());
                v.signal(USER[i], 0);
                assertEquals(Signals.VMO_ZERO_CHILDREN, v.signals());
            }
            v.signal(0, Signals.USER_ALL);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_ALL, v.signals());
            v.signal(Signals.USER_ALL, 0);
            assertEquals(Signals.VMO_ZERO_CHILDREN, v.signals());
        }
    }

    @Test
    void signalClearsFirstThenSets() {
        try (Vmo v = Vmo.create(P)) {
            v.signal(0, Signals.USER_0 | Signals.USER_1);
            v.signal(Signals.USER_0 | Signals.USER_1, Signals.USER_1 | Signals.USER_2);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_1 | Signals.USER_2, v.signals());
        }
    }

    @Test
    void signalsBelongToTheObjectNotTheHandle() {
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.SAME_RIGHTS)) {
            v.signal(0, Signals.USER_3);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_3, d.signals());
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_3, d.waitOne(Signals.USER_3, Duration.ZERO));
        }
    }

    @Test
    void onlyUserSignalsMayBeChanged() {
        try (Vmo v = Vmo.create(P)) {
            int[] bad = {Signals.VMO_ZERO_CHILDREN, 1, 1 << 23, 0x00FF_FFFF, -1};
            for (int b : bad) {
                assertStatus(Status.ERR_INVALID_ARGS, () -> v.signal(0, b), "handle.signal");
                assertStatus(Status.ERR_INVALID_ARGS, () -> v.signal(b, 0), "handle.signal");
                assertStatus(Status.ERR_INVALID_ARGS, () -> v.signal(b, Signals.USER_0), "handle.signal");
            }
            // Nothing changed, ZERO_CHILDREN included.
            assertEquals(Signals.VMO_ZERO_CHILDREN, v.signals());
        }
    }

    @Test
    void signalNeedsTheSignalRightBeforeTheBitsAreChecked() {
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.DEFAULT_VMO & ~Rights.SIGNAL)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> d.signal(0, Signals.USER_0), "handle.signal", "SIGNAL");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> d.signal(0, 1));
            // Reading the signals needs no right.
            assertEquals(Signals.VMO_ZERO_CHILDREN, d.signals());
        }
    }

    @Test
    void waitOneReturnsAtOnceWhenAlreadyAsserted() {
        try (Vmo v = Vmo.create(P)) {
            assertEquals(Signals.VMO_ZERO_CHILDREN, v.waitOne(Signals.VMO_ZERO_CHILDREN, Duration.ZERO));
            v.signal(0, Signals.USER_5);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_5,
                    v.waitOne(Signals.USER_5 | Signals.USER_6, Duration.ofDays(365)));
        }
    }

    @Test
    void waitOneTimesOut() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_TIMED_OUT, () -> v.waitOne(Signals.USER_0, Duration.ZERO), "wait_one");
            assertStatus(Status.ERR_TIMED_OUT, () -> v.waitOne(Signals.USER_0, Duration.ofMillis(50)));
            assertStatus(Status.ERR_TIMED_OUT, () -> v.waitOne(Signals.USER_0, Duration.ofMillis(-5)));
            // Waiting for nothing can only time out.
            assertStatus(Status.ERR_TIMED_OUT, () -> v.waitOne(0, Duration.ofMillis(10)));
        }
    }

    @Test
    void waitOneNeedsTheWaitRight() {
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WAIT)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> d.waitOne(Signals.VMO_ZERO_CHILDREN, Duration.ZERO), "WAIT");
        }
    }

    @Test
    void waitOneWithoutATimeoutIsInvalidArgs() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.waitOne(Signals.USER_0, null), "wait_one");
        }
    }

    /** Waits on another thread until that thread is parked in the wait (blocked, not running). */
    private static void awaitBlocked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
            assertTrue(System.nanoTime() < deadline, "waiter never blocked: " + t.getState());
            Thread.sleep(1);
        }
    }

    private static CompletableFuture<Object> waitInThread(Vmo v, int signals, Duration timeout, Thread[] holder) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("waiter").start(() -> {
            try {
                f.complete(v.waitOne(signals, timeout));
            } catch (Throwable e) {
                f.complete(e);
            }
        });
        holder[0] = t;
        return f;
    }

    @Test
    void waitOneBlocksWithoutSpinningUntilASignalArrives() throws Exception {
        try (Vmo v = Vmo.create(P); Vmo other = v.duplicate(Rights.SAME_RIGHTS)) {
            Thread[] t = new Thread[1];
            CompletableFuture<Object> f = waitInThread(v, Signals.USER_2, Duration.ofMinutes(5), t);
            awaitBlocked(t[0]);
            // Still parked a while later: a spinning waiter would be RUNNABLE most of the time.
            for (int i = 0; i < 50; i++) {
                Thread.sleep(2);
                Thread.State s = t[0].getState();
                assertTrue(s == Thread.State.TIMED_WAITING || s == Thread.State.WAITING || s == Thread.State.BLOCKED,
                        "waiter state " + s);
            }
            assertTrue(!f.isDone());
            // A signal that is not awaited does not end the wait.
            other.signal(0, Signals.USER_1);
            awaitBlocked(t[0]);
            assertTrue(!f.isDone());
            other.signal(0, Signals.USER_2);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_1 | Signals.USER_2, f.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingTheWaitingHandleCancelsTheWait() throws Exception {
        Vmo v = Vmo.create(P);
        try (Vmo other = v.duplicate(Rights.SAME_RIGHTS)) {
            Thread[] t = new Thread[1];
            CompletableFuture<Object> f = waitInThread(v, Signals.USER_0, Duration.ofMinutes(5), t);
            awaitBlocked(t[0]);
            v.close();
            Object r = f.get(30, TimeUnit.SECONDS);
            assertTrue(r instanceof ZxException e && e.status() == Status.ERR_CANCELED, "got " + r);
            assertTrue(other.isValid());
        }
    }

    @Test
    void replacingTheWaitingHandleCancelsTheWait() throws Exception {
        Vmo v = Vmo.create(P);
        Thread[] t = new Thread[1];
        CompletableFuture<Object> f = waitInThread(v, Signals.USER_0, Duration.ofMinutes(5), t);
        awaitBlocked(t[0]);
        try (Vmo r = v.replace(Rights.SAME_RIGHTS)) {
            Object res = f.get(30, TimeUnit.SECONDS);
            assertTrue(res instanceof ZxException e && e.status() == Status.ERR_CANCELED, "got " + res);
            // The signal word belongs to the object: the new handle still waits fine.
            r.signal(0, Signals.USER_0);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_0, r.waitOne(Signals.USER_0, Duration.ZERO));
        }
    }

    @Test
    void closingAnotherHandleDoesNotCancelTheWait() throws Exception {
        try (Vmo v = Vmo.create(P)) {
            Vmo other = v.duplicate(Rights.SAME_RIGHTS);
            Thread[] t = new Thread[1];
            CompletableFuture<Object> f = waitInThread(v, Signals.USER_4, Duration.ofMinutes(5), t);
            awaitBlocked(t[0]);
            other.close();
            awaitBlocked(t[0]);
            try {
                f.get(200, TimeUnit.MILLISECONDS);
                throw new AssertionError("the wait ended: " + f.getNow(null));
            } catch (TimeoutException expected) {
                // still waiting
            }
            v.signal(0, Signals.USER_4);
            assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_4, f.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void interruptingTheWaiterCancelsTheWait() throws Exception {
        try (Vmo v = Vmo.create(P)) {
            Thread[] t = new Thread[1];
            CompletableFuture<Object> f = waitInThread(v, Signals.USER_0, Duration.ofMinutes(5), t);
            awaitBlocked(t[0]);
            t[0].interrupt();
            Object r = f.get(30, TimeUnit.SECONDS);
            assertTrue(r instanceof ZxException e && e.status() == Status.ERR_CANCELED, "got " + r);
        }
    }

    @Test
    void manyWaitersAllWakeUp() throws InterruptedException, ExecutionException, TimeoutException {
        try (Vmo v = Vmo.create(P)) {
            @SuppressWarnings("unchecked")
            CompletableFuture<Object>[] fs = new CompletableFuture[8];
            Thread[][] ts = new Thread[8][1];
            for (int i = 0; i < 8; i++) {
                fs[i] = waitInThread(v, USER[i] | Signals.USER_7, Duration.ofMinutes(5), ts[i]);
            }
            for (Thread[] t : ts) {
                awaitBlocked(t[0]);
            }
            v.signal(0, Signals.USER_7);
            for (CompletableFuture<Object> f : fs) {
                assertEquals(Signals.VMO_ZERO_CHILDREN | Signals.USER_7, f.get(30, TimeUnit.SECONDS));
            }
        }
    }
}
