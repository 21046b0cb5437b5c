package io.zxmem.internal.store;

import io.zxmem.Status;
import io.zxmem.internal.Quarantine;
import io.zxmem.internal.Ranges;
import io.zxmem.linux.sys.LibC;
import io.zxmem.spi.EmptyFile;
import io.zxmem.spi.PageStore;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The store of a slice: a window {@code [offset, offset+size)} onto its parent's own pages. Every
 * operation goes to the parent's current store under the parent's shared lock (the parent's store
 * may be replaced when a copy-on-write child is cut from it, and must not be freed under a copy).
 * Slices of slices chain. A slice commits nothing of its own, so it reports 0 committed bytes.
 *
 * <p>A mapping may reach past the slice's end, as past any VMO's end; that part never shows the
 * parent's pages beyond the window. It maps an empty, size-sealed memfd instead, so touching it
 * raises SIGBUS (an {@link InternalError} in Java), as touching a VMO past its end does. (Not
 * {@code PROT_NONE}: SIGSEGV there would kill the JVM.)
 */
public final class SliceStore implements PageStore {
    private static final LibC C = LibC.get();

    private final Parent parent;
    private final long offset;
    private final long size;

    /**
     * What a slice needs of the VMO it windows. The VM object layer implements it, so that this
     * layer never calls up into a VM object's class.
     */
    public interface Parent {
        /**
         * Runs {@code op} on the parent's current store under the parent's shared lock; with
         * {@code mayFault} (a copy that may touch memory past a file's end) a late fault of {@code op}
         * is thrown before the lock is released.
         */
        <R> R withStore(Function<PageStore, R> op, boolean mayFault);

        /** @return whether the file behind the parent's pages may be shared with another process */
        boolean fileMayBeShared();
    }

    /**
     * A window at {@code offset} of {@code parent}, {@code size} bytes (page-aligned) long; the
     * slice's VMO object holds the parent alive.
     */
    public SliceStore(Parent parent, long offset, long size) {
        this.parent = parent;
        this.offset = offset;
        this.size = size;
    }

    @Override
    public void read(long off, MemorySegment dst, long dstOffset, long length) {
        parent.withStore(s -> {
            s.read(offset + off, dst, dstOffset, length);
            return null;
        }, dst.isNative() || parent.fileMayBeShared());
    }

    @Override
    public void write(long off, MemorySegment src, long srcOffset, long length) {
        parent.withStore(s -> {
            s.write(offset + off, src, srcOffset, length);
            return null;
        }, src.isNative() || parent.fileMayBeShared());
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
    private void onParent(Consumer<PageStore> op) {
        parent.withStore(s -> {
            op.accept(s);
            return null;
        }, false);
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

    /** Bytes of {@code [off, off+length)} that lie inside the slice. */
    private long inside(long off, long length) {
        if (Long.compareUnsigned(off, size) >= 0) {
            return 0;
        }
        return Ranges.min(length, size - off);
    }

    @Override
    public boolean windowsAreOwnMappings() {
        return true;
    }

    @Override
    public Window mapWindow(long off, long length, int prot, int cachePolicy) {
        long inside = inside(off, length);
        if (inside == length) {
            return parent.withStore(s -> s.mapWindow(offset + off, length, prot, cachePolicy), false);
        }
        if (inside == 0) {
            MemorySegment m = EmptyFile.map(MemorySegment.NULL, length, prot, false);
            return new Window.Own(m.address(), length);
        }
        return parent.withStore(s -> partialWindow(s, off, length, inside, prot, cachePolicy), false);
    }

    /**
     * A window that starts inside the slice and ends past it. Where the parent's windows are mappings
     * of their own, the parent's window of the whole length is made and its part past the slice is
     * replaced at once ({@code MAP_FIXED}) by the empty file, before anyone can see it. A
     * copy-on-write parent's windows are views into its one region, which must not be replaced; then
     * the empty file is placed right after a window of the inside part, if that address is free.
     */
    private Window partialWindow(PageStore s, long off, long length, long inside, int prot, int cachePolicy) {
        long tail = length - inside;
        boolean ownMappings = s.windowsAreOwnMappings();
        if (ownMappings && !Ranges.overflows(offset + off, length)) {
            // The store replaces the part past the slice before anyone (its watcher included) sees it.
            return s.mapWindow(offset + off, length, inside, prot, cachePolicy);
        }
        Window w = s.mapWindow(offset + off, inside, prot, cachePolicy);
        long want = w.address() + inside;
        MemorySegment t;
        try {
            t = EmptyFile.map(MemorySegment.ofAddress(want), tail, prot, false);
        } catch (RuntimeException | Error e) {
            w.unmap();
            throw e;
        }
        if (t.address() != want) {
            C.munmap(t, tail);
            w.unmap();
            throw Ranges.fail(Status.ERR_NO_RESOURCES, "vmar.map", "no room to place the " + Ranges.hex(tail)
                    + " bytes past the slice's end next to its window");
        }
        return new Window() {
            @Override
            public long address() {
                return w.address();
            }

            @Override
            public long length() {
                return length;
            }

            @Override
            public void protect(int p) {
                w.protect(p);
                C.mprotect(t, tail, p);
            }

            @Override
            public void unmap() {
                try {
                    Quarantine.unmap(t, tail);
                } finally {
                    Quarantine.unmap(w);
                }
            }
        };
    }

    @Override
    public MemorySegment map(long off, long length, int prot, int cachePolicy) {
        long inside = inside(off, length);
        if (inside == length) {
            return parent.withStore(s -> s.map(offset + off, length, prot, cachePolicy), false);
        }
        if (inside == 0) {
            return EmptyFile.map(MemorySegment.NULL, length, prot, false);
        }
        return parent.withStore(s -> {
            boolean ownMappings = s.windowsAreOwnMappings();
            if (!ownMappings || Ranges.overflows(offset + off, length)) {
                throw new UnsupportedOperationException("a raw map past a slice's end over a store mapped through views");
            }
            MemorySegment m = s.map(offset + off, length, prot, cachePolicy);
            try {
                EmptyFile.map(MemorySegment.ofAddress(m.address() + inside), length - inside, prot, true);
            } catch (RuntimeException | Error e) {
                C.munmap(m, length);
                throw e;
            }
            return m;
        }, false);
    }

    @Override
    public void close() {
        // The pages are the parent's; the slice's VMO object releases the parent itself.
    }
}
