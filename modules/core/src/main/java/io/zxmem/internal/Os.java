package io.zxmem.internal;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;

/** Turns a failed OS call into the Zircon status a caller of the same Zircon call would see. */
public final class Os {
    private Os() {}

    public static Status statusOf(LinuxException e) {
        return switch (e.errno()) {
            case Errno.ENOMEM, Errno.ENOSPC -> Status.ERR_NO_MEMORY;
            case Errno.EMFILE, Errno.ENFILE, Errno.EAGAIN -> Status.ERR_NO_RESOURCES;
            case Errno.EFBIG, Errno.EOVERFLOW, Errno.ERANGE -> Status.ERR_OUT_OF_RANGE;
            case Errno.EINVAL -> Status.ERR_INVALID_ARGS;
            case Errno.EACCES, Errno.EPERM -> Status.ERR_ACCESS_DENIED;
            case Errno.EBADF -> Status.ERR_BAD_HANDLE;
            case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO -> Status.ERR_NOT_FOUND;
            case Errno.EBUSY -> Status.ERR_UNAVAILABLE;
            case Errno.EOPNOTSUPP, Errno.ENOSYS, Errno.ENOTTY -> Status.ERR_NOT_SUPPORTED;
            case Errno.EIO -> Status.ERR_IO;
            case Errno.ETIMEDOUT -> Status.ERR_TIMED_OUT;
            case Errno.EPIPE, Errno.ECONNRESET -> Status.ERR_PEER_CLOSED;
            default -> Status.ERR_INTERNAL;
        };
    }

    /** @return a ZxException for {@code op} whose cause is the OS failure */
    public static ZxException fail(String op, LinuxException e) {
        return new ZxException(statusOf(e), op, e);
    }
}
