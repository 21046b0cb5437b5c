package io.zxmem.cow;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.linux.sys.Downcalls;
import io.zxmem.linux.sys.NativeAccess;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Bindings of {@code libzxuffd.so} ({@code src/main/c/zxuffd.c}): the process-wide userfaultfd, its
 * one native handler thread, and the nodes (one per guarded store) with their windows, sources and
 * saved bitmaps. A native pthread resolves faults because a Java handler thread deadlocks the JVM at
 * the first safepoint while another Java thread waits in a fault. Java only sets up and asks.
 *
 * <p>The library is a resource of this module (the build compiles it with gcc and copies it into the
 * classes), loaded from the classes directory directly or, from a jar, through a temporary copy that
 * is deleted right after loading. {@code -Dzxmem.uffd.lib=PATH} loads another build. Functions return
 * 0 or a count on success, {@code -errno} on failure.
 */
final class Zxuffd {
    private static final MethodHandle INIT, DEAD, NODE_NEW, NODE_FREE, ADD_WINDOW, REMOVE_WINDOW, CUT, SAVE, PREPARE,
            READ, CLIP, COMPLETE_DEPS, UNSAVED, FAULTS, WINDOWS, DEBUG_KILL, DEBUG_FORK, DEBUG_REAP,
            ENGINE_FD, RELAY_CONNECT, RELAY_FREE, RELAY_STATUS, RELAY_COUNT, SET_FAULT_TIMEOUT, ADD_LAZY_WINDOW,
            DIRECT_LISTEN, DIRECT_ACCEPT, DIRECT_START, DIRECT_FREE, DIRECT_STATUS, DUMPABLE, ADD_DIRECT_WINDOW,
            DP_CONNECT, DP_RECV, DP_FAULTS, DP_RESOLVE, DP_FAIL, DP_POLL, DP_EVENTFD, DP_EVENT, DP_CLOSE,
            DP_EPOLL, DP_EPOLL_CTL, DP_EPOLL_WAIT, DP_COPY;
    /** Why the library is not available, or null. */
    private static final Throwable UNAVAILABLE;

