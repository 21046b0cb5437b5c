package io.zxmem;

/** Object signals: Zircon's {@code ZX_*_SIGNAL} bit masks used by zxmem objects. */
public final class Signals {
    /** Asserted on a VMO with no live children (closed and unmapped ones do not count). */
    public static final int VMO_ZERO_CHILDREN = 1 << 3;
    /** User signal 0, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_0 = 1 << 24;
    /** User signal 1, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_1 = 1 << 25;
    /** User signal 2, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_2 = 1 << 26;
    /** User signal 3, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_3 = 1 << 27;
    /** User signal 4, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_4 = 1 << 28;
    /** User signal 5, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_5 = 1 << 29;
    /** User signal 6, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_6 = 1 << 30;
    /** User signal 7, set and cleared with {@link Handle#signal(int, int)}. */
    public static final int USER_7 = 1 << 31;
    /** Every user signal, {@code USER_0 .. USER_7}. */
    public static final int USER_ALL = 0xFF00_0000;

    private Signals() {}
}
