package io.zxmem;

/**
 * What {@link Vmo#info()} reports ({@code zx_info_vmo_t}). {@code flags} carries the {@code ZX_INFO_VMO_*}
 * bits defined here.
 *
 * @param koid           the VMO's process-unique object id
 * @param name           its name
 * @param sizeBytes      its size in bytes
 * @param parentKoid     the koid of its parent, 0 for a root VMO
 * @param numChildren    how many live children it has
 * @param numMappings    how many live mappings it has
 * @param shareCount     how many address spaces map it (1 here: this process)
 * @param flags          {@code TYPE_PAGED}, {@code RESIZABLE}, {@code IS_COW_CLONE} and the other bits defined here
 * @param committedBytes bytes of memory it holds committed
 * @param handleRights   the rights of the handle that asked
 * @param cachePolicy    its {@code Vmo.CACHE_*} policy
 */
public record VmoInfo(long koid, String name, long sizeBytes, long parentKoid, long numChildren,
        long numMappings, long shareCount, int flags, long committedBytes, int handleRights, int cachePolicy) {
    public static final int TYPE_PAGED = 1 << 0;
    public static final int RESIZABLE = 1 << 1;
    public static final int IS_COW_CLONE = 1 << 2;
    /** The VMO's pages come from a user pager ({@code ZX_INFO_VMO_PAGER_BACKED}). */
    public static final int PAGER_BACKED = 1 << 5;
    public static final int VIA_HANDLE = 1 << 3;
    public static final int CONTIGUOUS = 1 << 6;
    public static final int DISCARDABLE = 1 << 7;
    public static final int IMMUTABLE = 1 << 8;
}
