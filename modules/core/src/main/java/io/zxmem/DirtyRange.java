package io.zxmem;

/**
 * One range that {@link Pager#queryDirtyRanges} reports ({@code zx_vmo_dirty_range_t}): pages that
 * are dirty or awaiting clean.
 *
 * @param offset  page-aligned offset in the VMO
 * @param length  page-aligned length
 * @param options {@link #IS_ZERO} when the range reads zero and was never written (a grown VMO's new
 *                pages), else 0
 */
public record DirtyRange(long offset, long length, long options) {
    /** {@code ZX_VMO_DIRTY_RANGE_IS_ZERO}. */
    public static final long IS_ZERO = 1;
}
