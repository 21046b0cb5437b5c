package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Handle;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.cow.LazyFaults;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.PagerBacked;
import io.zxmem.spi.SharedStore;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pager VMO received from the pager's process: its bytes are the pager VMO's memfd, shared; pages
 * are asked for over the link ({@link Link}) before they are touched. Reads remember which pages
 * were supplied (they stay so); writes ask every time, since the pager's process keeps the dirty
 * state.
 *
 * <p>Mappings are lazy where the copy-on-write engine's native userfaultfd handler runs
 * ({@link LazyFaults}): the window is registered for missing pages, and each page's first touch is
 * asked of the pager's process by that native thread over a relay socket of this store, with no Java
 * thread of this process involved. Elsewhere (no userfaultfd, a VMO without WRITE, the pager in this
 * very process, a writable window of a TRAP_DIRTY VMO, {@code -Dzxmem.pager.lazy=false}) a mapping
 * asks for its whole window first, so no fault on it ever waits for the pager.
 */
final class RemoteStore implements PagerBacked {
    private static final Duration POLL = Duration.ofMillis(500);
    /** What a request gets when the link died before its answer. */
    private static final int GONE = Integer.MIN_VALUE;
    private final SharedStore bytes;
    private final Channel link;
    private final long page = io.zxmem.Zx.pageSize();
    /** Whether mappings may be lazy at all ({@code -Dzxmem.pager.lazy=false}: every window is eager). */
    private static final boolean LAZY = !"false".equals(System.getProperty("zxmem.pager.lazy"));
    /**
     * A lazy fault that waits longer than this for the pager's process fails (the access raises SIGBUS):
     * while it waits, the faulting thread holds every safepoint of this JVM open. 0: no limit.
     */
    static final long FAULT_TIMEOUT_MILLIS = Long.getLong("zxmem.pager.faultTimeoutMillis", 30_000L);
    private static volatile boolean timeoutSet;
    /**
     * Whether direct windows let the pager's process fail a page with UFFDIO_POISON where the kernel has
     * it ({@code -Dzxmem.pager.directPoison=false}: it asks this process's handler instead, the path of
     * kernels before 6.6, which tests take this way).
     */
    private static final boolean POISON = !"false".equals(System.getProperty("zxmem.pager.directPoison"));
    private final Map<Long, CompletableFuture<Link>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(1);
    private final PageRuns supplied = new PageRuns();
    private volatile boolean dead;
    /** The native fault relay, once made; NULL when lazy windows are not possible here. */
    private MemorySegment relay;
    private boolean relayTried;
    /** The direct-fault connection to a trusted pager's process, once made; null without one. */
    private MemorySegment direct;
    private boolean directTried;
    /** Lazy windows made so far in this process, direct and relayed (tests tell the paths apart). */
    static final java.util.concurrent.atomic.AtomicLong DIRECT_WINDOWS = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong RELAY_WINDOWS = new java.util.concurrent.atomic.AtomicLong();
    /** This store's direct windows now: past the pager's bound ({@link DirectServer#MAX_WINDOWS_PER_CONNECTION}) windows are relayed. */
    private final java.util.concurrent.atomic.AtomicInteger liveDirect = new java.util.concurrent.atomic.AtomicInteger();
    private boolean closed;

    RemoteStore(SharedStore bytes, Channel link) {
        this.bytes = bytes;
        this.link = link;
        try {
            link.write(new Link(Link.HELLO, 0, 0, 0, 0, 0).encode());
        } catch (ZxException e) {
            dead = true;
        }
        Thread t = new Thread(this::readReplies, "zxmem-pager-remote");
        t.setDaemon(true);
        t.start();
    }

    private void readReplies() {
        try {
            while (true) {
                Link r = Link.next(link, POLL);
                if (r != null && r.op() == Link.REPLY) {
                    CompletableFuture<Link> f = pending.remove(r.id());
                    if (f != null) {
                        f.complete(r);
                    }
                }
            }
        } catch (ZxException gone) {
            // the pager's process is gone, or this store closed the link
        } finally {
            dead = true;
            for (CompletableFuture<Link> f : pending.values()) {
                f.complete(new Link(Link.REPLY, 0, 0, 0, 0, GONE));
            }
        }
    }

