package io.zxmem.cow;

import io.zxmem.Status;
import io.zxmem.ZxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The engine's native handler serving lazy windows of pager VMOs received from another process
 * (module {@code io.zxmem.pager}, exported to it only). A window registered here faults its missing
 * pages to the native handler thread, which asks the pager's process over a relay socket and resolves
 * the fault when the answer comes; a failed answer leaves a page that raises SIGBUS (an
 * {@link InternalError} in Java). No Java thread of this process takes part in serving a fault, so a
 * fault cannot hold a safepoint open while a Java thread it waits for is stopped at it.
 */
public final class LazyFaults {
    private LazyFaults() {}

    /**
     * @return 1 (full userfaultfd: faults from system calls are served too), 2 (user-mode-only: a
     *         system call touching a missing page gets EFAULT), or 0 when the engine cannot run here
     */
    public static int mode() {
        int m = CowEngine.mode();
        return m > 0 && Zxuffd.dead() == 0 ? m : 0;
    }

    /**
     * Connects a relay to the listening socket at {@code path}.
     *
     * @param path a {@code SOCK_SEQPACKET} channel listener of this process
     * @return the relay
     * @throws ZxException NOT_SUPPORTED without the engine; IO when the socket cannot be reached
     */
    public static MemorySegment connect(Path path) {
        if (mode() == 0) {
            throw new ZxException(Status.ERR_NOT_SUPPORTED, "pager relay: no userfaultfd engine in this process");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment r = Zxuffd.relayConnect(a.allocateFrom(path.toString()), err);
            if (r.equals(MemorySegment.NULL)) {
                throw new ZxException(Status.ERR_IO, "pager relay: cannot connect (errno " + err.get(ValueLayout.JAVA_INT, 0) + ")");
            }
            return r;
        }
    }

    /**
     * Lets go of a relay: it closes now, or when its last window is removed.
     *
     * @param relay a relay from {@link #connect}
     */
    public static void free(MemorySegment relay) {
        Zxuffd.relayFree(relay);
    }

    /**
     * @param relay a relay from {@link #connect}
     * @return 0 while the relay works, else the Zircon status value that failed it
     */
    public static int status(MemorySegment relay) {
        return Zxuffd.relayStatus(relay);
    }

    /**
     * @param relay a relay from {@link #connect}
     * @return page requests the relay sent so far
     */
    public static long requests(MemorySegment relay) {
        return Zxuffd.relayCount(relay, 0);
    }

    /**
     * @param relay a relay from {@link #connect}
     * @return faults of the relay's windows that failed so far
     */
    public static long failures(MemorySegment relay) {
        return Zxuffd.relayCount(relay, 1);
    }

    /**
     * A fault that waits longer than {@code millis} for the pager fails (0: no limit). Process-wide.
     *
     * @param millis the limit in milliseconds, or 0
     */
    public static void faultTimeout(long millis) {
        Zxuffd.setFaultTimeout(millis);
    }

    /**
     * Registers the mapped window {@code [address, address+length)} showing file offset {@code offset}.
     *
     * @param relay   the relay that asks for its pages
     * @param address the window's page-aligned address
     * @param length  its page-aligned length
     * @param offset  the offset in the pager VMO's file that {@code address} shows
     * @return 0, or -errno (the window is then not registered; its missing pages fill with zeros if
     *         touched, so the caller must fetch them first)
     */
    public static int register(MemorySegment relay, long address, long length, long offset) {
        return Zxuffd.addLazyWindow(relay, address, length, offset);
    }

    /**
     * The window at {@code address} is about to be unmapped: it is unregistered, and an access still
     * waiting in it fails (raises SIGBUS) instead of seeing zeros.
     *
     * @param address the window's address, as registered
     * @return false when the caller must not unmap the window: an access may still wait in it, and it
     *         would touch unmapped memory once woken (SIGSEGV kills the JVM). The range then maps an
     *         empty file (SIGBUS on touch, no memory) and stays reserved.
     */
    public static boolean unregister(long address) {
        return Zxuffd.removeWindow(address) == 0;
    }

    // ---- direct windows: the pager's process reads their userfaultfds itself ----

