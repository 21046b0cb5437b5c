package io.zxmem;

/** Object signals: Zircon's {@code ZX_*_SIGNAL} bit masks used by zxmem objects. */
public final class Signals {
    /** Asserted on a VMO with no live children (closed and unmapped ones do not count). */
    public static final int VMO_ZERO_CHILDREN = 1 << 3;
    public static final int USER_0 = 1 << 24;
    public static final int USER_1 = 1 << 25;
    public static final int USER_2 = 1 << 26;
    public static final int USER_3 = 1 << 27;
    public static final int USER_4 = 1 << 28;
    public static final int USER_5 = 1 << 29;
    public static final int USER_6 = 1 << 30;
    public static final int USER_7 = 1 << 31;
    /** Every user signal, {@code USER_0 .. USER_7}. */
    public static final int USER_ALL = 0xFF00_0000;

    private Signals() {}
}
