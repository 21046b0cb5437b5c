package io.zxmem.internal;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.linux.sys.LibC;

/**
 * zxmem's one table from errno to Zircon status, and its one helper that turns a failed OS call
 * into a {@link ZxException}. Core, the physical backends and the channel transport (io.zxmem.share)
 * all use it; only what an errno nobody listed becomes differs by caller (INTERNAL for memory calls,
 * IO for sockets), so each passes that default.
 */
public final class Os {
    private Os() {}

    /**
     * @param errno     what the OS call failed with
     * @param otherwise the status of an errno the table does not list
     * @return the status a caller of the same Zircon call would see
     */
    public static Status statusOf(int errno, Status otherwise) {
        return switch (errno) {
            case Errno.ENOMEM, Errno.ENOSPC -> Status.ERR_NO_MEMORY;
            case Errno.EMFILE, Errno.ENFILE, Errno.EAGAIN, Errno.ETOOMANYREFS, Errno.ENOBUFS -> Status.ERR_NO_RESOURCES;
            case Errno.EFBIG, Errno.EOVERFLOW, Errno.ERANGE, Errno.EMSGSIZE -> Status.ERR_OUT_OF_RANGE;
            case Errno.EINVAL, Errno.ENAMETOOLONG -> Status.ERR_INVALID_ARGS;
            case Errno.EACCES, Errno.EPERM -> Status.ERR_ACCESS_DENIED;
            case Errno.EBADF, Errno.ENOTSOCK -> Status.ERR_BAD_HANDLE;
            case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO, Errno.ENOTDIR -> Status.ERR_NOT_FOUND;
            case Errno.EADDRINUSE, Errno.EEXIST -> Status.ERR_ALREADY_EXISTS;
            case Errno.EBUSY -> Status.ERR_UNAVAILABLE;
            case Errno.EOPNOTSUPP, Errno.ENOSYS, Errno.ENOTTY -> Status.ERR_NOT_SUPPORTED;
            case Errno.EIO -> Status.ERR_IO;
            case Errno.ETIMEDOUT -> Status.ERR_TIMED_OUT;
            case Errno.EPIPE, Errno.ECONNRESET, Errno.ENOTCONN, Errno.ECONNREFUSED -> Status.ERR_PEER_CLOSED;
            default -> otherwise;
        };
    }

    /** {@return the status of a failed memory or device call; an errno not listed is INTERNAL} */
    public static Status statusOf(LinuxException e) {
        return statusOf(e.errno(), Status.ERR_INTERNAL);
    }

    /** @return a ZxException for {@code op} whose cause is the OS failure; an errno not listed is INTERNAL */
    public static ZxException fail(String op, LinuxException e) {
        return new ZxException(statusOf(e), op, e);
    }

    /** @return a ZxException for {@code op} whose cause is the OS failure; an errno not listed is {@code otherwise} */
    public static ZxException fail(String op, LinuxException e, Status otherwise) {
        return new ZxException(statusOf(e.errno(), otherwise), op, e);
    }

    /**
     * Closes {@code fd} (nothing for a negative one), ignoring a failure: EIO or EBADF on close
     * leaves nothing to do, the descriptor is released either way.
     */
    public static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            LibC.get().close(fd);
        } catch (LinuxException ignored) {
            // the descriptor is gone whatever close reported
        }
    }
}
