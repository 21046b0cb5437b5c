package io.zxmem;

/**
 * A failed zxmem operation: the Zircon {@link Status} the call would have returned, and a message that
 * names the operation and the offending argument. When an OS call failed underneath, the cause is an
 * {@link io.zxmem.linux.LinuxException} with the call's name, the errno name and the OS message.
 */
public class ZxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The Zircon status. */
    private final Status status;

    /**
     * A failure with {@code status}; the message reads {@code "ERR_...: message"}.
     *
     * @param status  the Zircon status
     * @param message what failed and why
     */
    public ZxException(Status status, String message) {
        super(status + ": " + message);
        this.status = status;
    }

    /**
     * A failure with {@code status} caused by {@code cause} (usually a {@code LinuxException}); the
     * message ends with the cause's.
     *
     * @param status  the Zircon status
     * @param message what failed and why
     * @param cause   the underlying failure
     */
    public ZxException(Status status, String message, Throwable cause) {
        super(status + ": " + message + (cause != null ? " (" + cause.getMessage() + ")" : ""), cause);
        this.status = status;
    }

    /** {@return the Zircon status of the failure} */
    public Status status() {
        return status;
    }
}