    static {
        MethodHandle[] h = new MethodHandle[45];
        Throwable why = null;
        try {
            Path path = locate();
            SymbolLookup lib = NativeAccess.library(path);
            if (path.getFileName().toString().startsWith("zxmem-uffd")) {
                Files.deleteIfExists(path); // a temporary copy out of the jar: loaded, no longer needed
            }
            h[0] = Downcalls.plain(lib, "zxu_init", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
            h[1] = Downcalls.plain(lib, "zxu_dead", FunctionDescriptor.of(JAVA_INT));
            h[2] = Downcalls.plain(lib, "zxu_node_new", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            h[3] = Downcalls.plain(lib, "zxu_node_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[4] = Downcalls.plain(lib, "zxu_add_window",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT));
            h[5] = Downcalls.plain(lib, "zxu_remove_window", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
            h[6] = Downcalls.plain(lib, "zxu_cut", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
            h[7] = Downcalls.plain(lib, "zxu_save", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
            h[8] = Downcalls.plain(lib, "zxu_prepare", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT));
            h[9] = Downcalls.plain(lib, "zxu_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
            h[10] = Downcalls.plain(lib, "zxu_clip", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            h[11] = Downcalls.plain(lib, "zxu_complete_deps", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[12] = Downcalls.plain(lib, "zxu_unsaved", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            h[13] = Downcalls.plain(lib, "zxu_faults", FunctionDescriptor.of(JAVA_LONG));
            h[14] = Downcalls.plain(lib, "zxu_windows", FunctionDescriptor.of(JAVA_INT));
            h[15] = Downcalls.plain(lib, "zxu_debug_kill", FunctionDescriptor.of(JAVA_INT));
            h[16] = Downcalls.plain(lib, "zxu_debug_fork_sleep", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            h[17] = Downcalls.plain(lib, "zxu_debug_reap", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            h[18] = Downcalls.plain(lib, "zxu_engine_fd", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            h[19] = Downcalls.plain(lib, "zxu_relay_connect", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
            h[20] = Downcalls.plain(lib, "zxu_relay_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[21] = Downcalls.plain(lib, "zxu_relay_status", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[22] = Downcalls.plain(lib, "zxu_relay_count", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
            h[23] = Downcalls.plain(lib, "zxu_set_fault_timeout", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
            h[24] = Downcalls.plain(lib, "zxu_add_lazy_window",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));
            h[25] = Downcalls.plain(lib, "zxu_direct_listen", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
            h[26] = Downcalls.plain(lib, "zxu_direct_accept", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
            h[27] = Downcalls.plain(lib, "zxu_direct_start", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[28] = Downcalls.plain(lib, "zxu_direct_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[29] = Downcalls.plain(lib, "zxu_direct_status", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[30] = Downcalls.plain(lib, "zxu_dumpable", FunctionDescriptor.of(JAVA_INT));
            h[31] = Downcalls.plain(lib, "zxu_add_direct_window",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
            h[32] = Downcalls.plain(lib, "zxu_dp_connect", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            h[33] = Downcalls.plain(lib, "zxu_dp_recv", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
            h[34] = Downcalls.plain(lib, "zxu_dp_faults", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
            h[35] = Downcalls.plain(lib, "zxu_dp_resolve",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG));
            h[36] = Downcalls.plain(lib, "zxu_dp_fail", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
            h[37] = Downcalls.plain(lib, "zxu_dp_poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
            h[38] = Downcalls.plain(lib, "zxu_dp_eventfd", FunctionDescriptor.of(JAVA_INT));
            h[39] = Downcalls.plain(lib, "zxu_dp_event", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
            h[40] = Downcalls.plain(lib, "zxu_dp_close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            h[41] = Downcalls.plain(lib, "zxu_dp_epoll", FunctionDescriptor.of(JAVA_INT));
            h[42] = Downcalls.plain(lib, "zxu_dp_epoll_ctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
            h[43] = Downcalls.plain(lib, "zxu_dp_epoll_wait", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
            h[44] = Downcalls.plain(lib, "zxu_dp_copy",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG));
        } catch (RuntimeException | LinkageError | IOException e) {
            why = e;
        }
        INIT = h[0];
        DEAD = h[1];
        NODE_NEW = h[2];
        NODE_FREE = h[3];
        ADD_WINDOW = h[4];
        REMOVE_WINDOW = h[5];
        CUT = h[6];
        SAVE = h[7];
        PREPARE = h[8];
        READ = h[9];
        CLIP = h[10];
        COMPLETE_DEPS = h[11];
        UNSAVED = h[12];
        FAULTS = h[13];
        WINDOWS = h[14];
        DEBUG_KILL = h[15];
        DEBUG_FORK = h[16];
        DEBUG_REAP = h[17];
        ENGINE_FD = h[18];
        RELAY_CONNECT = h[19];
        RELAY_FREE = h[20];
        RELAY_STATUS = h[21];
        RELAY_COUNT = h[22];
        SET_FAULT_TIMEOUT = h[23];
        ADD_LAZY_WINDOW = h[24];
        DIRECT_LISTEN = h[25];
        DIRECT_ACCEPT = h[26];
        DIRECT_START = h[27];
        DIRECT_FREE = h[28];
        DIRECT_STATUS = h[29];
        DUMPABLE = h[30];
        ADD_DIRECT_WINDOW = h[31];
        DP_CONNECT = h[32];
        DP_RECV = h[33];
        DP_FAULTS = h[34];
        DP_RESOLVE = h[35];
        DP_FAIL = h[36];
        DP_POLL = h[37];
        DP_EVENTFD = h[38];
        DP_EVENT = h[39];
        DP_CLOSE = h[40];
        DP_EPOLL = h[41];
        DP_EPOLL_CTL = h[42];
        DP_EPOLL_WAIT = h[43];
        DP_COPY = h[44];
        UNAVAILABLE = why;
    }

    private Zxuffd() {}

    static boolean loaded() {
        return UNAVAILABLE == null;
    }

    static Throwable unavailableBecause() {
        return UNAVAILABLE;
    }

    private static Path locate() {
        String explicit = System.getProperty("zxmem.uffd.lib");
        if (explicit != null) {
            return Path.of(explicit);
        }
        URL url = Zxuffd.class.getResource("libzxuffd.so");
        if (url == null) {
            throw new IllegalStateException("libzxuffd.so is not among the classes of io.zxmem.cow");
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            // In a jar: dlopen needs a file. The mapping stays after the file is deleted.
            Path tmp = Files.createTempFile("zxmem-uffd", ".so");
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot load libzxuffd.so from " + url, e);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** @return 1 (full userfaultfd), 2 (user-mode-only userfaultfd), or -errno */
    /**
     * The system property naming the engine's own descriptors (comma-separated), set once it runs: the
     * engine lives as long as the process, so leak checkers (zxmem's test kit) must not count them.
     */
    static final String ENGINE_FDS_PROPERTY = "zxmem.cow.engineFds";

    static int init(long page) {
        try {
            int rc = (int) INIT.invokeExact(page);
            if (rc > 0 && System.getProperty(ENGINE_FDS_PROPERTY) == null) {
                StringBuilder fds = new StringBuilder();
                for (int which = 0; which < 4; which++) {
                    int fd = (int) ENGINE_FD.invokeExact(which);
                    if (fd >= 0) {
                        fds.append(fds.isEmpty() ? "" : ",").append(fd);
                    }
                }
                System.setProperty(ENGINE_FDS_PROPERTY, fds.toString());
            }
            return rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dead() {
        try {
            return (int) DEAD.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment nodeNew(int fd) {
        try {
            return (MemorySegment) NODE_NEW.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int nodeFree(MemorySegment n) {
        try {
            return (int) NODE_FREE.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int addWindow(MemorySegment n, long start, long len, long off, int missing) {
        try {
            return (int) ADD_WINDOW.invokeExact(n, start, len, off, missing);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int removeWindow(long start) {
        try {
            return (int) REMOVE_WINDOW.invokeExact(start);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int cut(MemorySegment src, MemorySegment child, long off, long shown) {
        try {
            return (int) CUT.invokeExact(src, child, off, shown);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int save(MemorySegment n, long off, long len) {
        try {
            return (int) SAVE.invokeExact(n, off, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long prepare(MemorySegment n, long off, long len, int whole) {
        try {
            return (long) PREPARE.invokeExact(n, off, len, whole);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int read(MemorySegment n, long off, long len, MemorySegment buf) {
        try {
            return (int) READ.invokeExact(n, off, len, buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int clip(MemorySegment n, long size) {
        try {
            return (int) CLIP.invokeExact(n, size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int completeDeps(MemorySegment n) {
        try {
            return (int) COMPLETE_DEPS.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long unsaved(MemorySegment n) {
        try {
            return (long) UNSAVED.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long faults() {
        try {
            return (long) FAULTS.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int windows() {
        try {
            return (int) WINDOWS.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @return a relay connected to the socket at {@code path} ({@code err} gets an errno), or NULL */
    static MemorySegment relayConnect(MemorySegment path, MemorySegment err) {
        try {
            return (MemorySegment) RELAY_CONNECT.invokeExact(path, err);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int relayFree(MemorySegment r) {
        try {
            return (int) RELAY_FREE.invokeExact(r);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int relayStatus(MemorySegment r) {
        try {
            return (int) RELAY_STATUS.invokeExact(r);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long relayCount(MemorySegment r, int which) {
        try {
            return (long) RELAY_COUNT.invokeExact(r, which);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int setFaultTimeout(long ms) {
        try {
            return (int) SET_FAULT_TIMEOUT.invokeExact(ms);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int addLazyWindow(MemorySegment r, long start, long len, long off) {
        try {
            return (int) ADD_LAZY_WINDOW.invokeExact(r, start, len, off);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Tests only: the handler fails as on a poll error. */
    static int debugKill() {
        try {
            return (int) DEBUG_KILL.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Tests only: a forked child process that sleeps {@code ms} and exits, never running Java. */
    static int debugForkSleep(int ms) {
        try {
            return (int) DEBUG_FORK.invokeExact(ms);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int debugReap(int pid) {
        try {
            return (int) DEBUG_REAP.invokeExact(pid);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void loadedOrThrow() {
        if (UNAVAILABLE != null) {
            throw rethrow(UNAVAILABLE);
        }
    }

    static MemorySegment directListen(MemorySegment path, MemorySegment err) {
        try {
            return (MemorySegment) DIRECT_LISTEN.invokeExact(path, err);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int directAccept(MemorySegment d, int timeoutMillis, MemorySegment cred) {
        try {
            return (int) DIRECT_ACCEPT.invokeExact(d, timeoutMillis, cred);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int directStart(MemorySegment d) {
        try {
            return (int) DIRECT_START.invokeExact(d);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int directFree(MemorySegment d) {
        try {
            return (int) DIRECT_FREE.invokeExact(d);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int directStatus(MemorySegment d) {
        try {
            return (int) DIRECT_STATUS.invokeExact(d);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dumpable() {
        loadedOrThrow();
        try {
            return (int) DUMPABLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int addDirectWindow(MemorySegment d, long id, long start, long len, long off, int write, long timeoutMillis, int poison) {
        try {
            return (int) ADD_DIRECT_WINDOW.invokeExact(d, id, start, len, off, write, timeoutMillis, poison);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpConnect(MemorySegment path) {
        loadedOrThrow();
        try {
            return (int) DP_CONNECT.invokeExact(path);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpRecv(int sock, MemorySegment out) {
        try {
            return (int) DP_RECV.invokeExact(sock, out);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpFaults(int ufd, MemorySegment out, int max) {
        try {
            return (int) DP_FAULTS.invokeExact(ufd, out, max);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpResolve(int ufd, long addr, long len, int how, int fd, long fileOffset) {
        try {
            return (int) DP_RESOLVE.invokeExact(ufd, addr, len, how, fd, fileOffset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpCopy(int ufd, long addr, MemorySegment src, int fd, long fileOffset) {
        try {
            return (int) DP_COPY.invokeExact(ufd, addr, src, fd, fileOffset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpFail(int sock, long id, long addr, long len) {
        try {
            return (int) DP_FAIL.invokeExact(sock, id, addr, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpPoll(MemorySegment fds, int n, int timeoutMillis, MemorySegment revents) {
        try {
            return (int) DP_POLL.invokeExact(fds, n, timeoutMillis, revents);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpEventfd() {
        loadedOrThrow();
        try {
            return (int) DP_EVENTFD.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpEvent(int fd, int drain) {
        try {
            return (int) DP_EVENT.invokeExact(fd, drain);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpClose(int fd) {
        try {
            return (int) DP_CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpEpoll() {
        loadedOrThrow();
        try {
            return (int) DP_EPOLL.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpEpollCtl(int ep, int add, int fd, long token) {
        try {
            return (int) DP_EPOLL_CTL.invokeExact(ep, add, fd, token);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dpEpollWait(int ep, MemorySegment out, int max, int timeoutMillis) {
        try {
            return (int) DP_EPOLL_WAIT.invokeExact(ep, out, max, timeoutMillis);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
