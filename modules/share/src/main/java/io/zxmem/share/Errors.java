package io.zxmem.share;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;

/** Socket failures as the Zircon status a channel call would report. */
final class Errors {
    private Errors() {}

    /**
     * A failed socket call: core's one errno table ({@link Os#statusOf(int, Status)}), where an errno
     * the table does not list is IO rather than core's INTERNAL (a socket failing in an unforeseen
     * way is an I/O failure of the channel, not a bug of zxmem).
     */
    static ZxException fail(String op, LinuxException e) {
        return Os.fail(op, e, Status.ERR_IO);
    }

    /** A message that breaks the wire format: always IO, naming what was wrong. */
    static ZxException malformed(String what) {
        return new ZxException(Status.ERR_IO, "channel.read: malformed message from the peer: " + what);
    }
}
