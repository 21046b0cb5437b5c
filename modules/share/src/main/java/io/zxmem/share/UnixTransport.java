package io.zxmem.share;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.SocketAbi;
import io.zxmem.linux.sys.Sockets;
import io.zxmem.spi.ChannelTransport;
import io.zxmem.spi.SharedFile;
import io.zxmem.spi.TransferredHandle;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Channels over {@code AF_UNIX SOCK_SEQPACKET} sockets: a socket pair for {@code createPair}, a
 * socket bound to a filesystem path for {@code listen}/{@code connect}. Every socket is close-on-exec
 * and non-blocking; waiting is done with {@code poll}.
 */
public final class UnixTransport implements ChannelTransport {
    private static final LibC C = LibC.get();
    private static final Sockets S = Sockets.get();
    private static final int TYPE = SocketAbi.SOCK_SEQPACKET | SocketAbi.SOCK_CLOEXEC | SocketAbi.SOCK_NONBLOCK;
    private static final int BACKLOG = 128;

    /** Used by {@link java.util.ServiceLoader}. */
    public UnixTransport() {}

    @Override
    public Endpoint[] pair() {
        try {
            int[] sv = S.socketpair(SocketAbi.AF_UNIX, TYPE, 0);
            LocalPair local = LocalPair.of(sv[0], sv[1]);
            SocketEndpoint first = null;
            try {
                first = new SocketEndpoint(sv[0], local, 0);
                return new Endpoint[] {first, new SocketEndpoint(sv[1], local, 1)};
            } catch (RuntimeException | Error e) {
                // An end that could not be made (its buffers' allocation failed) leaves no descriptor
                // and no entry in the local pairs' table behind.
                if (first != null) {
                    first.close();
                } else {
                    local.closing(sv[0]);
                    Os.closeQuietly(sv[0]);
                }
                local.closing(sv[1]);
                Os.closeQuietly(sv[1]);
                throw e;
            }
        } catch (LinuxException e) {
            throw Errors.fail("channel.create: socketpair", e);
        }
    }

    @Override
    public Listener listen(Path path) {
        String op = "channel.listen(" + path + ")";
        int fd = socket(op, TYPE);
        return withAddress(op, fd, path, (addr, len) -> {
            S.bind(fd, addr, len);
            S.listen(fd, BACKLOG);
            return new SocketListener(fd, path, inode(path));
        });
    }

    @Override
    public Endpoint connect(Path path) {
        String op = "channel.connect(" + path + ")";
        // Blocking while connecting (a non-blocking AF_UNIX connect fails with EAGAIN when the
        // listener's backlog is full), non-blocking afterwards.
        int fd = socket(op, SocketAbi.SOCK_SEQPACKET | SocketAbi.SOCK_CLOEXEC);
        return withAddress(op, fd, path, (addr, len) -> {
            S.connect(fd, addr, len);
            C.fcntl(fd, Linux.F_SETFL, C.fcntl(fd, Linux.F_GETFL, 0) | Linux.O_NONBLOCK);
            return new SocketEndpoint(fd);
        });
    }

    @FunctionalInterface
    private interface WithAddress<T> {
        T apply(MemorySegment addr, int len);
    }

    /** Runs {@code body} with {@code path} as a socket address; closes {@code fd} if anything fails. */
    private static <T> T withAddress(String op, int fd, Path path, WithAddress<T> body) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(SocketAbi.SOCKADDR_UN);
            int len;
            try {
                len = SocketAbi.sockaddrUn(addr, path.toString());
            } catch (IllegalArgumentException e) {
                throw new ZxException(Status.ERR_INVALID_ARGS, op + ": " + e.getMessage());
            }
            return body.apply(addr, len);
        } catch (LinuxException e) {
            Os.closeQuietly(fd);
            throw Errors.fail(op, e);
        } catch (RuntimeException e) {
            Os.closeQuietly(fd);
            throw e;
        }
    }

    @Override
    public Endpoint adopt(int fd) {
        // The receiving side checked that fd is a SOCK_SEQPACKET socket. The sender's socket is
        // already non-blocking (the flag belongs to the shared open file description).
        return new SocketEndpoint(fd);
    }

    @Override
    public void adopted(TransferredHandle received, SharedFile file) {
        // The seals the receive check found (and the size, when it is for good): when this VMO is sent
        // on, they need no second look.
        FileFacts.storeHas(file, received.fd(), received.seals(), received.sizeFrozen() ? received.fileSize() : -1);
    }

    private static int socket(String op, int type) {
        try {
            return S.socket(SocketAbi.AF_UNIX, type, 0);
        } catch (LinuxException e) {
            throw Errors.fail(op, e);
        }
    }

    /** The socket file's inode, so that close removes our socket and not one bound there later. */
    static Object inode(Path path) {
        try {
            return Files.getAttribute(path, "unix:ino");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    /** A listening socket bound to a path. */
    private static final class SocketListener implements Listener {
        private final int fd;
        private final Path path;
        private final Object inode;

        SocketListener(int fd, Path path, Object inode) {
            this.fd = fd;
            this.path = path;
            this.inode = inode;
        }

        @Override
        public Endpoint accept(int timeoutMillis) {
            try {
                int c = S.accept4(fd, MemorySegment.NULL, MemorySegment.NULL, SocketAbi.SOCK_CLOEXEC | SocketAbi.SOCK_NONBLOCK);
                if (c < 0 && timeoutMillis > 0) {
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment p = a.allocate(Linux.POLLFD);
                        p.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, fd);
                        p.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, Linux.POLLIN);
                        C.poll(p, 1, timeoutMillis);
                    }
                    c = S.accept4(fd, MemorySegment.NULL, MemorySegment.NULL, SocketAbi.SOCK_CLOEXEC | SocketAbi.SOCK_NONBLOCK);
                }
                return c < 0 ? null : new SocketEndpoint(c);
            } catch (LinuxException e) {
                throw Errors.fail("channel_server.accept(" + path + ")", e);
            }
        }

        @Override
        public void close() {
            Os.closeQuietly(fd);
            try {
                if (inode != null && inode.equals(inode(path))) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException ignored) {
                // Removed by someone else already, or the directory went away: nothing left to clean.
            }
        }
    }
}
