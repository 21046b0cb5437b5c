package io.zxmem.spi;

import java.lang.foreign.MemorySegment;

/**
 * What the store of every VMO does, paged or physical: maps its bytes into the address space, says how
 * much memory it holds, and gives it back. A physical VMO's store needs nothing more; the bytes of a
 * paged VMO are also read, written, committed and resized, which {@link PageStore} adds.
 *
 * <p>Locking contract: {@link #close} runs under the VMO's exclusive lock; everything else under its
 * shared lock, possibly from several threads at once. Offsets are unsigned and already checked
 * against the VMO's size.
 */
public interface MappableStore {

    /** @return bytes of memory this store holds committed right now */
    long committedBytes();

    /**
     * Maps {@code [offset, offset+length)} into the address space, shared with every other mapping and
     * with {@link PageStore#read}/{@link PageStore#write}. Ranges past the store's size are mapped and
     * fault (SIGBUS) when touched. {@code cachePolicy} is a {@code Vmo.CACHE_*} value that a device
     * store may honour.
     *
     * @return the start address (a zero-length segment); unmap with {@code munmap(address, length)}
     */
    MemorySegment map(long offset, long length, int prot, int cachePolicy);

    /** Releases the store's memory and descriptors. Called once, when the VMO is destroyed. */
    void close();

    /**
     * Maps a window as {@link #map} does and says how to undo it. A store whose mappings are views
     * of one mapping of its own (a copy-on-write store, whose private pages belong to one mapping)
     * returns windows that do not unmap or protect that shared mapping. The default wraps
     * {@link #map} with {@code munmap} and {@code mprotect}.
     */
    default Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        MemorySegment addr = map(offset, length, prot, cachePolicy);
        return new Window.Own(addr.address(), length);
    }

    /**
     * Whether each {@link #mapWindow} is a kernel mapping of its own that may be partly replaced
     * ({@code MAP_FIXED}) by its caller, as a slice does with the part of a window past its end. The
     * default says no: the caller then maps only the part it keeps.
     */
    default boolean windowsAreOwnMappings() {
        return false;
    }

    /**
     * Maps a window of {@code length} bytes whose first {@code shown} bytes show the store and whose
     * rest shows an {@link EmptyFile} (a slice's window past its end), for stores whose
     * {@link #windowsAreOwnMappings windows are own mappings}. The default maps the whole window and
     * then replaces its tail; a store that tells others about its windows overrides this so that they
     * only ever hear of the {@code shown} part.
     */
    default Window mapWindow(long offset, long length, long shown, int prot, int cachePolicy) {
        Window w = mapWindow(offset, length, prot, cachePolicy);
        if (shown != length) {
            try {
                EmptyFile.map(MemorySegment.ofAddress(w.address() + shown), length - shown, prot, true);
            } catch (RuntimeException | Error e) {
                w.unmap();
                throw e;
            }
        }
        return w;
    }

    /** A window of a store in the address space, and how to change its protection and remove it. */
    interface Window {
        long address();

        long length();

        /** Changes the protection ({@code PROT_*}) of the window's pages, where the store allows it. */
        void protect(int prot);

        /** Removes the window. Called once, when no segment can reach it any more. */
        void unmap();

        /** A window that is its own mapping: protect is {@code mprotect}, unmap is {@code munmap}. */
        record Own(long address, long length) implements Window {
            @Override
            public void protect(int prot) {
                io.zxmem.linux.sys.LibC.get().mprotect(MemorySegment.ofAddress(address), length, prot);
            }

            @Override
            public void unmap() {
                io.zxmem.linux.sys.LibC.get().munmap(MemorySegment.ofAddress(address), length);
            }
        }
    }
}
