package io.zxmem;

import java.util.StringJoiner;

/** Handle rights: Zircon's {@code ZX_RIGHT_*} bit masks. */
public final class Rights {
    /** No rights. */
    public static final int NONE = 0;
    /** May be duplicated ({@link Handle#duplicate(int)}). */
    public static final int DUPLICATE = 1 << 0;
    /** May be sent through a channel. */
    public static final int TRANSFER = 1 << 1;
    /** May read the object ({@code Vmo.read}, read-only mappings). */
    public static final int READ = 1 << 2;
    /** May write the object ({@code Vmo.write}, writable mappings). */
    public static final int WRITE = 1 << 3;
    /** May be mapped executable. */
    public static final int EXECUTE = 1 << 4;
    /** May be mapped ({@link Vmar#map}). */
    public static final int MAP = 1 << 5;
    /** May read properties (name, content size). */
    public static final int GET_PROPERTY = 1 << 6;
    /** May set properties (name, content size). */
    public static final int SET_PROPERTY = 1 << 7;
    /** May set and clear user signals ({@link Handle#signal(int, int)}). */
    public static final int SIGNAL = 1 << 12;
    /** May wait for signals ({@link Handle#waitOne}). */
    public static final int WAIT = 1 << 14;
    /** May read object information ({@code Vmo.info}). */
    public static final int INSPECT = 1 << 15;
    /** May resize a resizable VMO. */
    public static final int RESIZE = 1 << 22;
    /** Needed on a {@link Pager} to create VMOs with it and to detach them ({@code ZX_RIGHT_ATTACH_VMO}). */
    public static final int ATTACH_VMO = 1 << 23;
    /** Needed on a {@link Pager} to supply pages, run pager ops and query dirty ranges ({@code ZX_RIGHT_MANAGE_VMO}). */
    public static final int MANAGE_VMO = 1 << 24;
    /** For duplicate and replace: keep the handle's rights. */
    public static final int SAME_RIGHTS = 1 << 31;

    /** {@code TRANSFER | DUPLICATE | WAIT | INSPECT}. */
    public static final int BASIC = TRANSFER | DUPLICATE | WAIT | INSPECT;
    /** {@code READ | WRITE}. */
    public static final int IO = READ | WRITE;
    /** {@code GET_PROPERTY | SET_PROPERTY}. */
    public static final int PROPERTY = GET_PROPERTY | SET_PROPERTY;
    /** The rights of a new VMO handle ({@code RESIZE} is added for a resizable VMO). */
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
        NAMES[23] = "ATTACH_VMO";
        NAMES[24] = "MANAGE_VMO";
        NAMES[31] = "SAME_RIGHTS";
    }

    private Rights() {}

    /**
     * {@return the rights as {@code READ|WRITE|...}, {@code NONE} for 0, unknown bits in hex}
     *
     * @param rights the rights bits
     */
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
