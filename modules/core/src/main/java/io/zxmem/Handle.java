package io.zxmem;

import io.zxmem.internal.object.KernelObject;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.HandleRecord;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.time.Duration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A handle: a reference to a kernel object together with the rights this reference grants.
 *
 * <p>Several handles may refer to one object; the object lives while any handle, mapping or child of
 * it lives. Every operation on a closed or replaced handle throws {@link Status#ERR_BAD_HANDLE}.
 * {@link #close()} is idempotent. A handle that becomes unreachable without being closed is closed by
 * the garbage collector and reported as a leak ({@code -Dzxmem.leaks=trace} records where it was made).
 */
public abstract class Handle implements AutoCloseable {
    /**
     * Where the records of leaked handles arrive. Not a {@code Cleaner}: a handle's record is kept
     * reachable by its object's list of open handles, which every handle updates anyway, so opening
     * and closing a handle pays no registration of its own ({@link HandleRecord}).
     */
    private static final ReferenceQueue<Object> LEAKS = new ReferenceQueue<>();
    private static final System.Logger LOG = System.getLogger("io.zxmem.leaks");
    private static final boolean TRACE = "trace".equals(System.getProperty("zxmem.leaks"));

    static {
        Thread t = new Thread(Handle::closeLeaked, "zxmem-handle-cleaner");
        t.setDaemon(true);
        t.start();
    }

    final KernelObject object;
    private final int rights;
    private final Ref ref;

    /**
     * Holds the handle's one reference to its object; released once, by close or, for a handle that
     * became unreachable while open, by the cleaner thread.
     */
    private static final class Ref extends HandleRecord {
        static final int OPEN = 0;
        static final int CLOSED = 1;
        static final int LEAKED = 2;
        final KernelObject object;
        /** OPEN, CLOSED or LEAKED; a field updated through STATE, not an AtomicInteger (one object less per handle). */
        volatile int state = OPEN;
        final Throwable site;
        // The class, not its name: getSimpleName() cost 8% of a received handle (JFR), and the name
        // is only needed when a leak is reported.
        final Class<?> kind;

        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Ref.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        boolean close(int how) {
            return STATE.compareAndSet(this, OPEN, how);
        }

        Ref(Handle handle, KernelObject object, int rights) {
            super(handle, LEAKS, rights);
            this.object = object;
            this.kind = handle.getClass();
            this.site = TRACE ? new Throwable("handle created here") : null;
        }

        /** The handle became unreachable: if it was still open, a leak, closed here. */
        void leaked() {
            if (close(LEAKED)) {
                LOG.log(System.Logger.Level.WARNING, "zxmem: a " + kind.getSimpleName() + " handle to object " + object.koid()
                        + " was never closed; the garbage collector closed it"
                        + (site == null ? " (run with -Dzxmem.leaks=trace to see where it was created)" : ""), site);
                try {
                    object.handleClosed(this);
                } finally {
                    object.release(); // as close does: the reference goes even if unlisting failed
                }
            }
        }
    }

    /** The cleaner thread: closes each handle that became unreachable while open. */
    private static void closeLeaked() {
        while (true) {
            try {
                ((Ref) LEAKS.remove()).leaked();
            } catch (Throwable e) {
                // As a Cleaner's thread does: one failing clean-up must not end the others.
            }
        }
    }

    /** Takes ownership of one reference to {@code object}. */
    Handle(KernelObject object, int rights) {
        this.object = object;
        this.rights = rights;
        this.ref = new Ref(this, object, rights);
        object.handleOpened(ref);
    }

    /** A new handle of this handle's type to {@code object}, owning one reference to it. */
    abstract Handle newHandle(KernelObject object, int rights);

    /** Throws BAD_HANDLE unless the handle is open. */
    final void checkValid(String op) {
        if (ref.state != Ref.OPEN) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the handle is closed");
        }
    }

    /** The rights this handle was made with, whether or not it is still open. */
    final int rightsOf() {
        return rights;
    }

    /**
     * Takes a reference to the object for the duration of an operation (the caller releases it), so a
     * {@code close} racing the operation cannot destroy the object under it.
     *
     * @throws ZxException BAD_HANDLE when the handle is closed (then no reference is held)
     */
    final void acquire(String op) {
        try {
            object.retain();
        } catch (ZxException gone) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the handle is closed");
        }
        if (ref.state != Ref.OPEN) {
            object.release();
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the handle is closed");
        }
    }

    /**
     * @return whether {@link #require} would pass: for callers whose operation name costs something
     *         to build, which they then build only to have {@code require} throw
     */
    final boolean permits(int needed) {
        return isValid() && (rights & needed) == needed;
    }

    /** Throws BAD_HANDLE if closed, ACCESS_DENIED unless the handle has every right in {@code needed}. */
    final void require(String op, int needed) {
        checkValid(op);
        if ((rights & needed) != needed) {
            throw new ZxException(Status.ERR_ACCESS_DENIED, op + ": the handle lacks "
                    + Rights.toString(needed & ~rights) + " (it has " + Rights.toString(rights) + ")");
        }
    }

    /** {@return the rights of this handle} */
    public int rights() {
        checkValid("handle.rights");
        return rights;
    }

    /** {@return the kernel object id of the object this handle refers to (process-unique)} */
    public long koid() {
        checkValid("handle.koid");
        return object.koid();
    }

    /** {@return whether the handle is open} */
    public boolean isValid() {
        return ref.state == Ref.OPEN;
    }

    private int derivedRights(String op, int requested) {
        if (requested == Rights.SAME_RIGHTS) {
            return rights;
        }
        if ((requested & ~rights) != 0) {
            throw new ZxException(Status.ERR_INVALID_ARGS, op + "(" + Rights.toString(requested)
                    + "): not a subset of the handle's rights " + Rights.toString(rights));
        }
        return requested;
    }

    /**
     * A new handle to the same object with {@code rights} (a subset of this handle's, or
     * {@link Rights#SAME_RIGHTS}). Needs {@link Rights#DUPLICATE}.
     *
     * <p>Each handle type overrides this to return its own type ({@code Vmo.duplicate} returns a
     * {@link Vmo}), so a handle of one type is never assigned to a variable of another.
     *
     * @param rights the new handle's rights
     * @return the new handle
     * @throws ZxException BAD_HANDLE when the handle is closed; ACCESS_DENIED without DUPLICATE;
     *                     INVALID_ARGS when {@code rights} is not a subset of the handle's rights
     */
    public Handle duplicate(int rights) {
        require("handle.duplicate", Rights.DUPLICATE);
        int r = derivedRights("handle.duplicate", rights);
        object.retain();
        return newHandle(object, r);
    }

    /**
     * Replaces this handle by one with {@code rights} (a subset, or {@link Rights#SAME_RIGHTS}). This
     * handle is invalid afterwards, even when the replacement fails.
     *
     * <p>Each handle type overrides this to return its own type, as {@link #duplicate(int)}.
     *
     * @param rights the new handle's rights
     * @return the new handle
     * @throws ZxException BAD_HANDLE when the handle is closed; INVALID_ARGS when {@code rights} is not
     *                     a subset of the handle's rights (the handle is closed all the same)
     */
    public Handle replace(int rights) {
        if (!ref.close(Ref.CLOSED)) {
            throw new ZxException(Status.ERR_BAD_HANDLE, "handle.replace: the handle is closed");
        }
        // The inspection list holds this handle's rights, not the requested ones.
        object.handleClosed(ref);
        int r;
        try {
            r = derivedRights("handle.replace", rights);
        } catch (ZxException e) {
            object.release();
            throw e;
        }
        return newHandle(object, r);
    }

    /** {@return the signals asserted on the object now} */
    public int signals() {
        checkValid("handle.signals");
        return object.signals();
    }

    /**
     * Waits until any of {@code signals} is asserted on the object. Needs {@link Rights#WAIT}. Blocks
     * the thread without spinning.
     *
     * @param signals the signals to wait for, any of them
     * @param timeout how long to wait at most
     * @return the signals observed
     * @throws ZxException TIMED_OUT when none became asserted within {@code timeout}; CANCELED when the
     *                     handle is closed while waiting
     */
    public int waitOne(int signals, Duration timeout) {
        require("handle.wait_one", Rights.WAIT);
        if (timeout == null) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "handle.wait_one: timeout is null");
        }
        long nanos;
        try {
            nanos = Math.max(0, timeout.toNanos());
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE / 2;
        }
        return object.await(signals, nanos, () -> !isValid());
    }

    /**
     * Clears then sets user signals ({@code USER_0..USER_7}) on the object. Needs {@link Rights#SIGNAL}.
     *
     * @param clear the user signals to clear
     * @param set   the user signals to set, after clearing
     */
    public void signal(int clear, int set) {
        require("handle.signal", Rights.SIGNAL);
        if (((clear | set) & ~Signals.USER_ALL) != 0) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "handle.signal(clear=" + Ranges.hex(clear & 0xFFFFFFFFL)
                    + ", set=" + Ranges.hex(set & 0xFFFFFFFFL) + "): only USER_0..USER_7 may be changed");
        }
        object.updateSignals(clear, set);
    }

    /**
     * Closes the handle. Idempotent; throws nothing of its own. An {@link InternalError} left pending
     * by an earlier touch of a mapping past its VMO's end (the JVM reports it late, at an arbitrary
     * later call) is discarded here rather than thrown half way through the close, which would leak
     * the object. The JVM may throw it at the call itself, before the method begins: the handle is
     * then still open, and calling {@code close} again closes it.
     */
    @Override
    public void close() {
        try {
            io.zxmem.internal.Faults.discardPending();
        } catch (InternalError e) {
            io.zxmem.internal.Faults.discard(e);
        }
        if (ref.close(Ref.CLOSED)) {
            try {
                object.handleClosed(ref);
            } finally {
                object.release();
            }
        }
        // Reachable until its record is marked closed: otherwise the collector could find the handle
        // unreachable inside its own close and report the handle being closed as a leak.
        Reference.reachabilityFence(this);
    }

    /**
     * Invalidates this handle and hands its reference to the caller, as a transfer does. Used by
     * channels, which consume sent handles.
     *
     * @return the object, whose one reference the caller now owns
     */
    final KernelObject consume(String op) {
        if (!ref.close(Ref.CLOSED)) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the handle is closed");
        }
        object.handleClosed(ref);
        Reference.reachabilityFence(this); // as in close
        return object;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[koid=" + object.koid() + ", rights=" + Rights.toString(rights)
                + (isValid() ? "" : ", closed") + "]";
    }
}
