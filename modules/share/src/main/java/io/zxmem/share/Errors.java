package io.zxmem.share;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;

/** Socket failures as the Zircon status a channel call would report. */
final class Errors {
    private Errors() {}

    static Status statusOf(int errno) {
        return switch (errno) {
            case Errno.EPIPE, Errno.ECONNRESET, Errno.ENOTCONN, Errno.ECONNREFUSED -> Status.ERR_PEER_CLOSED;
            case Errno.ENOENT, Errno.ENOTDIR -> Status.ERR_NOT_FOUND;
            case Errno.EADDRINUSE, Errno.EEXIST -> Status.ERR_ALREADY_EXISTS;
            case Errno.EACCES, Errno.EPERM -> Status.ERR_ACCESS_DENIED;
            case Errno.EMFILE, Errno.ENFILE, Errno.ETOOMANYREFS, Errno.ENOBUFS, Errno.EAGAIN -> Status.ERR_NO_RESOURCES;
            case Errno.ENOMEM -> Status.ERR_NO_MEMORY;
            case Errno.EMSGSIZE -> Status.ERR_OUT_OF_RANGE;
            case Errno.EINVAL, Errno.ENAMETOOLONG -> Status.ERR_INVALID_ARGS;
            case Errno.EBADF, Errno.ENOTSOCK -> Status.ERR_BAD_HANDLE;
            default -> Status.ERR_IO;
        };
    }

    static ZxException fail(String op, LinuxException e) {
        return new ZxException(statusOf(e.errno()), op, e);
    }

    /** A message that breaks the wire format: always IO, naming what was wrong. */
    static ZxException malformed(String what) {
        return new ZxException(Status.ERR_IO, "channel.read: malformed message from the peer: " + what);
    }
}
