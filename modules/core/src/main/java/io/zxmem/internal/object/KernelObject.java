package io.zxmem.internal.object;

import io.zxmem.Status;
import io.zxmem.ZxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The object behind one or more handles: a koid, a reference count and a signal word.
 *
 * <p>The object lives while anything refers to it: handles, mappings and (for VMOs) children. When
 * the last reference goes, {@link #destroy()} runs exactly once. Signal waiters block on a condition
 * variable; they never spin.
 */
public abstract class KernelObject {
    private static final AtomicLong NEXT_KOID = new AtomicLong(1024);

    private final long koid = NEXT_KOID.getAndIncrement();
    private static final VarHandle REFS;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(KernelObject.class, "refs", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // A field updated through REFS, not an AtomicLong, and the condition made by the first waiter:
    // every VMO is made on the create path, where each object more is measurable.
    @SuppressWarnings("unused") // through REFS
    private volatile long refs = 1;
    private final ReentrantLock signalLock = new ReentrantLock();
    /** Made by the first waiter, under {@link #signalLock}; null while nobody ever waited. */
    private Condition signalChanged;
    private int signals;
    /**
     * The record of each open handle (its rights, what inspection shows), guarded by {@link #signalLock}.
     * A plain array: most objects have one or two handles, and this sits on every create and close.
     * Holding the records is what lets a leaked handle be noticed ({@link HandleRecord}), so while it
     * holds any, the object itself must be reachable from a root: {@link #rootedWhileAlive()}.
     */
    private HandleRecord[] handles = new HandleRecord[2];
    private int handleCount;
    /**
     * Objects with open handles that nothing else keeps reachable: without this, an object whose only
     * handle leaked would be unreachable together with the handle's record, which then would never be
     * enqueued, and what the object holds (a socket, a pager thread) would never be freed.
     */
    private static final Set<KernelObject> ROOTS = ConcurrentHashMap.newKeySet();

    protected KernelObject(int initialSignals) {
        this.signals = initialSignals;
    }

    public final long koid() {
        return koid;
    }

    /** Takes one more reference; fails with BAD_HANDLE once the object is gone. */
    public final void retain() {
        long r;
        do {
            r = refs;
            if (r <= 0) {
                throw new ZxException(Status.ERR_BAD_HANDLE, "object " + koid + " was already destroyed");
            }
        } while (!REFS.compareAndSet(this, r, r + 1));
    }

    /** Drops one reference; the last one destroys the object. */
    public final void release() {
        long r = (long) REFS.getAndAdd(this, -1L) - 1;
        if (r == 0) {
            destroy();
        } else if (r < 0) {
            throw new IllegalStateException("reference count of object " + koid + " went below zero");
        }
    }

    /**
     * Whether something other than its handles keeps this object reachable for as long as it lives (a
     * VM object: the koid table); otherwise it is kept in a table of its own while it has open handles.
     */
    protected boolean rootedWhileAlive() {
        return false;
    }

    /** Records an open handle (for inspection, and to notice when it leaks). */
    public final void handleOpened(HandleRecord handle) {
        signalLock.lock();
        try {
            if (handleCount == handles.length) {
                handles = Arrays.copyOf(handles, handleCount * 2);
            }
            if (handleCount == 0 && !rootedWhileAlive()) {
                ROOTS.add(this);
            }
            handles[handleCount++] = handle;
        } finally {
            signalLock.unlock();
        }
    }

    /**
     * Records that a handle was closed, replaced or sent away (or leaked), and wakes waiters so that
     * one waiting through that handle notices ({@link #wakeWaiters}, under the same hold of the lock).
     */
    public final void handleClosed(HandleRecord handle) {
        signalLock.lock();
        try {
            if (signalChanged != null) {
                signalChanged.signalAll();
            }
            signalled();
            for (int i = 0; i < handleCount; i++) {
                if (handles[i] == handle) {
                    handles[i] = handles[--handleCount];
                    handles[handleCount] = null;
                    // Bounded by the open handles: give back room once most of them are gone.
                    if (handles.length > 8 && handleCount < handles.length / 4) {
                        handles = Arrays.copyOf(handles, handles.length / 2);
                    }
                    if (handleCount == 0 && !rootedWhileAlive()) {
                        ROOTS.remove(this);
                    }
                    return;
                }
            }
        } finally {
            signalLock.unlock();
        }
    }

    /** @return the rights of every open handle, one entry per handle */
    public final List<Integer> handleRights() {
        signalLock.lock();
        try {
            List<Integer> l = new ArrayList<>(handleCount);
            for (int i = 0; i < handleCount; i++) {
                l.add(handles[i].rights());
            }
            return l;
        } finally {
            signalLock.unlock();
        }
    }

    /** @return whether the object still has references */
    public final boolean alive() {
        return refs > 0;
    }

    /** Frees what the object holds. Called once, by the thread that dropped the last reference. */
    protected abstract void destroy();

    public final int signals() {
        signalLock.lock();
        try {
            return signals;
        } finally {
            signalLock.unlock();
        }
    }

    /** Clears then sets bits of the signal word and wakes every waiter. */
    public final void updateSignals(int clear, int set) {
        signalLock.lock();
        try {
            int next = (signals & ~clear) | set;
            if (next != signals) {
                signals = next;
                if (signalChanged != null) {
                    signalChanged.signalAll();
                }
                signalled();
            }
        } finally {
            signalLock.unlock();
        }
    }

    /**
     * Called under the signal lock when the signal word changed or waiters must look again: for objects
     * whose waiters also wait on a descriptor (a channel's socket), to wake them there.
     */
    protected void signalled() {
    }

    /** Wakes waiters so they can notice that their handle was closed. */
    public final void wakeWaiters() {
        signalLock.lock();
        try {
            if (signalChanged != null) {
                signalChanged.signalAll();
            }
            signalled();
        } finally {
            signalLock.unlock();
        }
    }

    /**
     * Blocks until one of {@code mask} is asserted, the deadline passes (TIMED_OUT) or
     * {@code cancelled} turns true (CANCELED, as when the waiting handle is closed).
     *
     * @return the signals observed when one of {@code mask} was asserted
     */
    public final int await(int mask, long timeoutNanos, BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + timeoutNanos;
        signalLock.lock();
        try {
            while (true) {
                if ((signals & mask) != 0) {
                    return signals;
                }
                if (cancelled.getAsBoolean()) {
                    throw new ZxException(Status.ERR_CANCELED, "wait_one on object " + koid + ": handle closed while waiting");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ZxException(Status.ERR_TIMED_OUT, "wait_one(signals=0x" + Integer.toHexString(mask)
                            + ") on object " + koid + ": observed 0x" + Integer.toHexString(signals));
                }
                try {
                    if (signalChanged == null) {
                        signalChanged = signalLock.newCondition();
                    }
                    signalChanged.awaitNanos(Math.min(left, TimeUnit.SECONDS.toNanos(1)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ZxException(Status.ERR_CANCELED, "wait_one on object " + koid + ": thread interrupted");
                }
            }
        } finally {
            signalLock.unlock();
        }
    }
}
