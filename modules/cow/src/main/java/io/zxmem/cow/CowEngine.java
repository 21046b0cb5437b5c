package io.zxmem.cow;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.ChildEngine;
import io.zxmem.spi.MemfdStore;
import io.zxmem.spi.PageStore;

/**
 * The copy-on-write engine that core finds through {@link ChildEngine}. See the module README.
 *
 * <p>Fast path (kernel copy-on-write, no copy of untouched bytes): when neither the parent nor a
 * slice of it is mapped and both sizes are at most {@link #FAST_MAX}, the parent's pages become a
 * hidden node that parent and child map privately ({@link CowStore}). Otherwise (a mapped parent,
 * whose existing kernel mappings cannot be moved onto private pages, or a huge sparse VMO that no
 * address space can hold) the child gets its own memfd with a copy of the parent's data, holes
 * skipped ({@link EagerCopy}), except for a mapped memfd parent: its windows are write-protected with
 * userfaultfd and original pages move into the child lazily ({@link WpGuard}, {@link SnapshotStore}).
 */
public final class CowEngine implements ChildEngine {
    /** Largest VMO that takes the fast path: its region and views must fit the address space easily. */
    public static final long FAST_MAX = 1L << 32;
    /** How many children took each path (for tests and benchmarks). */
    static final java.util.concurrent.atomic.AtomicLong FAST = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong EAGER = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong UFFD = new java.util.concurrent.atomic.AtomicLong();
    private final long page = io.zxmem.Zx.pageSize();

    /** For {@link java.util.ServiceLoader}. */
    public CowEngine() {}

    @Override
    public Cut cut(PageStore parent, long parentSize, boolean parentResizable, long limit, boolean parentMapped, long offset, long size,
            boolean snapshot, String name) {
        if (parent instanceof SnapshotStore s) {
            // A child on the userfaultfd path becomes a plain memfd store once complete: take it whole
            // now, and cut from its memfd as from any root's (the swap replaces the wrapper).
            s.finish();
            Cut c = cutFrom(s.inner(), parentSize, parentResizable, limit, parentMapped, offset, size, snapshot, name);
            return new Cut(c.child(), c.parentReplacement() != null ? c.parentReplacement() : s.inner());
        }
        return cutFrom(parent, parentSize, parentResizable, limit, parentMapped, offset, size, snapshot, name);
    }

    private Cut cutFrom(PageStore parent, long parentSize, boolean parentResizable, long limit, boolean parentMapped, long offset,
            long size, boolean snapshot, String name) {
        boolean small = Long.compareUnsigned(parentSize, FAST_MAX) <= 0 && Long.compareUnsigned(size, FAST_MAX) <= 0
                && Long.compareUnsigned(offset, FAST_MAX) <= 0;
        // -Dzxmem.cow.eager=true forces the copy path (tests run the model on both).
        if (!Boolean.getBoolean("zxmem.cow.eager") && small && !parentMapped) {
            if (parent instanceof CowStore c && c.viewCount() == 0) {
                c.freeze();
                FAST.incrementAndGet();
                return new Cut(c.cutChild(offset, size, limit), null);
            }
            if (parent instanceof MemfdStore m) {
                if (m.guard() instanceof WpGuard g) {
                    g.finishAll(); // the memfd is about to become a hidden node: nothing may still need it
                }
                int fd = m.detach();
                if (fd >= 0) {
                    CowStore p = new CowStore(new HiddenNode(fd, parentSize), 0, parentSize, parentSize);
                    FAST.incrementAndGet();
                    try {
                        return new Cut(p.cutChild(offset, size, limit), p);
                    } catch (RuntimeException | Error e) {
                        p.close();
                        throw e;
                    }
                }
            }
        }
        // Neither path below may serve a memfd shared with another process: its writes would bypass
        // the write protection, and a holder of RESIZE could shrink the file under private pages.
        if (!Boolean.getBoolean("zxmem.cow.eager") && small && !snapshot && !parentResizable
                && parent instanceof MemfdStore m && m.fd() >= 0 && !m.isShared()
                && Long.compareUnsigned(parentSize, MemfdStore.SEGMENT) <= 0) {
            // An at-least-on-write child of a mapped parent: map the parent's own memfd privately.
            // The child keeps its writes and may see the parent's later ones (exactly what the kind
            // allows); the parent is not resizable, so its file never shrinks under the child's
            // private pages (Linux would zap them, SIGBUS).
            HiddenNode live = new HiddenNode(LibC.get().fcntl(m.fd(), Linux.F_DUPFD_CLOEXEC, 0), parentSize, true);
            FAST.incrementAndGet();
            long len = Long.compareUnsigned(offset, limit) < 0 ? Math.min(limit - offset, size) : 0;
            return new Cut(new CowStore(live, offset, len, size), null);
        }
        if (!Boolean.getBoolean("zxmem.cow.eager") && !"false".equals(System.getProperty("zxmem.cow.uffd")) && small
                && parentMapped && parent instanceof MemfdStore m && m.fd() >= 0 && !m.isShared()
                && Long.compareUnsigned(parentSize, MemfdStore.SEGMENT) <= 0) {
            Cut c = writeProtected(m, limit, offset, size, name);
            if (c != null) {
                UFFD.incrementAndGet();
                return c;
            }
        }
        EAGER.incrementAndGet();
        MemfdStore child = new MemfdStore(name, size, page);
        try {
            EagerCopy.copy(parent, offset, limit, size, child);
        } catch (RuntimeException | Error e) {
            child.close();
            throw e;
        }
        return new Cut(child, null);
    }

    /**
     * The userfaultfd path for a mapped parent: the child is its own memfd, empty now; the parent's
     * windows are write-protected over the child's range, and original pages move into the child when
     * either side first needs them ({@link WpGuard}, {@link SnapshotStore}). O(windows) now, one fault
     * per page the parent writes later. @return null when userfaultfd is not usable (copy instead)
     */
    private Cut writeProtected(MemfdStore m, long limit, long offset, long size, String name) {
        long shown = Long.compareUnsigned(offset, limit) < 0 ? Math.min(limit - offset, size) : 0;
        if (shown == 0) {
            return new Cut(new MemfdStore(name, size, page), null); // nothing of the parent shows: zeros
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            WpGuard g = WpGuard.of(m, page);
            if (g == null) {
                return null;
            }
            try {
                SnapshotStore s = SnapshotStore.cut(g, name, offset, shown, size);
                if (s != null) {
                    return new Cut(s, null);
                }
            } finally {
                g.dropIfUnused();
            }
        }
        return null;
    }
}
