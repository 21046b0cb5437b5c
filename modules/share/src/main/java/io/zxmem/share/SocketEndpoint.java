package io.zxmem.share;

import static io.zxmem.linux.sys.SocketAbi.CMSG_ALIGN;
import static io.zxmem.linux.sys.SocketAbi.CMSG_LEN;
import static io.zxmem.linux.sys.SocketAbi.CMSG_SPACE;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.SocketAbi;
import io.zxmem.linux.sys.Sockets;
import io.zxmem.spi.ChannelTransport;
import io.zxmem.spi.ChannelTransport.Received;
import io.zxmem.spi.TransferredHandle;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One end of a channel: a non-blocking {@code AF_UNIX SOCK_SEQPACKET} socket. A record keeps message
 * boundaries, a closed peer reads as end of file, and descriptors ride along with {@code SCM_RIGHTS}.
 * Each direction has its own lock and its own native buffers, so a send and a receive can run at once.
 */
final class SocketEndpoint implements ChannelTransport.Endpoint {
    private static final LibC C = LibC.get();
    private static final Sockets S = Sockets.get();
    private static final long MSG_IOV = SocketAbi.MSGHDR.byteOffset(groupElement("msg_iov"));
    private static final long MSG_IOVLEN = SocketAbi.MSGHDR.byteOffset(groupElement("msg_iovlen"));
    private static final long MSG_CONTROL = SocketAbi.MSGHDR.byteOffset(groupElement("msg_control"));
    private static final long MSG_CONTROLLEN = SocketAbi.MSGHDR.byteOffset(groupElement("msg_controllen"));
    private static final long MSG_FLAGS = SocketAbi.MSGHDR.byteOffset(groupElement("msg_flags"));
    private static final long IOV_BASE = SocketAbi.IOVEC.byteOffset(groupElement("iov_base"));
    private static final long IOV_LEN = SocketAbi.IOVEC.byteOffset(groupElement("iov_len"));
    private static final long CMSG_LEN_AT = SocketAbi.CMSGHDR.byteOffset(groupElement("cmsg_len"));
    private static final long CMSG_LEVEL = SocketAbi.CMSGHDR.byteOffset(groupElement("cmsg_level"));
    private static final long CMSG_TYPE = SocketAbi.CMSGHDR.byteOffset(groupElement("cmsg_type"));
    private static final long CMSG_HDR = SocketAbi.CMSGHDR.byteSize();
    private static final long ST_MODE = Linux.STAT.byteOffset(groupElement("st_mode"));
    private static final long ST_SIZE = Linux.STAT.byteOffset(groupElement("st_size"));
    private static final long POLL_EVENTS = Linux.POLLFD.byteOffset(groupElement("events"));
    private static final long POLL_REVENTS = Linux.POLLFD.byteOffset(groupElement("revents"));
    /** Room for the most descriptors a message may carry; more make the kernel truncate (MSG_CTRUNC). */
    private static final long CONTROL_BYTES = CMSG_SPACE(4L * WireFormat.MAX_FDS);
    private static final int[] NO_FDS = new int[0];

    private final int fd;
    /** The pair this end belongs to while both ends may be in this process (createPair), else null. */
    private final LocalPair pair;
    /** Which end of {@link #pair} this is: 0 or 1. */
    private final int side;
    private final Arena arena;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ReentrantLock recvLock = new ReentrantLock();
    private final MemorySegment sendBuf;
    private final MemorySegment sendMsg;
    private final MemorySegment sendIov;
    private final MemorySegment sendCtl;
    private final MemorySegment recvBuf;
    private final MemorySegment recvMsg;
    private final MemorySegment recvIov;
    private final MemorySegment recvCtl;
    /** The receiver's checks' buffers (used under the receive lock). */
    private final MemorySegment recvStat;
    private final MemorySegment recvOpt;
    private final MemorySegment recvOptLen;
    /** The sender's {@code fstat} buffer (used under the send lock). */
    private final MemorySegment sendStat;

    SocketEndpoint(int fd) {
        this(fd, null, 0);
    }

