package io.zxmem.spi;

import java.lang.foreign.MemorySegment;

/**
 * Where a VMO's bytes live. The VMO object validates rights, ranges and state and holds its lock;
 * a store only moves bytes and pages. Anonymous VMOs use {@link MemfdStore}; slices, copy-on-write
 * children and physical VMOs plug in their own stores through this interface.
 *
 * <p>Locking contract: {@link #resize}, {@link #discard} and {@link #close} run under the VMO's
 * exclusive lock; everything else under its shared lock, possibly from several threads at once.
 * Offsets are unsigned and already checked against the VMO's size.
 */
public interface PageStore {

    /** Copies {@code length} bytes at {@code offset} into {@code dst} at {@code dstOffset}. Never commits pages. */
    void read(long offset, MemorySegment dst, long dstOffset, long length);

    /** Copies {@code length} bytes from {@code src} at {@code srcOffset} to {@code offset}. */
    void write(long offset, MemorySegment src, long srcOffset, long length);

    /** Allocates the pages of a page-aligned range (they read as before: zero if never written). */
    void commit(long offset, long length);

    /** Frees the pages of a page-aligned range; they read zero afterwards. */
    void decommit(long offset, long length);

    /** Zeroes a byte range, freeing the whole pages inside it. */
    void zero(long offset, long length);

    /** @return bytes of memory this store holds committed right now */
    long committedBytes();

    /** Changes the size to {@code newSize} (page-aligned); pages past it are freed, new pages read zero. */
    void resize(long newSize);

    /** Frees every page: the content reads zero afterwards. */
    void discard();

    /**
     * Maps {@code [offset, offset+length)} into the address space, shared with every other mapping and
     * with {@link #read}/{@link #write}. Ranges past the store's size are mapped and fault (SIGBUS) when
     * touched. {@code cachePolicy} is a {@code Vmo.CACHE_*} value that a device store may honour.
     *
     * @return the start address (a zero-length segment); unmap with {@code munmap(address, length)}
     */
    MemorySegment map(long offset, long length, int prot, int cachePolicy);

    /** Releases the store's memory and descriptors. Called once, when the VMO is destroyed. */
    void close();
}
