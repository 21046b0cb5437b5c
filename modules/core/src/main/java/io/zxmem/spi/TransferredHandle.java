package io.zxmem.spi;

/**
 * A handle on its way between processes: what the sender's core tells the {@link ChannelTransport},
 * and what the receiving transport hands back to the receiver's core.
 *
 * @param type        {@link #TYPE_VMO} or {@link #TYPE_CHANNEL}
 * @param rights      the handle's rights, exactly; the receiver's handle gets these and no others
 * @param fd          the descriptor that carries the object: a memfd for a VMO, the socket for a
 *                    channel. Outgoing: borrowed from the sender's object. Incoming: owned by whoever
 *                    holds this record, who must close it unless it turns it into a handle
 * @param fileOffset  for a VMO, where its byte 0 lies in the file (non-zero for a window of a larger file)
 * @param size        for a VMO, its size in bytes (page-aligned)
 * @param contentSize for a VMO, its content size
 * @param options     for a VMO, its {@code Vmo.create} options that matter to the receiver ({@code RESIZABLE})
 * @param name        for a VMO, its name (at most 31 UTF-8 bytes)
 * @param file        outgoing VMOs: the store, so the transport can seal the file without breaking the
 *                    sender's own write path; null otherwise
 * @param linkFd      for a VMO backed by a user pager, the socket over which the receiver asks the
 *                    pager's process for pages (a {@code SOCK_SEQPACKET} channel endpoint); -1 otherwise.
 *                    Owned like {@code fd}
 * @param fileSize    incoming VMOs: the file's size when the transport checked it; -1 when unknown
 * @param seals       incoming VMOs: the memfd seals the transport found on the file (seals are never
 *                    removed, so the file keeps at least these); 0 when unknown
 * @param sizeFrozen  incoming VMOs: whether {@code fileSize} is the file's size for good (its size seals
 *                    were known to be on before the size was read)
 */
public record TransferredHandle(int type, int rights, int fd, long fileOffset, long size, long contentSize,
        int options, String name, SharedFile file, int linkFd, long fileSize, int seals, boolean sizeFrozen) {
    /** A handle whose file size is unknown. */
    public TransferredHandle(int type, int rights, int fd, long fileOffset, long size, long contentSize,
            int options, String name, SharedFile file, int linkFd) {
        this(type, rights, fd, fileOffset, size, contentSize, options, name, file, linkFd, -1, 0, false);
    }

    /** A handle without a pager link. */
    public TransferredHandle(int type, int rights, int fd, long fileOffset, long size, long contentSize,
            int options, String name, SharedFile file) {
        this(type, rights, fd, fileOffset, size, contentSize, options, name, file, -1, -1, 0, false);
    }

    public static final int TYPE_VMO = 1;
    public static final int TYPE_CHANNEL = 2;

    /** A channel endpoint. */
    public static TransferredHandle channel(int rights, int fd) {
        return new TransferredHandle(TYPE_CHANNEL, rights, fd, 0, 0, 0, 0, "", null);
    }

    /** {@return this incoming handle with what the transport found out about its file} */
    public TransferredHandle withFile(long fileSize, int seals) {
        return withFile(fileSize, seals, false);
    }

    /** {@return this incoming handle with what the transport found out about its file, and whether its size is for good} */
    public TransferredHandle withFile(long fileSize, int seals, boolean sizeFrozen) {
        return new TransferredHandle(type, rights, fd, fileOffset, size, contentSize, options, name, file, linkFd,
                fileSize, seals, sizeFrozen);
    }
}