    SocketEndpoint(int fd, LocalPair pair, int side) {
        this.fd = fd;
        this.pair = pair;
        this.side = side;
        // Freed by close, which the channel object calls once no operation uses the endpoint. (Native
        // memory does not push the GC, so leaving ~140 KiB per endpoint to it could pile up.)
        arena = Arena.ofShared();
        sendBuf = arena.allocate(WireFormat.MAX_RECORD, 8);
        sendMsg = arena.allocate(SocketAbi.MSGHDR);
        sendIov = arena.allocate(SocketAbi.IOVEC);
        sendCtl = arena.allocate(CONTROL_BYTES, 8);
        recvBuf = arena.allocate(WireFormat.MAX_RECORD, 8);
        recvMsg = arena.allocate(SocketAbi.MSGHDR);
        recvIov = arena.allocate(SocketAbi.IOVEC);
        recvCtl = arena.allocate(CONTROL_BYTES, 8);
        recvStat = arena.allocate(Linux.STAT);
        recvOpt = arena.allocate(ValueLayout.JAVA_INT);
        recvOptLen = arena.allocate(ValueLayout.JAVA_INT);
        sendStat = arena.allocate(Linux.STAT);
        sendMsg.set(ValueLayout.ADDRESS, MSG_IOV, sendIov);
        sendMsg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1L);
        sendIov.set(ValueLayout.ADDRESS, IOV_BASE, sendBuf);
        recvMsg.set(ValueLayout.ADDRESS, MSG_IOV, recvIov);
        recvMsg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1L);
        recvIov.set(ValueLayout.ADDRESS, IOV_BASE, recvBuf);
        recvIov.set(ValueLayout.JAVA_LONG, IOV_LEN, recvBuf.byteSize());
    }

    @Override
    public int fd() {
        return fd;
    }

    /** The local pair this end belongs to, or null (for tests). */
    LocalPair pair() {
        return pair;
    }

    /** Whether both ends of this end's pair are known to be in this process only. */
    boolean isLocal() {
        return pair != null && pair.isLocal();
    }

    @Override
    public boolean send(byte[] data, List<TransferredHandle> handles) {
        String op = "channel.write";
        sendLock.lock();
        LocalPair.Memos memos = null;
        try {
            // Before anything can send it: an end of a local pair that goes into a message makes that
            // pair non-local for good (LocalPair).
            for (int i = 0; i < handles.size(); i++) {
                TransferredHandle h = handles.get(i);
                if (h.type() == TransferredHandle.TYPE_CHANNEL) {
                    LocalPair.leaving(h.fd());
                }
                if (h.linkFd() >= 0) {
                    LocalPair.leaving(h.linkFd());
                }
            }
            // Seals are for good, so they go on only once the send can no longer fail for want of a
            // peer or of room: under the send lock only this process's senders take room, and POLLOUT
            // of a SEQPACKET socket means the peer's queue takes a record and the buffer has space for
            // the largest message. (A peer that closes in the instant between here and sendmsg still
            // makes the send fail after the seals; nothing can take that back.)
            // A file known to carry the seals its handle needs (FileFacts) costs no system call here.
            if (!sealsKnown(handles)) {
                int ready = poll(Linux.POLLOUT | SocketAbi.POLLRDHUP, 0);
                if ((ready & (Linux.POLLHUP | Linux.POLLERR | SocketAbi.POLLRDHUP)) != 0) {
                    throw new ZxException(Status.ERR_PEER_CLOSED, op + ": the peer closed the channel");
                }
                if ((ready & Linux.POLLOUT) == 0) {
                    return false;
                }
                for (int i = 0; i < handles.size(); i++) {
                    TransferredHandle h = handles.get(i);
                    if (h.type() == TransferredHandle.TYPE_VMO && !Seals.known(h)) {
                        Seals.apply(op, i, h);
                    }
                }
            }
            int length = WireFormat.encode(sendBuf, data, handles);
            sendIov.set(ValueLayout.JAVA_LONG, IOV_LEN, (long) length);
            int n = 0;
            for (TransferredHandle h : handles) {
                n += h.linkFd() >= 0 ? 2 : 1;
            }
            if (n == 0) {
                sendMsg.set(ValueLayout.ADDRESS, MSG_CONTROL, MemorySegment.NULL);
                sendMsg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, 0L);
            } else {
                sendCtl.set(ValueLayout.JAVA_LONG, CMSG_LEN_AT, CMSG_LEN(4L * n));
                sendCtl.set(ValueLayout.JAVA_INT, CMSG_LEVEL, SocketAbi.SOL_SOCKET);
                sendCtl.set(ValueLayout.JAVA_INT, CMSG_TYPE, SocketAbi.SCM_RIGHTS);
                int at = 0;
                for (TransferredHandle h : handles) {
                    sendCtl.set(ValueLayout.JAVA_INT, CMSG_LEN(0) + 4L * at++, h.fd());
                    if (h.linkFd() >= 0) {
                        sendCtl.set(ValueLayout.JAVA_INT, CMSG_LEN(0) + 4L * at++, h.linkFd());
                    }
                }
                sendMsg.set(ValueLayout.ADDRESS, MSG_CONTROL, sendCtl);
                sendMsg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE(4L * n));
            }
            if (isLocal()) {
                long[] memo = memo(handles);
                memos = pair.toward(1 - side);
                memos.push(memo);
            }
            long r = S.sendmsg(fd, sendMsg, SocketAbi.MSG_NOSIGNAL | SocketAbi.MSG_DONTWAIT);
            if (r < 0) {
                return false;
            }
            memos = null; // the record went out: its memo stays for the receiver
            if (r != length) {
                throw new ZxException(Status.ERR_IO, op + ": the socket took " + r + " of " + length + " bytes");
            }
            return true;
        } catch (LinuxException e) {
            throw Errors.fail(op, e);
        } finally {
            if (memos != null) {
                memos.dropLast(); // no record went out
            }
            sendLock.unlock();
        }
    }

    /**
     * What this process knows about the files of the VMOs of a message it sends on a local pair, for
     * the receiving end to use instead of asking the kernel (see {@link LocalPair.Memos} for the layout).
     * Called once any sealing is done: each VMO's file then carries the seals its handle needs, and a
     * handle without RESIZE has size seals, so a size read now is the file's size for good; it is read
     * once per store ({@code fstat}) and remembered.
     */
    private long[] memo(List<TransferredHandle> handles) {
        int n = handles.size();
        if (n == 0) {
            return LocalPair.NO_FACTS;
        }
        long[] memo = new long[2 * n];
        for (int i = 0; i < n; i++) {
            TransferredHandle h = handles.get(i);
            memo[2 * i] = -1;
            memo[2 * i + 1] = -1;
            if (h.type() != TransferredHandle.TYPE_VMO || h.linkFd() >= 0 || h.file() == null) {
                continue;
            }
            int seals = FileFacts.sealsOf(h.file(), h.fd());
            memo[2 * i] = seals;
            if ((h.rights() & Rights.RESIZE) == 0 && (seals & Seals.SIZE_SEALS) == Seals.SIZE_SEALS) {
                long size = FileFacts.frozenSizeOf(h.file(), h.fd());
                if (size < 0) {
                    try {
                        C.fstat(h.fd(), sendStat);
                        size = sendStat.get(ValueLayout.JAVA_LONG, ST_SIZE);
                        FileFacts.storeHas(h.file(), h.fd(), seals, size);
                    } catch (LinuxException e) {
                        size = -1; // the receiver then reads it itself
                    }
                }
                memo[2 * i + 1] = size;
            }
        }
        return memo;
    }

    /** Whether every VMO among {@code handles} is known to carry the seals its rights need already. */
    private static boolean sealsKnown(List<TransferredHandle> handles) {
        for (TransferredHandle h : handles) {
            if (h.type() == TransferredHandle.TYPE_VMO && !Seals.known(h)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Received receive(int timeoutMillis) {
        String op = "channel.read";
        recvLock.lock();
        try {
            long r = recv();
            if (r < 0 && timeoutMillis > 0) {
                poll(Linux.POLLIN | SocketAbi.POLLRDHUP, timeoutMillis);
                r = recv();
            }
            if (r < 0) {
                return null;
            }
            // Whether the pair is local is asked only now that the record is here (LocalPair): a record
            // another process could have written is never taken for one of ours.
            long[] memo = r > 0 && isLocal() ? pair.toward(side).pop() : null;
            int[] fds = receivedFds();
            try {
                int flags = recvMsg.get(ValueLayout.JAVA_INT, MSG_FLAGS);
                if ((flags & SocketAbi.MSG_CTRUNC) != 0) {
                    throw Errors.malformed("more descriptors than " + WireFormat.MAX_FDS + " (handles and pager links); the kernel"
                            + " dropped the rest");
                }
                if ((flags & SocketAbi.MSG_TRUNC) != 0) {
                    throw Errors.malformed("longer than the largest message, " + WireFormat.MAX_RECORD + " bytes");
                }
                if (r == 0) {
                    // End of file, or an empty record, which this format never sends.
                    if (fds.length == 0 && (poll(SocketAbi.POLLRDHUP, 0) & (Linux.POLLHUP | SocketAbi.POLLRDHUP)) != 0) {
                        throw new ZxException(Status.ERR_PEER_CLOSED, op + ": the peer closed the channel");
                    }
                    throw Errors.malformed("an empty record");
                }
                Received m = WireFormat.decode(recvBuf, r, fds);
                List<TransferredHandle> handles = m.handles();
                for (int i = 0; i < handles.size(); i++) {
                    TransferredHandle h = handles.get(i);
                    TransferredHandle known = memo == null ? null : known(h, i, memo);
                    handles.set(i, known != null ? known : check(h, i));
                }
                return m;
            } catch (RuntimeException | Error e) {
                for (int f : fds) {
                    Os.closeQuietly(f);
                }
                throw e;
            }
        } catch (LinuxException e) {
            throw Errors.fail(op, e);
        } finally {
            recvLock.unlock();
        }
    }

    /** One non-blocking {@code recvmsg}. @return bytes, 0 at end of file, -1 when nothing is queued */
    private long recv() {
        recvMsg.set(ValueLayout.ADDRESS, MSG_CONTROL, recvCtl);
        recvMsg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CONTROL_BYTES);
        recvMsg.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
        return S.recvmsg(fd, recvMsg, SocketAbi.MSG_CMSG_CLOEXEC | SocketAbi.MSG_DONTWAIT);
    }

    /** Every descriptor of every {@code SCM_RIGHTS} control message just received, in order. */
    private int[] receivedFds() {
        long used = recvMsg.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        int[] fds = NO_FDS;
        long at = 0;
        while (at + CMSG_HDR <= used) {
            long len = recvCtl.get(ValueLayout.JAVA_LONG, at + CMSG_LEN_AT);
            if (len < CMSG_HDR || at + len > used) {
                break;
            }
            if (recvCtl.get(ValueLayout.JAVA_INT, at + CMSG_LEVEL) == SocketAbi.SOL_SOCKET
                    && recvCtl.get(ValueLayout.JAVA_INT, at + CMSG_TYPE) == SocketAbi.SCM_RIGHTS) {
                int count = (int) ((len - CMSG_LEN(0)) / 4);
                int[] more = fds.length == 0 ? new int[count] : Arrays.copyOf(fds, fds.length + count);
                for (int i = 0; i < count; i++) {
                    more[fds.length + i] = recvCtl.get(ValueLayout.JAVA_INT, at + CMSG_LEN(0) + 4L * i);
                }
                fds = more;
            }
            at += CMSG_ALIGN(len);
        }
        return fds;
    }

    /**
     * Checks that a received descriptor is what its record says, and that the kernel enforces the
     * rights it came with: a VMO is a memfd sealed as its rights require (so a receiver knows that a
     * read-only VMO really is read-only for everyone but the sender's existing mappings, and that a
     * VMO without RESIZE never shrinks under its mappings), open for writing if it has WRITE, and as
     * large as the record says; a channel is a SOCK_SEQPACKET socket.
     *
     * <p>One {@code fstat} per VMO names its file; what {@link FileFacts} knows about that file from
     * earlier messages spares the rest: a needed seal seen once is there for good, and a descriptor
     * open for writing seen once makes the access mode known. So a VMO that went back and forth costs
     * one system call here, a file never seen before three. The seals are read again whenever one the
     * rights need is not known, so a record claiming a seal the file lacks is always caught.
     *
     * @return the handle with what was found about its file
     */
    private TransferredHandle check(TransferredHandle h, int index) {
        if (h.linkFd() >= 0) {
            checkSocket(h.linkFd(), index, "pager link: the ");
        }
        if (h.type() == TransferredHandle.TYPE_CHANNEL) {
            checkSocket(h.fd(), index, "a channel whose ");
            return h;
        }
        MemorySegment st = recvStat;
        C.fstat(h.fd(), st);
        if ((st.get(ValueLayout.JAVA_INT, ST_MODE) & SocketAbi.S_IFMT) != SocketAbi.S_IFREG) {
            throw Errors.malformed(what(index) + "a VMO whose descriptor is not a regular file");
        }
        int rights = h.rights();
        int needed = Seals.needed(rights) & ~Linux.F_SEAL_SEAL;
        int seals = FileFacts.sealsOf(st);
        // Known only for a file seen before: F_GET_SEALS is also what proves a file is a memfd.
        boolean known = seals >= 0 && (needed & ~seals) == 0;
        if (!known) {
            try {
                seals = C.fcntl(h.fd(), Linux.F_GET_SEALS, 0);
            } catch (LinuxException e) {
                throw Errors.malformed(what(index) + "a VMO whose descriptor is not a memfd (" + e.getMessage() + ")");
            }
        }
        int missing = needed & ~seals;
        if ((seals & Linux.F_SEAL_WRITE) != 0) {
            missing &= ~Linux.F_SEAL_FUTURE_WRITE;
        }
        if (missing != 0) {
            throw Errors.malformed(what(index) + "a VMO with rights " + Rights.toString(rights)
                    + " whose memory lacks the seals that enforce them (0x" + Integer.toHexString(missing) + ")");
        }
        // Seals against a right the record claims: from what is known (a lower bound; another holder
        // may add such a seal at any time after this check anyway, so no check can promise more).
        if ((rights & Rights.WRITE) != 0 && (seals & (Linux.F_SEAL_WRITE | Linux.F_SEAL_FUTURE_WRITE)) != 0) {
            throw Errors.malformed(what(index) + "a VMO with WRITE whose memory is sealed against writes");
        }
        if ((rights & Rights.RESIZE) != 0 && (seals & (Linux.F_SEAL_GROW | Linux.F_SEAL_SHRINK)) != 0) {
            throw Errors.malformed(what(index) + "a VMO with RESIZE whose size is sealed");
        }
        boolean writable = false;
        if ((rights & Rights.WRITE) != 0 && !FileFacts.sawWritable(st)) {
            if ((C.fcntl(h.fd(), Linux.F_GETFL, 0) & 3) != Linux.O_RDWR) {
                throw Errors.malformed(what(index) + "a VMO with WRITE whose descriptor is not open for writing");
            }
            writable = true;
        }
        long fileSize = st.get(ValueLayout.JAVA_LONG, ST_SIZE);
        if ((rights & Rights.RESIZE) == 0 && Long.compareUnsigned(fileSize, h.fileOffset() + h.size()) < 0) {
            throw Errors.malformed(what(index) + "a VMO of " + h.size() + " bytes in a file of " + fileSize);
        }
        if (!known || writable) {
            FileFacts.inodeHas(st, seals, writable);
        }
        // Not taken for the size for good even with size seals: they may have gone on after the fstat.
        return h.withFile(fileSize, seals);
    }

    /**
     * A VMO received on a local pair, from what its sender knew ({@link LocalPair}): the descriptor is
     * the sender's own file, so it is a memfd, open for writing if the sender's handle had WRITE, and
     * its seals and (for a handle without RESIZE) frozen size are in the memo. Accepted without a system
     * call when the memo shows every seal the rights need, none against them and, without RESIZE, a
     * file at least as large as the window; otherwise null, and the handle gets the full check.
     */
    private static TransferredHandle known(TransferredHandle h, int index, long[] memo) {
        if (h.type() != TransferredHandle.TYPE_VMO || h.linkFd() >= 0 || 2 * index + 1 >= memo.length
                || memo[2 * index] < 0) {
            return null;
        }
        int seals = (int) memo[2 * index];
        long fileSize = memo[2 * index + 1];
        int rights = h.rights();
        int missing = Seals.needed(rights) & ~Linux.F_SEAL_SEAL & ~seals;
        if ((seals & Linux.F_SEAL_WRITE) != 0) {
            missing &= ~Linux.F_SEAL_FUTURE_WRITE;
        }
        if (missing != 0
                || ((rights & Rights.WRITE) != 0 && (seals & (Linux.F_SEAL_WRITE | Linux.F_SEAL_FUTURE_WRITE)) != 0)
                || ((rights & Rights.RESIZE) != 0 && (seals & Seals.SIZE_SEALS) != 0)) {
            return null;
        }
        if ((rights & Rights.RESIZE) == 0
                && (fileSize < 0 || Long.compareUnsigned(fileSize, h.fileOffset() + h.size()) < 0)) {
            return null;
        }
        return h.withFile(fileSize, seals, fileSize >= 0);
    }

    /** How a malformed record names the handle; built only on failure. */
    private static String what(int index) {
        return "handle " + index + ": ";
    }

    /**
     * Checks that {@code fd} is a SOCK_SEQPACKET socket, as channel ends and pager links are. One
     * {@code getsockopt}: it fails with ENOTSOCK for anything but a socket.
     */
    private void checkSocket(int fd, int index, String what) {
        recvOptLen.set(ValueLayout.JAVA_INT, 0, 4);
        try {
            S.getsockopt(fd, SocketAbi.SOL_SOCKET, SocketAbi.SO_TYPE, recvOpt, recvOptLen);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOTSOCK) {
                throw Errors.malformed(what(index) + what + "descriptor is not a socket");
            }
            throw Errors.malformed(what(index) + what + "descriptor cannot be checked (" + e.getMessage() + ")");
        }
        if (recvOpt.get(ValueLayout.JAVA_INT, 0) != SocketAbi.SOCK_SEQPACKET) {
            throw Errors.malformed(what(index) + what + "socket is not SOCK_SEQPACKET");
        }
    }

    @Override
    public int await(int signals, int timeoutMillis) {
        short events = 0;
        if (timeoutMillis == 0 || (signals & READABLE) != 0) {
            events |= Linux.POLLIN;
        }
        if (timeoutMillis == 0 || (signals & WRITABLE) != 0) {
            events |= Linux.POLLOUT;
        }
        if (timeoutMillis == 0 || (signals & PEER_CLOSED) != 0) {
            events |= SocketAbi.POLLRDHUP;
        }
        int revents = poll(events, timeoutMillis);
        int ready = 0;
        if ((revents & (Linux.POLLHUP | SocketAbi.POLLRDHUP)) != 0) {
            ready |= PEER_CLOSED;
        } else if ((revents & Linux.POLLOUT) != 0) {
            ready |= WRITABLE;
        }
        if ((revents & Linux.POLLIN) != 0 && ((ready & PEER_CLOSED) == 0 || messageQueued())) {
            ready |= READABLE;
        }
        return ready;
    }

    /** Whether a record waits in the queue (after the peer closed, POLLIN also means end of file). */
    private boolean messageQueued() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(SocketAbi.MSGHDR);
            MemorySegment iov = a.allocate(SocketAbi.IOVEC);
            iov.set(ValueLayout.ADDRESS, IOV_BASE, a.allocate(1));
            iov.set(ValueLayout.JAVA_LONG, IOV_LEN, 1L);
            msg.set(ValueLayout.ADDRESS, MSG_IOV, iov);
            msg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1L);
            // Without a control buffer a peek installs no descriptors; they stay with the queued record.
            return S.recvmsg(fd, msg, SocketAbi.MSG_PEEK | SocketAbi.MSG_DONTWAIT) > 0;
        }
    }

    private int poll(int events, int timeoutMillis) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(Linux.POLLFD);
            p.set(ValueLayout.JAVA_INT, 0, fd);
            p.set(ValueLayout.JAVA_SHORT, POLL_EVENTS, (short) events);
            if (C.poll(p, 1, timeoutMillis) == 0) {
                return 0;
            }
            return p.get(ValueLayout.JAVA_SHORT, POLL_REVENTS);
        }
    }

    @Override
    public void close() {
        if (pair != null) {
            pair.closing(fd);
        }
        Os.closeQuietly(fd);
        arena.close();
    }
}
