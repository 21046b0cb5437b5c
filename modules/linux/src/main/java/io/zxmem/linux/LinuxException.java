package io.zxmem.linux;

import io.zxmem.linux.sys.Errno;

/**
 * A failed Linux or libc call: the call's name, the {@code errno} it left and the OS message for it.
 *
 * <p>zxmem never throws this directly at users: it becomes the cause of a {@code ZxException}
 * whose status is the Zircon translation of the errno. Tests and diagnostics read it from there.
 */
public final class LinuxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The C function or syscall that failed. */
    private final String call;
    /** The errno that call left. */
    private final int errno;

    /**
     * Records a failed call; the message reads {@code "mmap: ENOMEM (Cannot allocate memory)"}.
     *
     * @param call  the C function or syscall that failed, for example {@code "mmap"}
     * @param errno the value of {@code errno} captured right after that call
     */
    public LinuxException(String call, int errno) {
        super(call + ": " + Errno.name(errno) + " (" + Errno.message(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** {@return the name of the failed call, for example {@code "memfd_create"}} */
    public String call() {
        return call;
    }

    /** {@return the numeric errno, for example 13} */
    public int errno() {
        return errno;
    }

    /** {@return the symbolic errno, for example {@code "EACCES"}} */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** {@return the operating system's description of the errno, from {@code strerror}} */
    public String osMessage() {
        return Errno.message(errno);
    }
}
