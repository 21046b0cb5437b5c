package io.zxmem.internal;

import io.zxmem.Status;
import io.zxmem.ZxException;

/**
 * Unsigned 64-bit arithmetic on offsets and sizes. Every size and offset in zxmem is an unsigned
 * value in a {@code long}, so plain {@code <} and {@code +} are wrong above 2^63.
 */
public final class Ranges {
    private Ranges() {}

    /** @return whether {@code offset + length} wraps past 2^64 */
    public static boolean overflows(long offset, long length) {
        return Long.compareUnsigned(offset + length, offset) < 0;
    }

    /** @return whether {@code [offset, offset+length)} lies inside {@code [0, size)}; length 0 at size is inside */
    public static boolean inside(long offset, long length, long size) {
        return !overflows(offset, length) && Long.compareUnsigned(offset + length, size) <= 0;
    }

    /** @return whether {@code a > b} as unsigned values */
    public static boolean above(long a, long b) {
        return Long.compareUnsigned(a, b) > 0;
    }

    /** @return whether {@code x} is a multiple of {@code page} */
    public static boolean aligned(long x, long page) {
        return (x & (page - 1)) == 0;
    }

    /** Rounds down to a multiple of {@code page}. */
    public static long floor(long x, long page) {
        return x & -page;
    }

    /** @return whether rounding {@code x} up to {@code page} would wrap past 2^64 */
    public static boolean roundUpOverflows(long x, long page) {
        return Long.compareUnsigned(x, -page) > 0;
    }

    /** Rounds up to a multiple of {@code page}; the caller checked {@link #roundUpOverflows}. */
    public static long ceil(long x, long page) {
        return (x + page - 1) & -page;
    }

    /** Unsigned minimum. */
    public static long min(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /** @return {@code x} as {@code 0x...} */
    public static String hex(long x) {
        return "0x" + Long.toHexString(x);
    }

    /** Throws {@code status} with a message naming the operation and what was wrong. */
    public static ZxException fail(Status status, String op, String what) {
        return new ZxException(status, op + ": " + what);
    }
}
