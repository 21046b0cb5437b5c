package io.zxmem;

/** Zircon status codes, with their numeric values ({@code zx_status_t}). */
public enum Status {
    /** Success. */
    OK(0),
    /** A failure zxmem did not expect (a bug, or the kernel refusing something it should not). */
    ERR_INTERNAL(-1),
    /** The operation is not supported for this object, its state, or this machine. */
    ERR_NOT_SUPPORTED(-2),
    /** Out of a resource other than memory (descriptors, mappings, address space). */
    ERR_NO_RESOURCES(-3),
    /** Out of memory. */
    ERR_NO_MEMORY(-4),
    /** An argument is invalid (unknown option bits, misalignment, a null). */
    ERR_INVALID_ARGS(-10),
    /** The handle is closed or null. */
    ERR_BAD_HANDLE(-11),
    /** The handle is of the wrong object type. */
    ERR_WRONG_TYPE(-12),
    /** An offset, size or count is outside the allowed range. */
    ERR_OUT_OF_RANGE(-14),
    /** A buffer is too small for the result. */
    ERR_BUFFER_TOO_SMALL(-15),
    /** The object is in a state that does not allow the operation. */
    ERR_BAD_STATE(-20),
    /** The deadline passed first. */
    ERR_TIMED_OUT(-21),
    /** Nothing is ready yet; try again later. */
    ERR_SHOULD_WAIT(-22),
    /** The operation was canceled (the handle closed while waiting). */
    ERR_CANCELED(-23),
    /** The other end of a channel is closed. */
    ERR_PEER_CLOSED(-24),
    /** The thing asked for does not exist. */
    ERR_NOT_FOUND(-25),
    /** Something already exists where a new one was to be made. */
    ERR_ALREADY_EXISTS(-26),
    /** The operation cannot be done now (a VMO that is not resizable, content already discarded). */
    ERR_UNAVAILABLE(-28),
    /** The handle lacks a right the operation needs. */
    ERR_ACCESS_DENIED(-30),
    /** An input/output error, or a malformed message. */
    ERR_IO(-40),
    /**
     * The data failed an integrity check and is possibly corrupted ({@code ZX_ERR_IO_DATA_INTEGRITY}).
     * zxmem itself never returns it; a user pager may fail page requests with it ({@code Pager.OP_FAIL}).
     */
    ERR_IO_DATA_INTEGRITY(-42),
    /**
     * No room left on the storage behind the data ({@code ZX_ERR_NO_SPACE}). zxmem itself never returns
     * it; a user pager may fail page requests with it ({@code Pager.OP_FAIL}).
     */
    ERR_NO_SPACE(-54);

    private final int value;

    Status(int value) {
        this.value = value;
    }

    /** {@return the numeric {@code zx_status_t} value} */
    public int value() {
        return value;
    }

    /**
     * {@return the status with numeric value {@code value}}
     *
     * @param value a {@code zx_status_t}
     * @throws ZxException INVALID_ARGS if no status of this enum has that value (Zircon defines more
     *                     codes than zxmem reports; none of those is ever returned by zxmem)
     */
    public static Status of(int value) {
        for (Status s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        throw new ZxException(ERR_INVALID_ARGS, "status.of(" + value + "): no Zircon status zxmem knows has this value");
    }
}
