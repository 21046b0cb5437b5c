package io.zxmem.spi;

import java.lang.foreign.MemorySegment;

/**
 * Where a VMO's bytes live. The VMO object validates rights, ranges and state and holds its lock;
 * a store only moves bytes and pages. Anonymous VMOs use core's memfd store; slices, copy-on-write
 * children, pager VMOs and physical VMOs plug in their own stores through this interface.
 *
 * <p>Locking contract: {@link #resize}, {@link #discard} and {@link #close} run under the VMO's
 * exclusive lock; everything else under its shared lock, possibly from several threads at once.
 * Offsets are unsigned and already checked against the VMO's size.
 */
public interface PageStore extends MappableStore {

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

    /** Changes the size to {@code newSize} (page-aligned); pages past it are freed, new pages read zero. */
    void resize(long newSize);

    /** Frees every page: the content reads zero afterwards. */
    void discard();

    /**
     * Calls {@code action} for each extent of {@code [offset, offset+length)} that may hold data, in
     * ascending order; ranges not reported read zero. How copies skip the holes of sparse VMOs. The
     * default reports the whole range.
     */
    default void forEachData(long offset, long length, Extents action) {
        if (length != 0) {
            action.accept(offset, length);
        }
    }

    /** Receives extents {@code [offset, offset+length)}. */
    @FunctionalInterface
    interface Extents {
        void accept(long offset, long length);
    }
}
