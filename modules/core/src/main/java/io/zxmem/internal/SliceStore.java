package io.zxmem.internal;

import io.zxmem.spi.PageStore;
import java.lang.foreign.MemorySegment;

/**
 * The store of a slice: a window {@code [offset, offset+size)} onto its parent's own pages. Every
 * operation goes to the parent's current store under the parent's shared lock (the parent's store
 * may be replaced when a copy-on-write child is cut from it, and must not be freed under a copy).
 * Slices of slices chain. A slice commits nothing of its own, so it reports 0 committed bytes.
 */
public final class SliceStore implements PageStore {
    private final VmoObject parent;
    private final long offset;

    /** A window at {@code offset} of {@code parent}; the slice's VMO object holds the parent alive. */
    public SliceStore(VmoObject parent, long offset) {
        this.parent = parent;
        this.offset = offset;
    }

    @Override
    public void read(long off, MemorySegment dst, long dstOffset, long length) {
        onParent(s -> s.read(offset + off, dst, dstOffset, length));
    }

    @Override
    public void write(long off, MemorySegment src, long srcOffset, long length) {
        onParent(s -> s.write(offset + off, src, srcOffset, length));
    }

    @Override
    public void commit(long off, long length) {
        onParent(s -> s.commit(offset + off, length));
    }

    @Override
    public void decommit(long off, long length) {
        onParent(s -> s.decommit(offset + off, length));
    }

    @Override
    public void zero(long off, long length) {
        onParent(s -> s.zero(offset + off, length));
    }

    /** Runs {@code op} on the parent's current store under the parent's shared lock. */
    private void onParent(java.util.function.Consumer<PageStore> op) {
        parent.withStore(s -> {
            op.accept(s);
            return null;
        });
    }

    @Override
    public long committedBytes() {
        return 0;
    }

    @Override
    public void resize(long newSize) {
        throw new UnsupportedOperationException("a slice is never resizable");
    }

    @Override
    public void discard() {
        throw new UnsupportedOperationException("a slice is never discardable");
    }

    @Override
    public void forEachData(long off, long length, Extents action) {
        onParent(s -> s.forEachData(offset + off, length, (start, len) -> action.accept(start - offset, len)));
    }

    @Override
    public Window mapWindow(long off, long length, int prot, int cachePolicy) {
        return parent.withStore(s -> s.mapWindow(offset + off, length, prot, cachePolicy));
    }

    @Override
    public MemorySegment map(long off, long length, int prot, int cachePolicy) {
        return parent.withStore(s -> s.map(offset + off, length, prot, cachePolicy));
    }

    @Override
    public void close() {
        // The pages are the parent's; the slice's VMO object releases the parent itself.
    }
}
