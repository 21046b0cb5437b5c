package io.zxmem;

/** Zircon status codes, with their numeric values ({@code zx_status_t}). */
public enum Status {
    OK(0),
    ERR_INTERNAL(-1),
    ERR_NOT_SUPPORTED(-2),
    ERR_NO_RESOURCES(-3),
    ERR_NO_MEMORY(-4),
    ERR_INVALID_ARGS(-10),
    ERR_BAD_HANDLE(-11),
    ERR_WRONG_TYPE(-12),
    ERR_OUT_OF_RANGE(-14),
    ERR_BUFFER_TOO_SMALL(-15),
    ERR_BAD_STATE(-20),
    ERR_TIMED_OUT(-21),
    ERR_SHOULD_WAIT(-22),
    ERR_CANCELED(-23),
    ERR_PEER_CLOSED(-24),
    ERR_NOT_FOUND(-25),
    ERR_ALREADY_EXISTS(-26),
    ERR_UNAVAILABLE(-28),
    ERR_ACCESS_DENIED(-30),
    ERR_IO(-40);

    private final int value;

    Status(int value) {
        this.value = value;
    }

    /** {@return the numeric {@code zx_status_t} value} */
    public int value() {
        return value;
    }

    /**
     * @return the status with numeric value {@code value}
     * @throws IllegalArgumentException if no status has that value
     */
    public static Status of(int value) {
        for (Status s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        throw new IllegalArgumentException("no Zircon status with value " + value);
    }
}
