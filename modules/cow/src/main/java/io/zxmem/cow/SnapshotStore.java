package io.zxmem.cow;

import io.zxmem.spi.MemfdStore;
import io.zxmem.spi.PageStore;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A snapshot (or at-least-on-write) child of a mapped parent on the userfaultfd path: its own memfd
 * ({@link #inner}) that receives the parent's original pages lazily, from the handler when the parent
 * writes a page first, or from {@link WpGuard#fill} when the child touches a page first. An unsaved
 * page is a hole in the child memfd (reads zero), so every operation first fills the pages it covers;
 * a mapping of the child (which would read the holes directly), a resize, a discard, or a cut from the
 * child fill it completely. A complete child leaves the guard and is just its memfd store.
 */
final class SnapshotStore implements PageStore {
    private final MemfdStore inner;
    private final WpGuard guard;
    /** The child's number in the native guard; set once, before the store is handed out. */
    int id = -1;
    /** Child bytes {@code [0, shown)} show the parent; the rest was past the parent's end (zeros). */
    private final long shown;
    private final AtomicBoolean done = new AtomicBoolean();

    private SnapshotStore(MemfdStore inner, WpGuard guard, long shown) {
        this.inner = inner;
        this.guard = guard;
        this.shown = shown;
    }

    /**
     * A child of {@code size} bytes showing parent bytes {@code [offset, offset+shown)} of the store
     * {@code guard} watches. @return null if the guard is ending (try a new one)
     */
    static SnapshotStore cut(WpGuard guard, String name, long offset, long shown, long size) {
        MemfdStore inner = new MemfdStore(name, size, guard.pageSize());
        try {
            SnapshotStore s = new SnapshotStore(inner, guard, shown);
            s.id = guard.addChild(s, inner.fd(), offset, shown);
            if (s.id < 0) {
                inner.close();
                return null;
            }
            return s;
        } catch (RuntimeException | Error e) {
            inner.close();
            throw e;
        }
    }

    MemfdStore inner() {
        return inner;
    }

    boolean complete() {
        return done.get();
    }

    /** Copies in the unsaved pages of {@code [offset, offset+length)}. */
    private void before(long offset, long length) {
        if (done.get() || length == 0 || Long.compareUnsigned(offset, shown) >= 0) {
            return;
        }
        long end = Long.compareUnsigned(shown - offset, length) < 0 ? shown : offset + length;
        if (guard.fill(id, offset, end - offset) == 0) {
            leave();
        }
    }

    /** Copies in every page still unsaved; afterwards the child is its memfd alone. */
    void finish() {
        if (!done.get()) {
            long left = guard.fill(id, 0, shown);
            if (left != 0) {
                throw new IllegalStateException("a snapshot child still lacks " + left + " pages after a full fill");
            }
            leave();
        }
    }

    private void leave() {
        if (done.compareAndSet(false, true)) {
            guard.childDone(this);
        }
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        before(offset, length);
        inner.read(offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        before(offset, length);
        inner.write(offset, src, srcOffset, length);
    }

    @Override
    public void commit(long offset, long length) {
        before(offset, length);
        inner.commit(offset, length);
    }

    @Override
    public void decommit(long offset, long length) {
        before(offset, length);
        inner.decommit(offset, length);
    }

    @Override
    public void zero(long offset, long length) {
        before(offset, length);
        inner.zero(offset, length);
    }

    /** The pages the child holds so far: saved originals and its own writes. */
    @Override
    public long committedBytes() {
        return inner.committedBytes();
    }

    @Override
    public void resize(long newSize) {
        finish();
        inner.resize(newSize);
    }

    @Override
    public void discard() {
        finish();
        inner.discard();
    }

    @Override
    public MemorySegment map(long offset, long length, int prot, int cachePolicy) {
        finish();
        return inner.map(offset, length, prot, cachePolicy);
    }

    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        finish();
        return inner.mapWindow(offset, length, prot, cachePolicy);
    }

    /** Until complete, the whole range may hold parent data. */
    @Override
    public void forEachData(long offset, long length, Extents action) {
        if (done.get()) {
            inner.forEachData(offset, length, action);
        } else if (length != 0) {
            action.accept(offset, length);
        }
    }

    @Override
    public void close() {
        leave(); // nothing more to save for this child
        inner.close();
    }
}
