package io.zxmem.internal.store;

import io.zxmem.internal.Linked;
import io.zxmem.internal.Quarantine;
import io.zxmem.linux.sys.LibC;
import io.zxmem.spi.EmptyFile;
import io.zxmem.spi.MappableStore.Window;
import io.zxmem.spi.WatchedFile.Watcher;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The live user windows of one store's file and the one {@link Watcher} (a copy-on-write engine) that
 * hears of them and of every change the store is about to make. The table's monitor orders windows
 * against the watcher's installation: a watcher is told of every window that exists when it arrives,
 * and of every one made or removed after, never of one half made or half gone.
 */
final class WindowTable {
    private static final LibC C = LibC.get();

    /**
     * The live windows, a list threaded through them, guarded by this table's monitor: a set would
     * cost every store a hash map and every window an entry, on the path of every create and map.
     */
    private Tracked first;
    /** Installed once ({@link #watch}). */
    private volatile Watcher watcher;

    /** How a window's pages are mapped (the store's {@code map}). */
    @FunctionalInterface
    interface Mapper {
        MemorySegment map(long offset, long length, int prot, int cachePolicy);
    }

    Watcher watcher() {
        return watcher;
    }

    /** Installs {@code w}, telling it of every live window first; see {@code WatchedFile.watch}. */
    void watch(Watcher w) {
        synchronized (this) {
            if (watcher != null) {
                throw new IllegalStateException("a store has one watcher");
            }
            List<Tracked> told = new ArrayList<>();
            try {
                for (Tracked t = first; t != null; t = t.next()) {
                    w.mapped(t.address, t.shown, t.offset);
                    told.add(t);
                }
            } catch (RuntimeException | Error e) {
                for (Tracked t : told) {
                    w.unmapping(t.address, t.shown, t.offset);
                }
                throw e;
            }
            watcher = w;
        }
    }

    /** Tells the watcher, if any, that {@code [offset, offset+length)} is about to change. */
    void modifying(long offset, long length) {
        Watcher w = watcher;
        if (w != null && length != 0) {
            w.modifying(offset, length);
        }
    }

    /** Tells the watcher, if any, that the file is about to leave the process. */
    void exporting() {
        Watcher w = watcher;
        if (w != null) {
            w.exporting();
        }
    }

    /**
     * Tells the watcher, if any, that the file is about to close (it saves what dependents need).
     *
     * @return whether there was a watcher (the file was then handed to it)
     */
    boolean closing() {
        Watcher w = watcher;
        if (w != null) {
            w.closing();
        }
        return w != null;
    }

    /**
     * Maps a window of {@code length} bytes through {@code mapper} whose first {@code shown} bytes show
     * the file and whose rest shows an {@link EmptyFile}, and registers it: the watcher hears only of
     * the {@code shown} part, and may refuse the window (it is then unmapped and the refusal thrown).
     */
    Window open(Mapper mapper, long offset, long length, long shown, int prot, int cachePolicy) {
        synchronized (this) {
            MemorySegment addr = mapper.map(offset, length, prot, cachePolicy);
            try {
                if (shown != length) {
                    EmptyFile.map(MemorySegment.ofAddress(addr.address() + shown), length - shown, prot, true);
                }
            } catch (RuntimeException | Error e) {
                C.munmap(addr, length);
                throw e;
            }
            Tracked w = new Tracked(addr.address(), length, offset, shown);
            Watcher g = watcher;
            if (g != null) {
                try {
                    g.mapped(w.address, shown, offset);
                } catch (RuntimeException | Error e) {
                    C.munmap(addr, length);
                    throw e;
                }
            }
            first = Linked.push(first, w);
            return w;
        }
    }

    /** A user window: {@code munmap} under the table's monitor, so a watcher never sees it half gone. */
    private final class Tracked extends Linked<Tracked> implements Window {
        final long address;
        final long length;
        final long offset;
        /** The part that shows the store's file (the rest maps an empty file): all the watcher knows of. */
        final long shown;

        Tracked(long address, long length, long offset, long shown) {
            this.address = address;
            this.length = length;
            this.offset = offset;
            this.shown = shown;
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void protect(int prot) {
            C.mprotect(MemorySegment.ofAddress(address), length, prot);
        }

        @Override
        public void unmap() {
            synchronized (WindowTable.this) {
                if (Linked.contains(first, this)) {
                    first = Linked.unlink(first, this);
                }
                Watcher g = watcher;
                if (g != null) {
                    g.unmapping(address, shown, offset);
                }
                // A window its handle retires is replaced, not unmapped: late accesses may still land.
                Quarantine.unmap(MemorySegment.ofAddress(address), length);
            }
        }
    }
}
