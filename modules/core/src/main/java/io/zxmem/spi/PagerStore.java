package io.zxmem.spi;

import io.zxmem.DirtyRange;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The store of a pager VMO: a {@link PageStore} whose pages come from a user pager. Accessors
 * ({@code read}, {@code write}, COMMIT, ZERO) wait for the pager inside the store; the calls below are
 * the pager's side. Core has checked handles, rights and alignment; the store checks ranges against
 * its own size and its state (OUT_OF_RANGE, BAD_STATE, NOT_FOUND) under its own lock.
 */
public interface PagerStore extends PagerBacked, SharedFile {

    /** @return the pager this VMO belongs to */
    PagerEngine engine();

    /** Tells the store the koid of its VMO, which page requests carry. Called once, right after creation. */
    void attach(long koid);

    /** @return whether the VMO traps the first write to a clean page ({@code Pager.TRAP_DIRTY}) */
    boolean trapsDirty();

    /** @return whether the VMO was detached from its pager (or the pager is gone) */
    boolean detached();

    /**
     * Checks that {@code [offset, offset+length)} (page-aligned) lies inside the VMO and the VMO is
     * still attached: OUT_OF_RANGE, then BAD_STATE.
     */
    void checkSupply(long offset, long length);

    /**
     * Supplies the pages of {@code bytes} (a whole number of pages) at {@code offset}: pages not yet
     * supplied take these bytes, pages already there keep theirs; waiting accessors wake.
     */
    void supply(long offset, MemorySegment bytes);

    /** {@code zx_pager_op_range}: {@code Pager.OP_*} over a page-aligned range, {@code data} validated by the store. */
    void opRange(int op, long offset, long length, long data);

    /** The dirty and awaiting-clean ranges inside a page-aligned range, in ascending order. */
    List<DirtyRange> queryDirtyRanges(long offset, long length);

    /** Detaches the VMO from the pager: requests fail with BAD_STATE from now on; a COMPLETE request is sent. */
    void detach();

    /** @return bytes supplied so far (for inspection) */
    long suppliedBytes();

    /** @return bytes dirty or awaiting clean (for inspection) */
    long dirtyBytes();
}
