package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Handle;
import io.zxmem.Message;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.spi.PagerBacked;
import io.zxmem.spi.SharedStore;
import java.lang.foreign.MemorySegment;
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
 * state. A mapping asks for its whole window first, so no fault on it ever waits for the pager.
 */
final class RemoteStore implements PagerBacked {
    private static final Duration POLL = Duration.ofMillis(500);
    /** What a request gets when the link died before its answer. */
    private static final int GONE = Integer.MIN_VALUE;
    private final SharedStore bytes;
    private final Channel link;
    private final long page = io.zxmem.Zx.pageSize();
    private final Map<Long, CompletableFuture<Integer>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(1);
    private final PageRuns supplied = new PageRuns();
    private volatile boolean dead;

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
                Message m;
                try {
                    m = link.read(POLL);
                } catch (ZxException e) {
                    if (e.status() == Status.ERR_TIMED_OUT) {
                        continue;
                    }
                    return;
                }
                for (Handle h : m.handles()) {
                    h.close();
                }
                Link r = Link.decode(m.data());
                if (r != null && r.op() == Link.REPLY) {
                    CompletableFuture<Integer> f = pending.remove(r.id());
                    if (f != null) {
                        f.complete(r.status());
                    }
                }
            }
        } finally {
            dead = true;
            for (CompletableFuture<Integer> f : pending.values()) {
                f.complete(GONE);
            }
        }
    }

    private static String hex(long x) {
        return "0x" + Long.toHexString(x);
    }

    /** Sends a request and waits for its answer; throws the pager's status. */
    private void ask(String op, int kind, int flags, long id, long offset, long length) {
        if (dead) {
            throw gone(op);
        }
        CompletableFuture<Integer> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            link.write(new Link(kind, flags, id, offset, length, 0).encode());
        } catch (ZxException e) {
            pending.remove(id);
            throw gone(op);
        }
        if (dead) {
            pending.remove(id);
            throw gone(op);
        }
        int status;
        try {
            status = f.get();
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

    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        boolean writable = (prot & io.zxmem.linux.sys.Linux.PROT_WRITE) != 0;
        long id = ids.getAndIncrement();
        ask("vmar.map", Link.MAP, writable ? Link.WRITE : 0, id, offset, length);
        Window w;
        try {
            w = bytes.mapWindow(offset, length, prot, cachePolicy);
        } catch (RuntimeException | Error e) {
            unmapped(id);
            throw e;
        }
        return new Window() {
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
                if ((p & io.zxmem.linux.sys.Linux.PROT_WRITE) != 0) {
                    ask("mapping.protect", Link.PROTECT, Link.WRITE, id, offset, length);
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
                w.unmap();
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
        link.close();
        bytes.close();
    }
}
