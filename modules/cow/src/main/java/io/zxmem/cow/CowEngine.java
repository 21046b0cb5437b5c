package io.zxmem.cow;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.spi.ChildEngine;
import io.zxmem.internal.store.MemfdStore;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.WatchedFile;

/**
 * The copy-on-write engine that core finds through {@link ChildEngine}: "save before write", every
 * VMO its own memfd. See the module README.
 *
 * <p>A child is a new, empty memfd plus a native node recording its source and a saved bitmap
 * ({@link ChildStore}). The cut write-protects every window of the source in one native call
 * (point in time); afterwards every change to a source page that the child has not saved first
 * copies the original into the child (library changes through the source's watcher, writes through
 * mappings through userfaultfd faults served by one native handler thread). O(windows) per cut,
 * independent of the VMO's size, at every depth (a child of a child reads through the chain).
 *
 * <p>Copied eagerly instead (always correct for an unmapped parent): sources that are not one file
 * (VMOs above 2^62 bytes), children above {@link #LAZY_MAX} (the saved bitmap would be too large),
 * and processes where userfaultfd is refused altogether.
 */
public final class CowEngine implements ChildEngine {
    /** Largest child shown lazily: its saved bitmap (one bit a page) stays at most 2 MiB. */
    public static final long LAZY_MAX = 1L << 36;
    private static final long PAGE = io.zxmem.Zx.pageSize();
    private static volatile int mode;

    /** For {@link java.util.ServiceLoader}. */
    public CowEngine() {}

    /**
     * @return 1 when this process has a full userfaultfd, 2 when only a user-mode-only one (the
     *         unprivileged case), or a negative errno (no userfaultfd: children are copied eagerly)
     */
    static int mode() {
        int m = mode;
        if (m == 0) {
            if (!Zxuffd.loaded()) {
                m = -1;
            } else {
                m = Zxuffd.init(PAGE);
            }
            mode = m;
        }
        return m;
    }

    @Override
    public PageStore cut(PageStore parent, long offset, long limit, long size, String name) {
        long shown = Long.compareUnsigned(offset, limit) < 0 ? Math.min(limit - offset, size) : 0;
        MemfdStore inner = new MemfdStore(name, size, PAGE);
        if (shown == 0) {
            return inner; // nothing of the parent shows: zeros
        }
        try {
            if (parent instanceof WatchedFile f && f.file() >= 0 && Long.compareUnsigned(shown, LAZY_MAX) <= 0
                    && !Boolean.getBoolean("zxmem.cow.eager") && mode() > 0) {
                return lazy(f, inner, offset, shown, size);
            }
            Cuts.cut(false);
            EagerCopy.copy(parent, offset, limit, size, inner);
            return inner;
        } catch (RuntimeException | Error e) {
            inner.close();
            throw e;
        }
    }

    private static ChildStore lazy(WatchedFile f, MemfdStore inner, long offset, long shown, long size) {
        Node src = Node.of(f);
        Node child = Node.create(inner.file(), true);
        try {
            Node.check(Zxuffd.cut(src.handle, child.handle, offset, shown), "vmo.create_child");
            inner.watch(child); // no window yet: cannot fail
        } catch (RuntimeException | Error e) {
            child.free();
            throw e;
        }
        ChildStore c = new ChildStore(inner, child, size, PAGE);
        if (f.isShared()) {
            // Another process may write the source unseen by any protection: take every page now.
            // (Its writes during this copy are not ordered with the cut.)
            c.completeNow();
        }
        Cuts.cut(true);
        return c;
    }

    /** @return faults served by the native handler so far */
    static long faults() {
        return mode() > 0 ? Zxuffd.faults() : 0;
    }

    static ZxException unavailable(String op) {
        return new ZxException(Status.ERR_NOT_SUPPORTED, op + ": userfaultfd is not available");
    }
}
