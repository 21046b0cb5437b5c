package io.zxmem.internal;

/**
 * The numbers of Zircon's VMO calls ({@code zircon/types.h}): options, child kinds, range ops, cache
 * policies and limits. The public API states them as {@code io.zxmem.Vmo}'s constants (which are
 * these, with their meaning documented there); the VM objects read them here, so the object layer
 * never names a handle class.
 */
public final class VmoConstants {
    private VmoConstants() {}

    public static final int RESIZABLE = 1 << 1;
    public static final int DISCARDABLE = 1 << 2;
    public static final int UNBOUNDED = 1 << 4;
    public static final int CHILD_SNAPSHOT = 1 << 0;
    public static final int CHILD_RESIZABLE = 1 << 2;
    public static final int CHILD_SLICE = 1 << 3;
    public static final int CHILD_SNAPSHOT_AT_LEAST_ON_WRITE = 1 << 4;
    public static final int CHILD_NO_WRITE = 1 << 5;
    public static final int OP_COMMIT = 1;
    public static final int OP_DECOMMIT = 2;
    public static final int OP_LOCK = 3;
    public static final int OP_UNLOCK = 4;
    public static final int OP_CACHE_SYNC = 6;
    public static final int OP_CACHE_INVALIDATE = 7;
    public static final int OP_CACHE_CLEAN = 8;
    public static final int OP_CACHE_CLEAN_INVALIDATE = 9;
    public static final int OP_ZERO = 10;
    public static final int OP_TRY_LOCK = 11;
    public static final int OP_DONT_NEED = 12;
    public static final int OP_ALWAYS_NEED = 13;
    public static final int OP_PREFETCH = 14;
    public static final int CACHE_CACHED = 0;
    public static final int CACHE_UNCACHED = 1;
    public static final int CACHE_UNCACHED_DEVICE = 2;
    public static final int CACHE_WRITE_COMBINING = 3;
    public static final long MAX_SIZE = 0xFFFF_FFFF_FFFE_0000L;
    public static final int MAX_NAME_BYTES = 31;
}
