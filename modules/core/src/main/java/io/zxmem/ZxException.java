package io.zxmem;

/**
 * A failed zxmem operation: the Zircon {@link Status} the call would have returned, and a message that
 * names the operation and the offending argument. When an OS call failed underneath, the cause is an
 * {@link io.zxmem.linux.LinuxException} with the call's name, the errno name and the OS message.
 */
public class ZxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;

    public ZxException(Status status, String message) {
        super(status + ": " + message);
        this.status = status;
    }

    public ZxException(Status status, String message, Throwable cause) {
        super(status + ": " + message + (cause != null ? " (" + cause.getMessage() + ")" : ""), cause);
        this.status = status;
    }

    /** {@return the Zircon status of the failure} */
    public Status status() {
        return status;
    }
}
