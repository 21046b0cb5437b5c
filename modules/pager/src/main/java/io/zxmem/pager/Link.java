package io.zxmem.pager;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
    static final int WRITE = 1;

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(op).putInt(flags).putLong(id).putLong(offset).putLong(length).putInt(status).putInt(0);
        return b.array();
    }

    /** @return the message, or null when {@code data} is not one */
    static Link decode(byte[] data) {
        if (data == null || data.length != BYTES) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return new Link(b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getLong(), b.getInt());
    }
}
