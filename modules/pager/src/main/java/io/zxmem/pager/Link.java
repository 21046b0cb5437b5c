package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Handle;
import io.zxmem.Message;
import io.zxmem.Status;
import io.zxmem.ZxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * One message of the pager link between a process that received a pager VMO and the pager's process.
 * Fixed 40 bytes, little-endian: {@code u32 op, u32 flags, u64 id, u64 offset, u64 length, i32 status,
 * u32 0}. The receiver asks ({@link #NEED}, {@link #MAP}, {@link #PROTECT}) and the pager's process
 * answers each with a {@link #REPLY} carrying the same id and a Zircon status (0 for OK).
 */
record Link(int op, int flags, long id, long offset, long length, int status) {
    static final int BYTES = 40;
    /**
     * First message from the receiver: it holds its end now. The sender's {@code Channel.write} already
     * closed its own copy of that end once the message was sent (or failed to be), so the link never
     * outlives a message that is not read; HELLO only confirms, and a server closes the copy again
     * (harmless) on it.
     */
    static final int HELLO = 1;
    /** Pages {@code [offset, offset+length)} must be supplied; with {@link #WRITE}, also dirtied. */
    static final int NEED = 2;
    /** A window {@code [offset, offset+length)} (id = window) is about to be mapped; {@link #WRITE}: writable. */
    static final int MAP = 3;
    /** Window {@code id} was unmapped. No reply. */
    static final int UNMAP = 4;
    /** Window {@code id} becomes writable ({@link #WRITE}) or read-only. */
    static final int PROTECT = 5;
    static final int REPLY = 6;
    /**
     * The receiver's fault relay: the message carries one channel handle over which the receiver's
     * native fault handler sends {@link #NEED} requests (and gets their replies); {@code offset} is the
     * receiver's pid (a receiver in the pager's own process is refused: NOT_SUPPORTED).
     */
    static final int FAULTS = 7;
    /**
     * The receiver's direct-fault listener: the message's data continues past the 40 bytes with the
     * UTF-8 path of a socket the pager's process connects to natively ({@link DirectServer}); over that
     * connection the receiver hands it the userfaultfds of its lazy windows once it has checked, from
     * the credentials the kernel recorded at the connection, that this process may write its memory
     * anyway. {@code offset} is the receiver's pid (refused, NOT_SUPPORTED, in the pager's own process).
     */
    static final int DIRECT = 8;
    static final int WRITE = 1;
    /**
     * On {@link #MAP} and {@link #PROTECT}: the receiver faults the window's pages in lazily through
     * its relay, if the pager's process agrees; the {@link #REPLY} carries LAZY when it does (else it
     * supplied the whole window, as without the flag).
     */
    static final int LAZY = 2;

    /** @return the message followed by {@code tail} (a {@link #DIRECT} message's path) */
    byte[] encode(byte[] tail) {
        byte[] head = encode();
        byte[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /** @return the bytes past the fixed 40 of {@code data} */
    static byte[] tail(byte[] data) {
        return java.util.Arrays.copyOfRange(data, BYTES, data.length);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(op).putInt(flags).putLong(id).putLong(offset).putLong(length).putInt(status).putInt(0);
        return b.array();
    }

    /**
     * Waits for the next message on {@code ch}, closing any handles that came with it (only the main
     * link's {@link #FAULTS} carries one, which {@code LinkServer} reads itself).
     *
     * @return the message, or null for a record that is not one
     * @throws ZxException once the channel is closed here or there (PEER_CLOSED, BAD_HANDLE, IO)
     */
    static Link next(Channel ch, Duration poll) {
        while (true) {
            Message m;
            try {
                m = ch.read(poll);
            } catch (ZxException e) {
                if (e.status() == Status.ERR_TIMED_OUT) {
                    continue;
                }
                throw e;
            }
            for (Handle h : m.handles()) {
                h.close();
            }
            return decode(m.data());
        }
    }

    /** @return the message, or null when {@code data} is not one */
    static Link decode(byte[] data) {
        if (data == null || data.length < BYTES) {
            return null;
        }
        if (data.length != BYTES && ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(0) != DIRECT) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return new Link(b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getLong(), b.getInt());
    }
}
