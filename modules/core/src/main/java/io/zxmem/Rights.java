package io.zxmem;

import java.util.StringJoiner;

/** Handle rights: Zircon's {@code ZX_RIGHT_*} bit masks. */
public final class Rights {
    public static final int NONE = 0;
    public static final int DUPLICATE = 1 << 0;
    public static final int TRANSFER = 1 << 1;
    public static final int READ = 1 << 2;
    public static final int WRITE = 1 << 3;
    public static final int EXECUTE = 1 << 4;
    public static final int MAP = 1 << 5;
    public static final int GET_PROPERTY = 1 << 6;
    public static final int SET_PROPERTY = 1 << 7;
    public static final int SIGNAL = 1 << 12;
    public static final int WAIT = 1 << 14;
    public static final int INSPECT = 1 << 15;
    public static final int RESIZE = 1 << 22;
    public static final int SAME_RIGHTS = 1 << 31;

    public static final int BASIC = TRANSFER | DUPLICATE | WAIT | INSPECT;
    public static final int IO = READ | WRITE;
    public static final int PROPERTY = GET_PROPERTY | SET_PROPERTY;
    public static final int DEFAULT_VMO = BASIC | IO | PROPERTY | MAP | SIGNAL;

    private static final String[] NAMES = new String[32];

    static {
        NAMES[0] = "DUPLICATE";
        NAMES[1] = "TRANSFER";
        NAMES[2] = "READ";
        NAMES[3] = "WRITE";
        NAMES[4] = "EXECUTE";
        NAMES[5] = "MAP";
        NAMES[6] = "GET_PROPERTY";
        NAMES[7] = "SET_PROPERTY";
        NAMES[12] = "SIGNAL";
        NAMES[14] = "WAIT";
        NAMES[15] = "INSPECT";
        NAMES[22] = "RESIZE";
        NAMES[31] = "SAME_RIGHTS";
    }

    private Rights() {}

    /** {@return the rights as {@code READ|WRITE|...}, {@code NONE} for 0, unknown bits in hex} */
    public static String toString(int rights) {
        if (rights == 0) {
            return "NONE";
        }
        StringJoiner j = new StringJoiner("|");
        for (int bit = 0; bit < 32; bit++) {
            if ((rights & (1 << bit)) != 0) {
                j.add(NAMES[bit] != null ? NAMES[bit] : "0x" + Integer.toHexString(1 << bit));
            }
        }
        return j.toString();
    }
}