    /**
     * Listens at {@code path} (in a private directory) for the pager's process, which connects with
     * {@link #directConnect}.
     *
     * @param path where to listen
     * @return the connection-to-be
     * @throws ZxException NOT_SUPPORTED without the engine; IO when the socket cannot be made
     */
    public static MemorySegment directListen(Path path) {
        if (mode() == 0) {
            throw new ZxException(Status.ERR_NOT_SUPPORTED, "pager direct faults: no userfaultfd engine in this process");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment d = Zxuffd.directListen(a.allocateFrom(path.toString()), err);
            if (d.equals(MemorySegment.NULL)) {
                throw new ZxException(Status.ERR_IO, "pager direct faults: cannot listen (errno " + err.get(ValueLayout.JAVA_INT, 0) + ")");
            }
            return d;
        }
    }

    /**
     * Takes the connection of the pager's process.
     *
     * @param direct        from {@link #directListen}
     * @param timeoutMillis how long to wait for it
     * @return the credentials the kernel recorded when the pager's process connected: pid, uid, gid
     * @throws ZxException TIMED_OUT when nobody connected, IO otherwise
     */
    public static int[] directAccept(MemorySegment direct, int timeoutMillis) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cred = a.allocate(ValueLayout.JAVA_INT, 3);
            int rc = Zxuffd.directAccept(direct, timeoutMillis, cred);
            if (rc != 0) {
                throw new ZxException(rc == -110 ? Status.ERR_TIMED_OUT : Status.ERR_IO,
                        "pager direct faults: no connection from the pager's process (errno " + -rc + ")");
            }
            return cred.toArray(ValueLayout.JAVA_INT);
        }
    }

    /**
     * The pager's process is trusted: the handler watches the connection (a hang-up fails the touches
     * of its windows) and windows may be registered on it.
     *
     * @param direct from {@link #directAccept}
     * @return whether it started (false once the engine died)
     */
    public static boolean directStart(MemorySegment direct) {
        return Zxuffd.directStart(direct) == 0;
    }

    /**
     * Lets go of a connection: it closes now, or when its last window is removed.
     *
     * @param direct from {@link #directListen}
     */
    public static void directFree(MemorySegment direct) {
        Zxuffd.directFree(direct);
    }

    /**
     * @param direct from {@link #directListen}
     * @return 0 while the connection works, else the Zircon status value that failed it
     */
    public static int directStatus(MemorySegment direct) {
        return Zxuffd.directStatus(direct);
    }

    /** @return this process's {@code PR_GET_DUMPABLE} (1: processes of its user may ptrace it), or -errno */
    public static int dumpable() {
        return Zxuffd.dumpable();
    }

    /**
     * Registers the mapped window {@code [address, address+length)} on a new userfaultfd of its own and
     * hands that to the pager's process, which resolves its faults ({@link #unregister} removes it).
     *
     * @param direct        a started connection
     * @param id            the window's id, as the pager's process knows it
     * @param address       the window's page-aligned address
     * @param length        its page-aligned length
     * @param offset        the offset in the pager VMO's file that {@code address} shows
     * @param writable      whether the window is writable (its faults dirty pages)
     * @param timeoutMillis how long the pager's process lets a fault wait before failing it (0: no limit)
     * @param poison        whether the pager's process may fail faults with {@code UFFDIO_POISON} where the
     *                      kernel has it (false: it asks this process's handler, as on older kernels)
     * @return 0, or -errno (nothing registered)
     */
    public static int registerDirect(MemorySegment direct, long id, long address, long length, long offset,
            boolean writable, long timeoutMillis, boolean poison) {
        return Zxuffd.addDirectWindow(direct, id, address, length, offset, writable ? 1 : 0, timeoutMillis, poison ? 1 : 0);
    }

    /**
     * The pager's side: connects to a receiver's {@link #directListen} socket.
     *
     * @param path the receiver's socket
     * @return the socket, or -errno
     */
    public static int directConnect(Path path) {
        try (Arena a = Arena.ofConfined()) {
            return Zxuffd.dpConnect(a.allocateFrom(path.toString()));
        }
    }

    /**
     * The pager's side: one message of a receiver's connection.
     *
     * @param sock from {@link #directConnect}
     * @param out  8 longs: op (1 window, 2 unmap, 0 malformed), flags (1 writable, 2 POISON), id,
     *             address, length, file offset, fault timeout in ms, the window's userfaultfd or -1
     * @return 1 with a message, 0 when none is queued, -EPIPE on hang-up, -errno
     */
    public static int directReceive(int sock, MemorySegment out) {
        return Zxuffd.dpRecv(sock, out);
    }

    /**
     * The pager's side: the faults queued on a window's userfaultfd.
     *
     * @param ufd the window's userfaultfd
     * @param out room for {@code max} addresses (bit 0: a write)
     * @param max at least 16
     * @return the count, or -errno
     */
    public static int directFaults(int ufd, MemorySegment out, int max) {
        return Zxuffd.dpFaults(ufd, out, max);
    }

    /**
     * The pager's side: resolves the fault at {@code address}: {@code poison} false, the page is in the
     * shared file (the thread wakes and maps it); true, the access raises SIGBUS.
     *
     * @param ufd     the window's userfaultfd
     * @param address page-aligned
     * @param length  page-aligned
     * @param poison  fail the access instead
     * @param fd      the VMO's file, or -1: a page that is data there needs no copy, only the wake-up
     * @param fileOffset where the page lies in {@code fd}
     * @return 0 or -errno
     */
    public static int directResolve(int ufd, long address, long length, boolean poison, int fd, long fileOffset) {
        return Zxuffd.dpResolve(ufd, address, length, poison ? 1 : 0, fd, fileOffset);
    }

    /**
     * The pager's side: supplies the faulting page at {@code address} of another process's window with
     * the page {@code src} of this process, and wakes the faulting thread, in one {@code UFFDIO_COPY}.
     *
     * @param ufd        the receiver's userfaultfd (this process's copy)
     * @param address    page-aligned, in the receiver
     * @param src        one page
     * @param fd         the VMO's file, which the window maps
     * @param fileOffset where the page is in {@code fd}
     * @return 0: the page is in the file and the thread woke; 1: the thread woke with its own copy but
     *         the file lacks the page (the window is not a shared mapping of {@code fd}); -errno:
     *         nothing was done (-EEXIST: a page was there already)
     */
    public static int directCopy(int ufd, long address, MemorySegment src, int fd, long fileOffset) {
        return Zxuffd.dpCopy(ufd, address, src, fd, fileOffset);
    }

    /**
     * The pager's side, on a kernel without {@code UFFDIO_POISON}: asks the receiver to fail the pages.
     *
     * @param sock    from {@link #directConnect}
     * @param id      the window's id
     * @param address page-aligned
     * @param length  page-aligned
     * @return 0 or -errno
     */
    public static int directFail(int sock, long id, long address, long length) {
        return Zxuffd.dpFail(sock, id, address, length);
    }

    /**
     * Polls descriptors for input.
     *
     * @param fds           {@code n} ints
     * @param n             how many
     * @param timeoutMillis -1: no limit
     * @param revents       {@code n} shorts, each descriptor's poll bits
     * @return how many are ready, or -errno
     */
    public static int poll(MemorySegment fds, int n, int timeoutMillis, MemorySegment revents) {
        return Zxuffd.dpPoll(fds, n, timeoutMillis, revents);
    }

    /** @return a non-blocking eventfd, or -errno */
    public static int eventfd() {
        return Zxuffd.dpEventfd();
    }

    /**
     * Signals ({@code drain} false) or drains an eventfd.
     *
     * @param fd    from {@link #eventfd}
     * @param drain whether to drain
     */
    public static void event(int fd, boolean drain) {
        Zxuffd.dpEvent(fd, drain ? 1 : 0);
    }

    /**
     * Closes a descriptor of this API.
     *
     * @param fd the descriptor
     */
    public static void close(int fd) {
        Zxuffd.dpClose(fd);
    }

    /**
     * The pager's side: a new epoll set, for a pager's direct windows and its wake-up.
     *
     * @return the set's descriptor, or -errno (EMFILE when the process has none left)
     */
    public static int epoll() {
        return Zxuffd.dpEpoll();
    }

    /**
     * The pager's side: adds a descriptor to an epoll set for input, or removes it. A descriptor must
     * leave the set before it is closed (the set holds its open file, which another process may keep
     * alive).
     *
     * @param ep    from {@link #epoll}
     * @param add   true to add, false to remove
     * @param fd    the descriptor
     * @param token what {@link #epollWait} reports for it
     * @return 0 or -errno
     */
    public static int epollCtl(int ep, boolean add, int fd, long token) {
        return Zxuffd.dpEpollCtl(ep, add ? 1 : 0, fd, token);
    }

    /**
     * The pager's side: waits for entries of an epoll set.
     *
     * @param ep            from {@link #epoll}
     * @param out           room for {@code 2 * max} longs: each ready entry's token, then its event bits
     *                      (1 input, 8 error, 16 hang-up)
     * @param max           at most 64
     * @param timeoutMillis -1: no limit
     * @return how many are ready (0 on timeout), or -errno
     */
    public static int epollWait(int ep, MemorySegment out, int max, int timeoutMillis) {
        return Zxuffd.dpEpollWait(ep, out, max, timeoutMillis);
    }
}
