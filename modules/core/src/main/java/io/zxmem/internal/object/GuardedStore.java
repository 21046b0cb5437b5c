package io.zxmem.internal.object;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Faults;
import io.zxmem.spi.PageStore;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Function;

/**
 * A VM object's store and the lock that guards it: shared for reads, writes and page operations
 * (which may run in parallel, as on Zircon), exclusive for resizing, discarding, cutting a
 * copy-on-write child, exporting and destruction. So a store is never freed, shrunk or replaced under
 * a copy in progress, which is what keeps {@code read}/{@code write} from touching unmapped memory
 * when a handle is closed on another thread. Once the object is destroyed every lock fails with
 * BAD_HANDLE.
 */
final class GuardedStore {
    private final StampedLock lock = new StampedLock();
    private final long koid;
    private volatile PageStore store;
    private boolean destroyed;

    GuardedStore(long koid, PageStore store) {
        this.koid = koid;
        this.store = store;
    }

    PageStore store() {
        return store;
    }

    /** Takes the shared lock, failing with BAD_HANDLE if the object is gone. */
    long shared() {
        long stamp = lock.readLock();
        if (destroyed) {
            lock.unlockRead(stamp);
            throw gone();
        }
        return stamp;
    }

    void unlockShared(long stamp) {
        lock.unlockRead(stamp);
    }

    /** Takes the exclusive lock, failing with BAD_HANDLE if the object is gone. */
    long exclusive() {
        long stamp = lock.writeLock();
        if (destroyed) {
            lock.unlockWrite(stamp);
            throw gone();
        }
        return stamp;
    }

    /** The exclusive lock unless the object is gone (for the discardable purger); 0 when it is gone. */
    long exclusiveIfAlive() {
        long stamp = lock.writeLock();
        if (destroyed) {
            lock.unlockWrite(stamp);
            return 0;
        }
        return stamp;
    }

    void unlockExclusive(long stamp) {
        lock.unlockWrite(stamp);
    }

    private ZxException gone() {
        return new ZxException(Status.ERR_BAD_HANDLE, "VMO " + koid + " was destroyed");
    }

    /**
     * Runs {@code op} on the store under the shared lock; with {@code mayFault} (a copy that may touch
     * memory past a file's end) a late fault of {@code op} is thrown before the lock is released,
     * never while it is being released (see {@link Faults}).
     */
    <R> R withStore(Function<PageStore, R> op, boolean mayFault) {
        long stamp = shared();
        try {
            R r = op.apply(store);
            if (mayFault) {
                Faults.deliver();
            }
            return r;
        } finally {
            unlockShared(stamp);
        }
    }

    /** Runs {@code op} under the exclusive lock; a non-null {@code replacement()} of its result becomes the store. */
    <R extends VmObject.StoreSwap> R withStoreExclusive(Function<PageStore, R> op) {
        long stamp = exclusive();
        try {
            R r = op.apply(store);
            if (r != null && r.replacement() != null) {
                store = r.replacement();
            }
            return r;
        } finally {
            unlockExclusive(stamp);
        }
    }

    /** Marks the object destroyed and closes the store, waiting for every operation in progress. */
    void destroy() {
        long stamp = lock.writeLock();
        try {
            destroyed = true;
            store.close();
        } finally {
            lock.unlockWrite(stamp);
        }
    }
}