    private static String hex(long x) {
        return "0x" + Long.toHexString(x);
    }

    /** Sends a request and waits for its answer; throws the pager's status. @return the answer */
    private Link ask(String op, int kind, int flags, long id, long offset, long length, Handle... handles) {
        return ask(op, kind, flags, id, offset, length, null, handles);
    }

    /** As above, {@code tail} following the message's 40 bytes (a {@link Link#DIRECT} path). */
    private Link ask(String op, int kind, int flags, long id, long offset, long length, byte[] tail, Handle... handles) {
        if (dead) {
            for (Handle h : handles) {
                h.close();
            }
            throw gone(op);
        }
        CompletableFuture<Link> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            Link q = new Link(kind, flags, id, offset, length, 0);
            link.write(tail == null ? q.encode() : q.encode(tail), handles);
        } catch (ZxException e) {
            pending.remove(id);
            for (Handle h : handles) {
                h.close();
            }
            throw gone(op);
        }
        if (dead) {
            pending.remove(id);
            throw gone(op);
        }
        Link answer;
        int status;
        try {
            // A pager process of an earlier zxmem ignores DIRECT without an answer: the relay then serves.
            answer = kind == Link.DIRECT ? f.get(10, java.util.concurrent.TimeUnit.SECONDS) : f.get();
            status = answer.status();
        } catch (java.util.concurrent.TimeoutException e) {
            pending.remove(id);
            throw new ZxException(Status.ERR_TIMED_OUT, op + ": no answer from the pager's process");
        } catch (InterruptedException e) {
            pending.remove(id);
            Thread.currentThread().interrupt();
            throw new ZxException(Status.ERR_CANCELED, op + ": interrupted while waiting for the pager");
        } catch (ExecutionException e) {
            throw new ZxException(Status.ERR_INTERNAL, op + ": " + e.getCause());
        }
        if (status == GONE) {
            throw gone(op);
        }
        if (status != 0) {
            Status s;
            try {
                s = Status.of(status);
            } catch (RuntimeException e) {
                s = Status.ERR_IO;
            }
            throw new ZxException(s, op + "(offset=" + hex(offset) + ", length=" + hex(length)
                    + "): the pager's process answered " + s);
        }
        return answer;
    }

    private static ZxException gone(String op) {
        return new ZxException(Status.ERR_BAD_STATE, op + ": the pager's process is gone (or closed the link)");
    }

    private void need(String op, long offset, long length, boolean write) {
        if (length == 0) {
            return;
        }
        long start = offset & -page;
        long end = (offset + length + page - 1) & -page;
        if (!write) {
            synchronized (supplied) {
                if (supplied.covers(start, end)) {
                    return;
                }
            }
        }
        ask(op, Link.NEED, write ? Link.WRITE : 0, ids.getAndIncrement(), start, end - start);
        synchronized (supplied) {
            supplied.add(start, end);
        }
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        need("vmo.read", offset, length, false);
        bytes.read(offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        need("vmo.write", offset, length, true);
        bytes.write(offset, src, srcOffset, length);
    }

    @Override
    public void commit(long offset, long length) {
        need("vmo.op_range(COMMIT)", offset, length, false);
    }

    @Override
    public void decommit(long offset, long length) {
        throw new ZxException(Status.ERR_NOT_SUPPORTED, "vmo.op_range(DECOMMIT): not supported on a pager-backed VMO");
    }

    @Override
    public void zero(long offset, long length) {
        need("vmo.op_range(ZERO)", offset, length, true);
        bytes.zero(offset, length);
    }

    @Override
    public long committedBytes() {
        return bytes.committedBytes();
    }

    @Override
    public void resize(long newSize) {
        throw new ZxException(Status.ERR_NOT_SUPPORTED, "vmo.set_size: a pager VMO is resized in its pager's process only");
    }

    @Override
    public void discard() {
        throw new UnsupportedOperationException("a pager VMO is never discardable");
    }

    @Override
    public MemorySegment map(long offset, long length, int prot, int cachePolicy) {
        throw new UnsupportedOperationException("pager VMOs are mapped through mapWindow only");
    }

    /**
     * The relay for lazy windows, made on first use: a socket pair between this process's native fault
     * handler and the pager's process. The handler connects to a channel listener in a private
     * directory, and the accepted end travels to the pager's process over the link ({@link Link#FAULTS}).
     * @return the relay, or null when lazy windows are not possible (the reason is no error: mappings
     *         are then eager)
     */
    private synchronized MemorySegment relay() {
        if (relayTried) {
            return relay;
        }
        relayTried = true;
        if (!LAZY || dead || closed || LazyFaults.mode() == 0) {
            return null;
        }
        if (!timeoutSet) {
            LazyFaults.faultTimeout(FAULT_TIMEOUT_MILLIS);
            timeoutSet = true;
        }
        Path dir = null;
        MemorySegment r = null;
        try {
            dir = Files.createTempDirectory("zxmem-relay"); // 0700: nobody else can connect
            Path sock = dir.resolve("s");
            Channel end;
            try (ChannelServer server = Channel.listen(sock)) {
                r = LazyFaults.connect(sock);
                end = server.accept(Duration.ofSeconds(10));
            }
            ask("vmar.map (fault relay)", Link.FAULTS, 0, ids.getAndIncrement(), ProcessHandle.current().pid(), 0, end);
            relay = r;
            return r;
        } catch (ZxException | IOException e) {
            // NOT_SUPPORTED: the pager is in this very process; anything else: no relay. Eager windows.
            if (r != null) {
                LazyFaults.free(r);
            }
            return null;
        } finally {
            removeSocketDir(dir, "s");
        }
    }

    /** Removes a private directory made for one socket (null: none was made), once its peer connected or failed to. */
    private static void removeSocketDir(Path dir, String socket) {
        if (dir != null) {
            try {
                Files.deleteIfExists(dir.resolve(socket));
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory left behind: harmless
            }
        }
    }

    /**
     * The direct-fault connection, made on first use once the relay exists: the pager's process
     * connects natively to a socket of this process, and its credentials as the kernel recorded them
     * decide ({@link DirectTrust}) whether lazy windows hand it their userfaultfds. Then it resolves
     * their faults itself: a first touch costs the toucher's wake-up of the pager's process and that
     * process's wake-up of the toucher, no thread of this process in between.
     * @return the connection, or null (the relay serves lazy windows)
     */
    private synchronized MemorySegment direct() {
        if (directTried) {
            return direct;
        }
        directTried = true;
        DirectTrust.Mode mode = DirectTrust.mode();
        if (mode == DirectTrust.Mode.NEVER || relay == null || dead || closed) {
            return null;
        }
        Path dir = null;
        MemorySegment d = null;
        try {
            dir = Files.createTempDirectory("zxmem-direct"); // 0700: only root and this user can connect
            Path sock = dir.resolve("d");
            d = LazyFaults.directListen(sock);
            ask("vmar.map (direct faults)", Link.DIRECT, 0, ids.getAndIncrement(), ProcessHandle.current().pid(), 0,
                    sock.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            int[] cred = LazyFaults.directAccept(d, 10_000);
            if (!DirectTrust.handOver(mode, cred[1], cred[2], LazyFaults.dumpable()) || !LazyFaults.directStart(d)) {
                LazyFaults.directFree(d);
                return null;
            }
            direct = d;
            return d;
        } catch (ZxException | IOException e) {
            // The pager's process refused or could not connect: the relay serves lazy windows.
            if (d != null) {
                LazyFaults.directFree(d);
            }
            return null;
        } finally {
            removeSocketDir(dir, "d");
        }
    }

    /** @return page requests this store's lazy windows sent, or -1 without a relay (tests) */
    synchronized long lazyRequests() {
        return relay == null ? -1 : LazyFaults.requests(relay);
    }

    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        boolean writable = (prot & Linux.PROT_WRITE) != 0;
        long id = ids.getAndIncrement();
        MemorySegment r = relay();
        Link answer = ask("vmar.map", Link.MAP, (writable ? Link.WRITE : 0) | (r != null ? Link.LAZY : 0), id, offset, length);
        Window w;
        try {
            w = bytes.mapWindow(offset, length, prot, cachePolicy);
        } catch (RuntimeException | Error e) {
            unmapped(id);
            throw e;
        }
        boolean lazy = (answer.flags() & Link.LAZY) != 0 && r != null;
        MemorySegment d = lazy ? direct() : null;
        boolean room = d != null && liveDirect.incrementAndGet() <= DirectServer.MAX_WINDOWS_PER_CONNECTION;
        boolean isDirect = room && LazyFaults.registerDirect(d, id, w.address(), w.length(), offset, writable,
                FAULT_TIMEOUT_MILLIS, POISON) == 0;
        if (d != null && !isDirect) {
            liveDirect.decrementAndGet();
        }
        if (isDirect) {
            DIRECT_WINDOWS.incrementAndGet();
        } else if (lazy && LazyFaults.register(r, w.address(), w.length(), offset) == 0) {
            RELAY_WINDOWS.incrementAndGet();
        } else if (lazy) {
            // Not registered (another registration overlaps, the kernel refused): fetch the window now.
            lazy = false;
            try {
                ask("vmar.map", Link.MAP, writable ? Link.WRITE : 0, id, offset, length);
            } catch (RuntimeException | Error e) {
                w.unmap();
                unmapped(id);
                throw e;
            }
        }
        boolean isLazy = lazy;
        return new Window() {
            /** Whether this window still counts among the store's direct ones (unmap may come twice). */
            private boolean counted = isDirect;

            @Override
            public long address() {
                return w.address();
            }

            @Override
            public long length() {
                return w.length();
            }

            @Override
            public void protect(int p) {
                if ((p & Linux.PROT_WRITE) != 0) {
                    ask("mapping.protect", Link.PROTECT, Link.WRITE | (isLazy ? Link.LAZY : 0), id, offset, length);
                    w.protect(p);
                } else {
                    w.protect(p);
                    if (!dead) {
                        try {
                            ask("mapping.protect", Link.PROTECT, 0, id, offset, length);
                        } catch (ZxException ignored) {
                            // Read-only now either way; a pager that is gone keeps no dirty state.
                        }
                    }
                }
            }

            @Override
            public void unmap() {
                if (isLazy && !LazyFaults.unregister(w.address())) {
                    // A touch may still wait in the window (closed while the pager had not answered):
                    // the range stays reserved, mapping an empty file, so that the touch fails (SIGBUS)
                    // instead of reaching unmapped memory (SIGSEGV).
                    System.getLogger("io.zxmem.pager").log(System.Logger.Level.DEBUG, "zxmem: a lazy window at 0x"
                            + Long.toHexString(w.address()) + " closed while a touch waited; its range stays reserved");
                } else {
                    w.unmap();
                }
                if (counted) {
                    counted = false;
                    liveDirect.decrementAndGet();
                }
                unmapped(id);
            }
        };
    }

    private void unmapped(long id) {
        if (!dead) {
            try {
                link.write(new Link(Link.UNMAP, 0, id, 0, 0, 0).encode());
            } catch (ZxException ignored) {
                // The link is gone: the pager's process dropped every window of ours already.
            }
        }
    }

    @Override
    public void close() {
        MemorySegment r;
        MemorySegment d;
        synchronized (this) {
            closed = true;
            r = relay;
            relay = null;
            d = direct;
            direct = null;
        }
        if (r != null) {
            LazyFaults.free(r);
        }
        if (d != null) {
            LazyFaults.directFree(d);
        }
        link.close();
        bytes.close();
    }
}
