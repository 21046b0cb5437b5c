package io.zxmem;

import io.zxmem.internal.object.ChannelObject;
import io.zxmem.internal.object.KernelObject;
import io.zxmem.internal.Os;
import io.zxmem.internal.Ranges;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.SocketAbi;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.zxmem.spi.ChannelTransport;
import io.zxmem.spi.TransferredHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A handle to one end of a channel between processes of one machine ({@code zx_channel_*}): messages
 * of bytes and handles, delivered in order.
 *
 * <p>Writing a message consumes the handles it carries, as {@code zx_channel_write} does, whether or
 * not the write succeeds. A received handle has exactly the rights it was written with, and the
 * receiving process's kernel enforces them: the memory of a VMO sent without {@link Rights#WRITE}
 * cannot be written there even with raw system calls, nor resized without {@link Rights#RESIZE}.
 * The transport (Unix domain sockets, descriptors passed with {@code SCM_RIGHTS}) lives in the module
 * {@code io.zxmem.share}, which must be on the module or class path; its README tells what a
 * read-only share means for the sender and what is and is not isolated between processes.
 *
 * <p>Channel handles have {@link #DEFAULT_RIGHTS}: no {@link Rights#DUPLICATE}, so one handle owns
 * an end, and sending it moves the end to the receiver.
 */
public final class Channel extends Handle {
    /** Signal: a message is waiting to be read. */
    public static final int READABLE = 1 << 0;
    /** Signal: a message can be written now. */
    public static final int WRITABLE = 1 << 1;
    /** Signal: the other end is closed. */
    public static final int PEER_CLOSED = 1 << 2;
    /** The largest message, in bytes ({@code ZX_CHANNEL_MAX_MSG_BYTES}). */
    public static final int MAX_MSG_BYTES = 65536;
    /** The most handles one message carries ({@code ZX_CHANNEL_MAX_MSG_HANDLES}). */
    public static final int MAX_MSG_HANDLES = 64;
    /** The rights of a new channel handle: Zircon's default channel rights less SIGNAL_PEER. */
    public static final int DEFAULT_RIGHTS = Rights.TRANSFER | Rights.WAIT | Rights.INSPECT | Rights.READ
            | Rights.WRITE | Rights.SIGNAL;

    private static final int CHANNEL_SIGNALS = READABLE | WRITABLE | PEER_CLOSED;
    /** Blocking calls wait in slices this long, to notice a handle closed by another thread. */
    private static final int SLICE_MILLIS = 100;

    private static final byte[] NO_BYTES = new byte[0];
    private static final KernelObject[] NO_OBJECTS = new KernelObject[0];
    private static final int[] NO_RIGHTS = new int[0];
    private static final TransferredHandle[] NO_TRANSFERS = new TransferredHandle[0];

    private final ChannelObject channel;

    Channel(ChannelObject channel, int rights) {
        super(channel, rights);
        this.channel = channel;
    }

    @Override
    Handle newHandle(KernelObject object, int rights) {
        return new Channel((ChannelObject) object, rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Channel} handle
     */
    @Override
    public Channel duplicate(int rights) {
        return (Channel) super.duplicate(rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Channel} handle
     */
    @Override
    public Channel replace(int rights) {
        return (Channel) super.replace(rights);
    }

    /** Finds the transport once. */
    private static final class Transport {
        static final ChannelTransport INSTANCE = ServiceLoader.load(ChannelTransport.class, Channel.class.getClassLoader())
                .findFirst().orElse(null);
    }

    static ChannelTransport transport(String op) {
        ChannelTransport t = Transport.INSTANCE;
        if (t == null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "no channel transport found: put the io.zxmem.share"
                    + " module (zxmem-share) on the module or class path");
        }
        return t;
    }

    /** {@return two connected channel ends, each with {@link #DEFAULT_RIGHTS}} */
    public static Channel[] createPair() {
        String op = "channel.create";
        ChannelTransport.Endpoint[] e;
        try {
            e = transport(op).pair();
        } catch (LinuxException x) {
            throw Os.fail(op, x);
        }
        return new Channel[] {new Channel(new ChannelObject(e[0]), DEFAULT_RIGHTS),
                new Channel(new ChannelObject(e[1]), DEFAULT_RIGHTS)};
    }

    /**
     * Listens for connections on a filesystem path (a Unix domain socket; other processes of the same
     * machine that may open the path can connect).
     *
     * @param path where the socket is created
     * @return the server, which accepts connections
     * @throws ZxException ALREADY_EXISTS when something is at the path; INVALID_ARGS for a path too
     *                     long for a socket address (107 bytes); NOT_FOUND when its directory is missing
     */
    public static ChannelServer listen(Path path) {
        String op = "channel.listen(" + path + ")";
        if (path == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "channel.listen", "path is null");
        }
        try {
            return new ChannelServer(transport(op).listen(path), path);
        } catch (LinuxException x) {
            throw Os.fail(op, x);
        }
    }

    /**
     * Connects to a {@link ChannelServer} listening on {@code path}.
     *
     * @param path where the server listens
     * @return this end of the new channel, with {@link #DEFAULT_RIGHTS}
     * @throws ZxException NOT_FOUND when nothing is at the path; PEER_CLOSED when nobody listens there
     */
    public static Channel connect(Path path) {
        String op = "channel.connect(" + path + ")";
        if (path == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "channel.connect", "path is null");
        }
        try {
            return new Channel(new ChannelObject(transport(op).connect(path)), DEFAULT_RIGHTS);
        } catch (LinuxException x) {
            throw Os.fail(op, x);
        }
    }

    static Channel accepted(ChannelTransport.Endpoint e) {
        return new Channel(new ChannelObject(e), DEFAULT_RIGHTS);
    }

    /**
     * Writes a message: {@code data} (null means none) and {@code handles}, which are consumed, as
     * {@code zx_channel_write} does, even when the write fails. Needs {@link Rights#WRITE} on this
     * handle and {@link Rights#TRANSFER} on each sent handle. Does not block.
     *
     * <p>A VMO handle travels with its rights, which the receiving kernel enforces: without WRITE the
     * VMO's memory is sealed against writes ({@code F_SEAL_FUTURE_WRITE}) for every process, this
     * one's existing mappings and its own {@code Vmo.write} excepted; without RESIZE its size is
     * frozen for everyone ({@code F_SEAL_GROW|F_SEAL_SHRINK}). Seals are per memory object and cannot
     * be removed, so once a VMO went out without WRITE (or RESIZE), a handle with that right to it can
     * no longer be sent (NOT_SUPPORTED). The seals go on only once the send can no longer fail for a
     * closed peer or a full queue, so a write failing with PEER_CLOSED or SHOULD_WAIT seals nothing.
     *
     * @param data    the bytes, at most {@link #MAX_MSG_BYTES}
     * @param handles the handles to send, at most {@link #MAX_MSG_HANDLES}
     * @throws ZxException BAD_HANDLE for a closed channel or a null, closed or repeated handle;
     *                     ACCESS_DENIED without WRITE, or a handle without TRANSFER; OUT_OF_RANGE for
     *                     more than {@link #MAX_MSG_BYTES} bytes or {@link #MAX_MSG_HANDLES} handles;
     *                     NOT_SUPPORTED for this channel's own handle among {@code handles} and for
     *                     handles that cannot leave the process (physical, discardable or copy-on-write
     *                     VMOs, VMOs larger than 2^62 bytes, read-only shares of VMOs above 64 GiB);
     *                     SHOULD_WAIT when the peer's queue is full; PEER_CLOSED when the peer is gone
     */
    public void write(byte[] data, Handle... handles) {
        int n = handles == null ? 0 : handles.length;
        byte[] bytes = data == null ? NO_BYTES : data;
        // The operation's name ("channel.write(B bytes, N handles)") is built only for a failure.
        KernelObject[] taken = n == 0 ? NO_OBJECTS : new KernelObject[n];
        int[] rights = n == 0 ? NO_RIGHTS : new int[n];
        ZxException failure = null;
        boolean retained = false;
        boolean consumed = false;
        List<Handle> afterSend = new ArrayList<>(0);
        try {
            // Zircon's order: the channel handle, then the sizes, then each handle in turn. Every
            // handle is consumed whatever fails (the finally below).
            if (!permits(Rights.WRITE)) {
                require(Transfers.writeOp(bytes.length, n), Rights.WRITE);
            }
            channel.retain();
            retained = true;
            if (bytes.length > MAX_MSG_BYTES) {
                throw Ranges.fail(Status.ERR_OUT_OF_RANGE, Transfers.writeOp(bytes.length, n), "more than " + MAX_MSG_BYTES + " bytes");
            }
            if (n > MAX_MSG_HANDLES) {
                throw Ranges.fail(Status.ERR_OUT_OF_RANGE, Transfers.writeOp(bytes.length, n), "more than " + MAX_MSG_HANDLES + " handles");
            }
            consumed = true;
            failure = consumeAll(bytes.length, handles, taken, rights);
            if (failure != null) {
                throw failure;
            }
            TransferredHandle[] out = n == 0 ? NO_TRANSFERS : new TransferredHandle[n];
            for (int i = 0; i < n; i++) {
                out[i] = Transfers.export(bytes.length, n, i, taken[i], rights[i], afterSend);
            }
            if (!channel.endpoint().send(bytes, n == 0 ? List.of() : Arrays.asList(out))) {
                throw Ranges.fail(Status.ERR_SHOULD_WAIT, Transfers.writeOp(bytes.length, n),
                        "the peer's queue is full; wait for WRITABLE");
            }
        } catch (LinuxException e) {
            throw Os.fail(Transfers.writeOp(bytes.length, n), e);
        } finally {
            if (!consumed) {
                // Failed before consuming: consume now, so the handles are gone as Zircon promises.
                consumeAll(bytes.length, handles, taken, rights);
            }
            for (int i = 0; i < afterSend.size(); i++) {
                afterSend.get(i).close(); // pager links' far ends: in flight now (the receiver's), or never sent (the link ends)
            }
            for (KernelObject o : taken) {
                if (o != null) {
                    o.release();
                }
            }
            if (retained) {
                channel.release();
            }
        }
    }

    /**
     * Consumes every handle of {@code handles} that is open, into {@code taken} and {@code rights} at
     * its index; the first problem in handle order is returned, not thrown, so that the rest are still
     * consumed.
     */
    private ZxException consumeAll(int bytes, Handle[] handles, KernelObject[] taken, int[] rights) {
        ZxException first = null;
        if (handles == null) {
            return null;
        }
        for (int i = 0; i < handles.length; i++) {
            Handle h = handles[i];
            ZxException problem = null;
            if (h == null) {
                problem = Ranges.fail(Status.ERR_BAD_HANDLE, Transfers.writeOp(bytes, handles.length), "handle " + i + " is null");
            } else {
                try {
                    int r = h.rights();
                    KernelObject o = h.consume("channel.write");
                    taken[i] = o;
                    rights[i] = r;
                    if (o == channel) {
                        problem = Ranges.fail(Status.ERR_NOT_SUPPORTED, Transfers.writeOp(bytes, handles.length),
                                "handle " + i + " is this channel itself");
                    } else if ((r & Rights.TRANSFER) == 0) {
                        problem = Ranges.fail(Status.ERR_ACCESS_DENIED, Transfers.writeOp(bytes, handles.length),
                                "handle " + i + " lacks TRANSFER (it has " + Rights.toString(r) + ")");
                    }
                } catch (ZxException e) {
                    problem = Ranges.fail(Status.ERR_BAD_HANDLE, Transfers.writeOp(bytes, handles.length),
                            "handle " + i + " is closed or was already consumed by this write");
                }
            }
            if (first == null) {
                first = problem;
            }
        }
        return first;
    }

    /**
     * Reads the next message, waiting up to {@code timeout} for one. Needs {@link Rights#READ}. The
     * received handles belong to the caller. Messages the peer wrote before it closed are still
     * delivered; after them, PEER_CLOSED.
     *
     * @param timeout how long to wait at most
     * @return the message, whose handles the caller now owns
     * @throws ZxException TIMED_OUT when no message came in time; PEER_CLOSED when the peer is closed
     *                     and no message is left; IO for a malformed message (its descriptors are
     *                     closed, the channel stays usable); CANCELED when the handle is closed while
     *                     waiting
     */
    public Message read(Duration timeout) {
        String op = "channel.read";
        require(op, Rights.READ);
        if (timeout == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "timeout is null");
        }
        channel.retain();
        try {
            // A message already queued needs no clock: a first non-blocking try spares the clock reads
            // of the wait (3% of a handle round trip, perf). A read that has to wait pays one recvmsg
            // more than it would otherwise.
            ChannelTransport.Received r = channel.endpoint().receive(0);
            if (r != null) {
                return adopt(r);
            }
            long deadline = System.nanoTime() + nanos(timeout);
            while (true) {
                if (!isValid()) {
                    throw Ranges.fail(Status.ERR_CANCELED, op, "the handle was closed while waiting");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw Ranges.fail(Status.ERR_TIMED_OUT, op, "no message within " + timeout);
                }
                r = channel.endpoint().receive(slice(left));
                if (r != null) {
                    return adopt(r);
                }
            }
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        } finally {
            channel.release();
        }
    }

    private static Message adopt(ChannelTransport.Received r) {
        List<TransferredHandle> in = r.handles();
        int n = in.size();
        if (n == 0) {
            return new Message(r.data(), List.of());
        }
        Handle[] made = new Handle[n];
        int i = 0;
        try {
            for (; i < n; i++) {
                made[i] = Transfers.adopt(transport("channel.read"), in.get(i));
            }
        } finally {
            if (i < n) {
                // Failed part way: nothing may leak, neither the handles made nor the descriptors not yet adopted.
                for (int j = 0; j < i; j++) {
                    made[j].close();
                }
                for (int j = i + 1; j < n; j++) {
                    Transfers.closeQuietly(in.get(j));
                }
            }
        }
        // An immutable list, which Message keeps as it is instead of copying it again.
        return new Message(r.data(), n == 1 ? List.of(made[0]) : List.of(made));
    }

    private static long nanos(Duration d) {
        try {
            return Math.max(0, d.toNanos());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static int slice(long leftNanos) {
        if (leftNanos <= 0) {
            return 0;
        }
        return (int) Math.min(SLICE_MILLIS, (leftNanos + 999_999) / 1_000_000);
    }

    /** {@return the user signals and {@link #READABLE}, {@link #WRITABLE}, {@link #PEER_CLOSED} as they are now} */
    @Override
    public int signals() {
        checkValid("handle.signals");
        channel.retain();
        try {
            return object.signals() | channel.endpoint().await(0, 0);
        } catch (LinuxException e) {
            throw Os.fail("handle.signals", e);
        } finally {
            channel.release();
        }
    }

    /**
     * Waits until one of {@code signals} is asserted: {@link #READABLE}, {@link #WRITABLE},
     * {@link #PEER_CLOSED} or user signals. Needs {@link Rights#WAIT}. Blocks in {@code poll(2)} on the
     * socket (and, when user signals are wanted, on an eventfd that every signal change writes).
     *
     * @return the signals observed
     * @throws ZxException BAD_HANDLE when closed; ACCESS_DENIED without WAIT; INVALID_ARGS for a null
     *                     timeout; TIMED_OUT when none came in time; CANCELED when the handle is closed
     *                     while waiting; NO_RESOURCES when no eventfd can be made
     */
    @Override
    public int waitOne(int signals, Duration timeout) {
        String op = "handle.wait_one";
        require(op, Rights.WAIT);
        if (timeout == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "timeout is null");
        }
        long deadline = System.nanoTime() + nanos(timeout);
        boolean user = (signals & ~CHANNEL_SIGNALS) != 0;
        channel.retain();
        int waker = -1;
        try {
            // User signals change in this process, socket readiness in the kernel: a wait for both
            // polls the socket together with an eventfd that every signal change writes.
            if (user) {
                waker = channel.register();
            }
            while (true) {
                long left = deadline - System.nanoTime();
                int ready;
                if (user) {
                    int now = object.signals() | channel.endpoint().await(signals & CHANNEL_SIGNALS, 0);
                    if ((now & signals) != 0) {
                        return now;
                    }
                    pollBoth(waker, signals, slice(left));
                    ready = channel.endpoint().await(signals & CHANNEL_SIGNALS, 0);
                } else {
                    ready = channel.endpoint().await(signals & CHANNEL_SIGNALS, slice(left));
                }
                int now = object.signals() | ready;
                if ((now & signals) != 0) {
                    return now;
                }
                if (!isValid()) {
                    throw Ranges.fail(Status.ERR_CANCELED, op, "the handle was closed while waiting");
                }
                if (deadline - System.nanoTime() <= 0) {
                    throw Ranges.fail(Status.ERR_TIMED_OUT, op + "(signals=" + Ranges.hex(signals & 0xFFFFFFFFL) + ")",
                            "observed " + Ranges.hex(now & 0xFFFFFFFFL));
                }
            }
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        } finally {
            if (waker >= 0) {
                channel.unregister(waker);
            }
            channel.release();
        }
    }

    private static final long POLL_EVENTS = Linux.POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("events"));
    private static final long POLL_REVENTS = Linux.POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("revents"));

    /** Blocks until the socket is ready for one of {@code signals}, the eventfd is written, or the time is up; drains the eventfd. */
    private void pollBoth(int waker, int signals, int timeoutMillis) {
        short events = 0;
        if ((signals & READABLE) != 0) {
            events |= Linux.POLLIN;
        }
        if ((signals & WRITABLE) != 0) {
            events |= Linux.POLLOUT;
        }
        if ((signals & PEER_CLOSED) != 0) {
            events |= SocketAbi.POLLRDHUP;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(Linux.POLLFD, 2);
            long stride = Linux.POLLFD.byteSize();
            fds.set(ValueLayout.JAVA_INT, 0, channel.endpoint().fd());
            fds.set(ValueLayout.JAVA_SHORT, POLL_EVENTS, events);
            fds.set(ValueLayout.JAVA_INT, stride, waker);
            fds.set(ValueLayout.JAVA_SHORT, stride + POLL_EVENTS, Linux.POLLIN);
            LibC.get().poll(fds, 2, timeoutMillis);
            if ((fds.get(ValueLayout.JAVA_SHORT, stride + POLL_REVENTS) & Linux.POLLIN) != 0) {
                try {
                    LibC.get().read(waker, a.allocate(8), 8);
                } catch (LinuxException drained) {
                    // EAGAIN: another read got there first; nothing to drain.
                }
            }
        }
    }
}
