package io.zxmem.cow;

import io.zxmem.internal.store.MemfdStore;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.SharedFile;
import io.zxmem.spi.WatchedFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A copy-on-write child: its own memfd ({@link #inner}, a plain {@link MemfdStore} with its own
 * mappings) plus a native {@link Node} that knows the source and which pages are saved. A saved page
 * lives in the child's file; an unsaved one is read through to the source (holes read zero and
 * allocate nothing). Before the child changes a page it takes the original (writes, and pages a
 * ZERO or DECOMMIT covers only partly) or marks it saved (pages wholly zeroed), after its own
 * dependents saved theirs. Its mappings
 * fill unsaved pages on first touch (userfaultfd missing faults, served natively).
 */
final class ChildStore implements PageStore, SharedFile, WatchedFile {
    private static final long CHUNK = 1L << 20;
    private final MemfdStore inner;
    private final Node node;
    private final long page;
    private long size;
    /** Set once every page is saved: the child is then just its memfd. */
    private volatile boolean complete;

    ChildStore(MemfdStore inner, Node node, long size, long page) {
        this.inner = inner;
        this.node = node;
        this.size = size;
        this.page = page;
    }

    private boolean complete() {
        if (!complete && Node.check(Zxuffd.unsaved(node.handle), "vmo") == 0) {
            complete = true;
        }
        return complete;
    }

    /**
     * Dependents save, then this child takes the originals of the range's pages; with {@code whole},
     * pages wholly inside the range are marked saved without a copy (they are about to read zero).
     */
    private void prepare(long offset, long length, boolean whole) {
        if (length == 0) {
            return;
        }
        if (complete) {
            return; // the inner store tells the watcher itself
        }
        if (Node.check(Zxuffd.prepare(node.handle, offset, length, whole ? 1 : 0), "vmo") == 0) {
            complete = true;
        }
    }

    /** Copies in every unsaved page (before the file leaves the process, or when the source is shared). */
    void completeNow() {
        prepare(0, size, false);
        if (!complete()) {
            throw new IllegalStateException("a copy-on-write child still lacks pages after completion");
        }
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        if (length == 0) {
            return;
        }
        if (complete()) {
            inner.read(offset, dst, dstOffset, length);
            return;
        }
        long start = offset & -page;
        long end = (offset + length + page - 1) & -page; // children on this path are at most CowEngine.LAZY_MAX
        try (Arena a = Arena.ofConfined()) {
            long cap = Math.min(CHUNK, end - start);
            MemorySegment buf = a.allocate(cap, page);
            for (long at = start; at < end;) {
                long n = Math.min(cap, end - at);
                Node.check(Zxuffd.read(node.handle, at, n, buf), "vmo.read");
                long from = Math.max(at, offset);
                long to = Math.min(at + n, offset + length);
                MemorySegment.copy(buf, from - at, dst, dstOffset + (from - offset), to - from);
                at += n;
            }
        }
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        // Every covered page takes its original first, even a wholly overwritten one: a reader through
        // a mapping meanwhile sees old or new bytes, never a zero page in between.
        prepare(offset, length, false);
        inner.write(offset, src, srcOffset, length);
    }

    @Override
    public void commit(long offset, long length) {
        // The free-memory check comes first: taking the originals allocates too.
        inner.ensureRoom(offset, length);
        prepare(offset, length, false);
        inner.commit(offset, length);
    }

    @Override
    public void decommit(long offset, long length) {
        prepare(offset, length, true);
        inner.decommit(offset, length);
    }

    @Override
    public void zero(long offset, long length) {
        prepare(offset, length, true);
        inner.zero(offset, length);
    }

    /** Pages the child's own file holds: saved originals and its own writes. */
    @Override
    public long committedBytes() {
        return inner.committedBytes();
    }

    @Override
    public void resize(long newSize) {
        if (Long.compareUnsigned(newSize, size) < 0) {
            // Dependents save the tail first; then it never reads through again (regrown, it reads zero).
            inner.watcher().modifying(newSize, size - newSize);
            Zxuffd.clip(node.handle, newSize);
        }
        inner.resize(newSize);
        size = newSize;
    }

    @Override
    public void discard() {
        prepare(0, size, true);
        inner.discard();
    }

    @Override
    public MemorySegment map(long offset, long length, int prot, int cachePolicy) {
        throw new UnsupportedOperationException("a copy-on-write child maps through mapWindow (its windows are registered)");
    }

    @Override
    public boolean windowsAreOwnMappings() {
        return true;
    }

    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        return inner.mapWindow(offset, length, prot, cachePolicy);
    }

    @Override
    public Window mapWindow(long offset, long length, long shown, int prot, int cachePolicy) {
        return inner.mapWindow(offset, length, shown, prot, cachePolicy);
    }

    @Override
    public void forEachData(long offset, long length, Extents action) {
        if (complete()) {
            inner.forEachData(offset, length, action);
        } else if (length != 0) {
            action.accept(offset, length);
        }
    }

    @Override
    public void close() {
        inner.close(); // its watcher (the node) leaves the source before the file closes
    }

    // SharedFile: the file can leave the process only complete (peers read the file, not the source).

    @Override
    public int sharedFd() {
        completeNow();
        return inner.sharedFd();
    }

    @Override
    public long sharedOffset() {
        return 0;
    }

    @Override
    public boolean prepareWriteSeal() {
        return inner.prepareWriteSeal();
    }

    // WatchedFile: the child is a source for its own children (a chain).

    @Override
    public int file() {
        return inner.file();
    }

    @Override
    public boolean isShared() {
        return inner.isShared();
    }

    @Override
    public Watcher watcher() {
        return inner.watcher();
    }

    @Override
    public void watch(Watcher w) {
        throw new IllegalStateException("a copy-on-write child is watched from birth");
    }
}
