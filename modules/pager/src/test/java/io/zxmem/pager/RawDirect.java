package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Message;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A receiver's end of a direct-fault connection written with plain system calls, not zxmem's code: it
 * listens where the pager's process connects ({@link Link#DIRECT}), and sends what it likes
 * (DWIN with any descriptor, DUNMAP). Tests use it as a receiver zxmem did not make (Linux x86_64 and
 * aarch64 layouts).
 */
final class RawDirect implements AutoCloseable {
    private static final Linker L = Linker.nativeLinker();
    private static final SymbolLookup C = L.defaultLookup();
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong J = ValueLayout.JAVA_LONG;
    private static final MethodHandle SOCKET = h("socket", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle BIND = h("bind", FunctionDescriptor.of(I, I, ValueLayout.ADDRESS, I));
    private static final MethodHandle LISTEN = h("listen", FunctionDescriptor.of(I, I, I));
    private static final MethodHandle ACCEPT4 = h("accept4", FunctionDescriptor.of(I, I, ValueLayout.ADDRESS, ValueLayout.ADDRESS, I));
    private static final MethodHandle SENDMSG = h("sendmsg", FunctionDescriptor.of(J, I, ValueLayout.ADDRESS, I));
    private static final MethodHandle RECV = h("recv", FunctionDescriptor.of(J, I, ValueLayout.ADDRESS, J, I));
    private static final MethodHandle POLL = h("poll", FunctionDescriptor.of(I, ValueLayout.ADDRESS, J, I));
    private static final MethodHandle CLOSE = h("close", FunctionDescriptor.of(I, I));
    private static final MethodHandle SYSCALL = L.downcallHandle(C.find("syscall").orElseThrow(),
            FunctionDescriptor.of(J, J, J), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle IOCTL = L.downcallHandle(C.find("ioctl").orElseThrow(),
            FunctionDescriptor.of(I, I, J, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = h("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, J, I, I, I, J));
    private static final MethodHandle MUNMAP = h("munmap", FunctionDescriptor.of(I, ValueLayout.ADDRESS, J));
    private static final MethodHandle GETRLIMIT = h("getrlimit", FunctionDescriptor.of(I, I, ValueLayout.ADDRESS));
    private static final MethodHandle SETRLIMIT = h("setrlimit", FunctionDescriptor.of(I, I, ValueLayout.ADDRESS));
    private static final MethodHandle OPEN = h("open", FunctionDescriptor.of(I, ValueLayout.ADDRESS, I));

    static final int DWIN = 1;
    static final int DUNMAP = 2;
    private static final long UFFDIO_API = 0xc018aa3fL;

    private final int listener;
    private final Path dir;
    private int fd = -1;

    private static MethodHandle h(String name, FunctionDescriptor d) {
        return L.downcallHandle(C.find(name).orElseThrow(), d);
    }

    private RawDirect(int listener, Path dir) {
        this.listener = listener;
        this.dir = dir;
    }

    /** Listens (SOCK_SEQPACKET, as a receiver does) in a new private directory under {@code parent}. */
    static RawDirect listen(Path parent) throws Throwable {
        Path dir = Files.createTempDirectory(parent, "raw");
        Path sock = dir.resolve("d");
        int s = (int) SOCKET.invokeExact(1 /* AF_UNIX */, 5 /* SOCK_SEQPACKET */ | 0x80000 /* CLOEXEC */, 0);
        if (s < 0) {
            throw new IllegalStateException("socket");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(110);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
            byte[] p = sock.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(p, 0, addr, ValueLayout.JAVA_BYTE, 2, p.length);
            if ((int) BIND.invokeExact(s, addr, 110) != 0 || (int) LISTEN.invokeExact(s, 4) != 0) {
                int ignored = (int) CLOSE.invokeExact(s);
                throw new IllegalStateException("bind/listen");
            }
        }
        return new RawDirect(s, dir);
    }

    /** The socket's path, as a {@link Link#DIRECT} request carries it. */
    byte[] path() {
        return dir.resolve("d").toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Asks the pager's process over its link to connect here, as RemoteStore does (claiming to be
     * process {@code pid}), takes the connection and returns the pager's status.
     */
    int connect(Channel link, long id, long pid) throws Throwable {
        link.write(new Link(Link.DIRECT, 0, id, pid, 0, 0).encode(path()));
        // The pager's process connects before it answers.
        Message m = link.read(Duration.ofSeconds(30));
        Link r = Link.decode(m.data());
        if (r == null || r.op() != Link.REPLY) {
            throw new IllegalStateException("no reply");
        }
        if (r.status() == 0) {
            int c = (int) ACCEPT4.invokeExact(listener, MemorySegment.NULL, MemorySegment.NULL, 0x80000);
            if (c < 0) {
                throw new IllegalStateException("accept");
            }
            fd = c;
        }
        return r.status();
    }

    /** Sends one message (56 bytes) with {@code passed} attached (SCM_RIGHTS) unless negative. @return sendmsg's result */
    long send(int op, long id, long start, long length, long offset, int passed) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(56);
            msg.set(I, 0, op);
            msg.set(J, 8, id);
            msg.set(J, 16, start);
            msg.set(J, 24, length);
            msg.set(J, 32, offset);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ValueLayout.ADDRESS, 0, msg);
            iov.set(J, 8, 56);
            MemorySegment mh = a.allocate(56, 8);
            mh.set(ValueLayout.ADDRESS, 16, iov);
            mh.set(J, 24, 1);
            if (passed >= 0) {
                MemorySegment ctl = a.allocate(24, 8);
                ctl.set(J, 0, 20); // CMSG_LEN(sizeof(int))
                ctl.set(I, 8, 1); // SOL_SOCKET
                ctl.set(I, 12, 1); // SCM_RIGHTS
                ctl.set(I, 16, passed);
                mh.set(ValueLayout.ADDRESS, 32, ctl);
                mh.set(J, 40, 24);
            }
            return (long) SENDMSG.invokeExact(fd, mh, 0x4000 /* MSG_NOSIGNAL */);
        }
    }

    /**
     * Waits for the pager's process to end the connection.
     *
     * @return whether it did within {@code millis} (a hang-up, or end of file after any messages)
     */
    boolean endedWithin(long millis) throws Throwable {
        long deadline = System.nanoTime() + millis * 1_000_000;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8, 4);
            MemorySegment buf = a.allocate(64);
            while (System.nanoTime() < deadline) {
                pfd.set(I, 0, fd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, (short) 1);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                int rc = (int) POLL.invokeExact(pfd, 1L, 100);
                if (rc > 0) {
                    long n = (long) RECV.invokeExact(fd, buf, 64L, 0x40 /* MSG_DONTWAIT */);
                    if (n == 0) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** @return a new initialized userfaultfd (non-blocking, user-mode-only where the kernel wants it), or -1 */
    static int userfaultfd() throws Throwable {
        long nr = System.getProperty("os.arch").contains("aarch64") ? 282 : 323;
        int flags = 0x80000 /* O_CLOEXEC */ | 0x800 /* O_NONBLOCK */;
        int u = (int) (long) SYSCALL.invokeExact(nr, (long) flags);
        if (u < 0) {
            u = (int) (long) SYSCALL.invokeExact(nr, (long) (flags | 1 /* UFFD_USER_MODE_ONLY */));
        }
        if (u < 0) {
            return -1;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment api = a.allocate(24, 8);
            api.set(J, 0, 0xAA);
            if ((int) IOCTL.invokeExact(u, UFFDIO_API, api) != 0) {
                closeFd(u);
                return -1;
            }
        }
        return u;
    }

    /** @return a userfaultfd without its API handshake (it reports an error to poll and epoll), or -1 */
    static int userfaultfdWithoutHandshake() throws Throwable {
        long nr = System.getProperty("os.arch").contains("aarch64") ? 282 : 323;
        int flags = 0x80000 /* O_CLOEXEC */ | 0x800 /* O_NONBLOCK */;
        int u = (int) (long) SYSCALL.invokeExact(nr, (long) flags);
        return u >= 0 ? u : (int) (long) SYSCALL.invokeExact(nr, (long) (flags | 1 /* UFFD_USER_MODE_ONLY */));
    }

    /** @return {@code length} bytes of fresh private anonymous memory */
    static MemorySegment map(long length) throws Throwable {
        MemorySegment m = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, 3, 0x22 /* PRIVATE|ANONYMOUS */, -1, 0L);
        if (m.address() == -1L) {
            throw new IllegalStateException("mmap");
        }
        return m.reinterpret(length);
    }

    static void unmap(MemorySegment m) throws Throwable {
        int ignored = (int) MUNMAP.invokeExact(m, m.byteSize());
    }

    static void closeFd(int fd) throws Throwable {
        int ignored = (int) CLOSE.invokeExact(fd);
    }

    /** @return this process's RLIMIT_NOFILE: soft, hard */
    static long[] descriptorLimit() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(16, 8);
            if ((int) GETRLIMIT.invokeExact(7, r) != 0) {
                throw new IllegalStateException("getrlimit");
            }
            return new long[] {r.get(J, 0), r.get(J, 8)};
        }
    }

    /** Sets this process's RLIMIT_NOFILE. */
    static void descriptorLimit(long soft, long hard) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(16, 8);
            r.set(J, 0, soft);
            r.set(J, 8, hard);
            if ((int) SETRLIMIT.invokeExact(7, r) != 0) {
                throw new IllegalStateException("setrlimit");
            }
        }
    }

    /** @return the lowest descriptor number free now (the next one a new descriptor takes) */
    static int lowestFree() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(a.allocateFrom("/dev/null"), 0x80000 /* O_CLOEXEC */);
            if (fd < 0) {
                throw new IllegalStateException("open");
            }
            closeFd(fd);
            return fd;
        }
    }

    /** @return how many descriptors process {@code pid} has open */
    static int descriptors(long pid) throws java.io.IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (fd >= 0) {
                closeFd(fd);
                fd = -1;
            }
            closeFd(listener);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        Files.deleteIfExists(dir.resolve("d"));
        Files.deleteIfExists(dir);
    }
}
