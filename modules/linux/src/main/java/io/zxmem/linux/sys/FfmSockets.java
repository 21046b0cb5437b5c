package io.zxmem.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@link Sockets} through hand-written {@link java.lang.foreign.Linker} downcalls. */
final class FfmSockets implements Sockets {
    static final FfmSockets INSTANCE = new FfmSockets();

    private static final MethodHandle SOCKET = Downcalls.errno("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SOCKETPAIR = Downcalls.errno("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle BIND = Downcalls.errno("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = Downcalls.errno("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle ACCEPT4 = Downcalls.errno("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle CONNECT = Downcalls.errno("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SENDMSG = Downcalls.errno("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVMSG = Downcalls.errno("recvmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SHUTDOWN = Downcalls.errno("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETSOCKOPT = Downcalls.errno("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);

    private FfmSockets() {}

    private static boolean is(MemorySegment errno, int value) {
        return Downcalls.errnoOf(errno) == value;
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            return Downcalls.check("socket", errno, (int) SOCKET.invokeExact(errno, domain, type, protocol));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int[] socketpair(int domain, int type, int protocol) {
        MemorySegment errno = Downcalls.captureBuffer();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sv = a.allocate(JAVA_INT, 2);
            Downcalls.check("socketpair", errno, (int) SOCKETPAIR.invokeExact(errno, domain, type, protocol, sv));
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void bind(int fd, MemorySegment addr, int addrlen) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("bind", errno, (int) BIND.invokeExact(errno, fd, addr, addrlen));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void listen(int fd, int backlog) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("listen", errno, (int) LISTEN.invokeExact(errno, fd, backlog));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int accept4(int fd, MemorySegment addr, MemorySegment addrlen, int flags) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            while (true) {
                int r = (int) ACCEPT4.invokeExact(errno, fd, addr, addrlen, flags);
                if (r >= 0) {
                    return r;
                }
                if (is(errno, Errno.EAGAIN)) {
                    return -1;
                }
                if (!is(errno, Errno.EINTR)) {
                    throw Downcalls.fail("accept4", errno);
                }
            }
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void connect(int fd, MemorySegment addr, int addrlen) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("connect", errno, (int) CONNECT.invokeExact(errno, fd, addr, addrlen));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long sendmsg(int fd, MemorySegment msg, int flags) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            while (true) {
                long r = (long) SENDMSG.invokeExact(errno, fd, msg, flags);
                if (r >= 0) {
                    return r;
                }
                if (is(errno, Errno.EAGAIN)) {
                    return -1;
                }
                if (!is(errno, Errno.EINTR)) {
                    throw Downcalls.fail("sendmsg", errno);
                }
            }
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long recvmsg(int fd, MemorySegment msg, int flags) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            while (true) {
                long r = (long) RECVMSG.invokeExact(errno, fd, msg, flags);
                if (r >= 0) {
                    return r;
                }
                if (is(errno, Errno.EAGAIN)) {
                    return -1;
                }
                if (!is(errno, Errno.EINTR)) {
                    throw Downcalls.fail("recvmsg", errno);
                }
            }
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void shutdown(int fd, int how) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("shutdown", errno, (int) SHUTDOWN.invokeExact(errno, fd, how));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("getsockopt", errno, (int) GETSOCKOPT.invokeExact(errno, fd, level, name, value, len));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
