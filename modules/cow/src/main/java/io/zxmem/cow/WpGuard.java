package io.zxmem.cow;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.spi.MemfdStore;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps the snapshot children of one <em>mapped</em> {@link MemfdStore} exact without copying the
 * parent at snapshot time (the README's userfaultfd path). The native side ({@link Zxuffd}) owns a
 * userfaultfd and a handler pthread; every window of the parent is registered and write-protected over
 * the children's ranges, and the first write through a window to a protected page faults: the
 * handler copies the original page into each child memfd that lacks it, unprotects, wakes the writer.
 * The library's own changes to the parent (write, zero, decommit, shrink, discard) bypass
 * write-protection (they use the internal mapping or fd calls), so the store tells this guard first
 * ({@link #modifying}) and the originals are saved before the change. A child reads or writes a page
 * only after copying it in if still unsaved ({@link #fill}).
 *
 * <p>Lifetime: created at the first such cut, ended when its last child is complete (every page
 * saved) or closed: the windows are unregistered, the handler joined, the descriptors closed.
 * Locks: {@code this} guards the children set; {@link #rw} keeps the native guard alive for calls made
 * outside the store's windows lock ({@code modifying}, {@code fill}); window calls come under that lock
 * and the guard is removed from the store under it before the native side is freed.
 */
final class WpGuard implements MemfdStore.Guard {
    /** Write-protect faults resolved by all guards so far (tests and benchmarks). */
    static final AtomicLong FAULTS = new AtomicLong();

    private final MemfdStore store;
    private final MemorySegment g;
    private final long page;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    /** Set under the write lock once the native guard is freed. */
    private boolean closed;
    /** Live children (under {@code this}); no new child once it dropped to zero. */
    private final List<SnapshotStore> children = new ArrayList<>();
    private boolean accepting = true;
    /** Set once installed on the store: a window that cannot be registered then finishes the children. */
    private volatile boolean installed;

    private WpGuard(MemfdStore store, MemorySegment g, long page) {
        this.store = store;
        this.g = g;
        this.page = page;
    }

    /**
     * The guard of {@code store}, created and installed (every window registered) if it has none.
     * The caller holds the VMO's exclusive lock. @return null if userfaultfd cannot be used
     */
    static WpGuard of(MemfdStore store, long page) {
        MemfdStore.Guard cur = store.guard();
        if (cur instanceof WpGuard w && w.accepts()) {
            return w;
        }
        if (!Zxuffd.available()) {
            return null;
        }
        MemorySegment[] out = new MemorySegment[1];
        if (Zxuffd.open(store.fd(), page, out) != 0) {
            return null; // no userfaultfd here (e.g. vm.unprivileged_userfaultfd=0): copy instead
        }
        WpGuard w = new WpGuard(store, out[0], page);
        try {
            if (!store.guard(cur, w)) {
                w.free();
                return null;
            }
            w.installed = true;
        } catch (RuntimeException | Error e) {
            store.guard(w, null);
            store.guard(null, null);
            w.free();
            return null;
        }
        return w;
    }

    private synchronized boolean accepts() {
        return accepting;
    }

    /**
     * Adds a child that shows parent bytes {@code [offset, offset+length)}; protects that range in
     * every window. @return its id, or -1 if this guard is ending (make a new one)
     */
    synchronized int addChild(SnapshotStore child, int childFd, long offset, long length) {
        if (!accepting) {
            return -1;
        }
        int id = Zxuffd.addChild(g, childFd, offset, length);
        if (id < 0) {
            throw new ZxException(Status.ERR_NO_MEMORY, "vmo.create_child: cannot track a snapshot child (errno " + -id + ")");
        }
        child.id = id;
        children.add(child);
        return id;
    }

    /** Ends a guard that got no child after all (its cut failed or fell back to a copy). */
    void dropIfUnused() {
        synchronized (this) {
            if (!children.isEmpty() || !accepting) {
                return;
            }
            accepting = false;
        }
        store.guard(this, null);
        free();
    }

    /** A child is complete or closed: forget it; the last one ends the guard. */
    void childDone(SnapshotStore child) {
        boolean end;
        synchronized (this) {
            if (!children.remove(child)) {
                return;
            }
            Zxuffd.removeChild(g, child.id);
            end = children.isEmpty();
            if (end) {
                accepting = false;
            }
        }
        if (end) {
            store.guard(this, null); // released() unregisters the windows
            free();
        }
    }

    private void free() {
        rw.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                FAULTS.addAndGet(Zxuffd.faults(g));
                Zxuffd.close(g);
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Copies into every child the pages it still lacks (before the guard must stop watching). */
    void finishAll() {
        List<SnapshotStore> kids;
        synchronized (this) {
            kids = new ArrayList<>(children);
        }
        for (SnapshotStore k : kids) {
            k.finish();
        }
    }

    /**
     * Copies child {@code id}'s unsaved pages in its range {@code [offset, offset+length)}.
     * @return pages the child still lacks anywhere
     */
    long fill(int id, long offset, long length) {
        rw.readLock().lock();
        try {
            if (closed) {
                return 0;
            }
            long left = Zxuffd.fill(g, id, offset, length);
            if (left < 0) {
                throw new ZxException(Status.ERR_NO_MEMORY, "vmo: copying a parent page into a snapshot failed (errno "
                        + -left + ")");
            }
            return left;
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public void modifying(long offset, long length) {
        rw.readLock().lock();
        try {
            if (!closed) {
                Zxuffd.save(g, offset, length);
            }
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public void mapped(long address, long length, long offset) {
        int rc = Zxuffd.addMapping(g, address, length, offset);
        if (rc != 0) {
            if (!installed) {
                throw new ZxException(Status.ERR_NO_MEMORY, "cannot register a mapping with userfaultfd (errno " + -rc + ")");
            }
            // Not protected: writes through it would reach the children. Give them their copies now.
            finishAll();
        }
    }

    @Override
    public void unmapping(long address, long length, long offset) {
        Zxuffd.removeMapping(g, address);
    }

    @Override
    public void released() {
        Zxuffd.releaseMaps(g);
    }

    long pageSize() {
        return page;
    }
}
