package io.zxmem.pager;

import io.zxmem.DirtyRange;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Status;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.internal.store.MemfdStore;
import io.zxmem.spi.PagerEngine;
import io.zxmem.spi.PagerStore;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes and page states of one pager VMO.
 *
 * <p>The bytes live in a memfd ({@link MemfdStore}); which pages hold real content is this store's
 * own record ({@link #supplied}), not the file's holes, since a supplied page may be all zeros.
 * Page states, as Zircon keeps them: not supplied; supplied and clean; dirty; awaiting clean (write-back
 * began). {@link #zero} marks dirty pages that were never written (a grown VMO's new pages).
 *
 * <p>Accessors ({@link #read}, {@link #write}, {@link #commit}, {@link #zero(long, long)}) run under the
 * VMO's shared lock and wait here, on the engine's condition, for the pager. The pager's calls take
 * only the engine's lock, never the VMO's, so they can always make progress.
 */
final class PagedStore implements PagerStore {
    private final Engine engine;
    private final long page = Zx.pageSize();
    private final boolean trapDirty;
    private final MemfdStore bytes;
    private final PageRuns supplied = new PageRuns();
    private final PageRuns dirty = new PageRuns();
    private final PageRuns awaitingClean = new PageRuns();
    private final PageRuns zero = new PageRuns();
    /** Pages with an outstanding READ / DIRTY request: a second accessor waits without asking again. */
    private final PageRuns readRequested = new PageRuns();
    private final PageRuns dirtyRequested = new PageRuns();
    private final List<Waiter> waiters = new ArrayList<>();
    /**
     * Ranges {start, end} of writable windows, here and in processes this VMO was sent to: their pages
     * stay dirty while the windows exist (writes through them are not seen one by one).
     */
    private final List<long[]> holds = new ArrayList<>();
    /** Links to processes this VMO was sent to. */
    private final List<LinkServer> links = new ArrayList<>();
    private long size;
    private long koid;
    private boolean detached;
    private boolean closed;

    /**
     * An accessor waiting for pages {@code [start, end)}; {@code failed} is the status OP_FAIL gave it.
     * With {@code done}, nobody blocks: a fault relay's request, answered by whoever settles it.
     */
    private static final class Waiter {
        final long start;
        final long end;
        final boolean write;
        final java.util.function.IntConsumer done;
        /** Whose request it is (the relay), for {@link #forgetAsync}; null for a blocked accessor. */
        final Object owner;
        int failed;

        Waiter(long start, long end, boolean write, java.util.function.IntConsumer done, Object owner) {
            this.start = start;
            this.end = end;
            this.write = write;
            this.done = done;
            this.owner = owner;
        }
    }

    /** {@link #step}'s answer while the waiter still needs the pager. */
    private static final int PENDING = 1;

    PagedStore(Engine engine, int options, long size) {
        this.engine = engine;
        this.trapDirty = (options & Pager.TRAP_DIRTY) != 0;
        this.size = size;
        this.bytes = new MemfdStore("zxmem-pager-vmo", size, page);
    }

    @Override
    public PagerEngine engine() {
        return engine;
    }

    @Override
    public void attach(long koid) {
        engine.lock.lock();
        try {
            this.koid = koid;
        } finally {
            engine.lock.unlock();
        }
    }

    @Override
    public boolean trapsDirty() {
        return trapDirty;
    }

    @Override
    public boolean detached() {
        engine.lock.lock();
        try {
            return detached;
        } finally {
            engine.lock.unlock();
        }
    }

    private long floor(long x) {
        return x & -page;
    }

    private long ceil(long x) {
        return (x + page - 1) & -page;
    }

    private static String hex(long x) {
        return "0x" + Long.toHexString(x);
    }

    // ---- accessors (under the VMO's shared lock) ----

    /**
     * Waits until every page of {@code [offset, offset+length)} is supplied and, for a write to a
     * TRAP_DIRTY VMO, dirty; sends the READ and DIRTY requests that are not outstanding yet. A write
     * marks the pages dirty before it returns, so write-back never misses the bytes about to change.
     */
    private void await(String op, long offset, long length, boolean write) {
        long start = floor(offset);
        long end = ceil(offset + length);
        engine.lock.lock();
        Waiter w = new Waiter(start, end, write, null, null);
        waiters.add(w);
        try {
            while (true) {
                int status = step(w);
                if (status == 0) {
                    return;
                }
                if (status != PENDING) {
                    String what = op + "(offset=" + hex(offset) + ", length=" + hex(length) + ")";
                    throw new ZxException(Status.of(status), w.failed != 0 ? what + ": the pager failed the request with "
                            + Status.of(status) : status == Status.ERR_BAD_HANDLE.value() ? op + ": the VMO was destroyed"
                            : what + ": the VMO was detached from its pager, which can no longer supply its pages"
                            + (write && trapDirty ? " or let clean pages be dirtied" : ""));
                }
                try {
                    engine.changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ZxException(Status.ERR_CANCELED, op + ": interrupted while waiting for the pager");
                }
            }
        } finally {
            waiters.remove(w);
            engine.lock.unlock();
        }
    }

    /**
     * One look at what waiter {@code w} needs: sends the READ and DIRTY requests that are not
     * outstanding yet. A write marks the pages dirty once they may change. Caller holds the lock.
     *
     * @return 0 when every page is there (and dirty, for a write to a TRAP_DIRTY VMO), {@link #PENDING}
     *         while the pager owes pages, else the failing status value
     */
    private int step(Waiter w) {
        if (w.failed != 0) {
            return w.failed;
        }
        if (closed) {
            return Status.ERR_BAD_HANDLE.value();
        }
        List<long[]> missing = supplied.gaps(w.start, w.end);
        int command = PageRequest.READ;
        PageRuns requested = readRequested;
        if (missing.isEmpty() && w.write && trapDirty) {
            missing = dirty.gaps(w.start, w.end);
            command = PageRequest.DIRTY;
            requested = dirtyRequested;
        }
        if (missing.isEmpty()) {
            if (w.write) {
                markWritten(w.start, w.end);
            }
            return 0;
        }
        if (detached) {
            return Status.ERR_BAD_STATE.value();
        }
        for (long[] m : missing) {
            for (long[] g : requested.gaps(m[0], m[1])) {
                requested.add(g[0], g[1]);
                engine.post(command, koid, g[0], g[1] - g[0]);
            }
        }
        return PENDING;
    }

    /**
     * Page state changed: wakes the blocked accessors and answers the relay requests that are settled
     * now. The answers (a socket write each) run here, under the lock: the pager's supplying thread
     * sends them itself, with no thread hand-off. Caller holds the lock.
     */
    private void changed() {
        engine.changed.signalAll();
        for (int i = 0; i < waiters.size();) {
            Waiter w = waiters.get(i);
            int status = w.done == null ? PENDING : step(w);
            if (status == PENDING) {
                i++;
                continue;
            }
            waiters.remove(i);
            try {
                w.done.accept(status);
            } catch (RuntimeException e) {
                // the relay is gone: its process's handler fails the fault by itself
            }
        }
    }

    /**
     * The other process's fault handler needs pages {@code [offset, offset+length)}: {@code done} gets
     * the status once they are there or fail, from whichever thread settles it (at once when they
     * are there already). Nothing blocks: no thread per request.
     */
    void serveNeedAsync(long offset, long length, boolean write, Object owner, java.util.function.IntConsumer done) {
        int status;
        engine.lock.lock();
        try {
            checkRange("pager link", offset, length);
            Waiter w = new Waiter(floor(offset), ceil(offset + length), write, done, owner);
            status = step(w);
            if (status == PENDING) {
                waiters.add(w);
                return;
            }
        } catch (ZxException e) {
            status = e.status().value();
        } finally {
            engine.lock.unlock();
        }
        done.accept(status);
    }

    /** The relay {@code owner} is gone: its unanswered requests are dropped (nobody waits for them). */
    void forgetAsync(Object owner) {
        engine.lock.lock();
        try {
            waiters.removeIf(w -> w.owner == owner);
        } finally {
            engine.lock.unlock();
        }
    }

    /** Pages about to change (or changed) are dirty and no longer known to be zero. Caller holds the lock. */
    private void markWritten(long start, long end) {
        dirty.add(start, end);
        awaitingClean.remove(start, end);
        zero.remove(start, end);
    }

    private void written(long offset, long length) {
        engine.lock.lock();
        try {
            // Again after the bytes changed: a write-back that began meanwhile did not see them.
            markWritten(floor(offset), ceil(offset + length));
        } finally {
            engine.lock.unlock();
        }
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        if (length == 0) {
            return;
        }
        await("vmo.read", offset, length, false);
        bytes.read(offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        if (length == 0) {
            return;
        }
        await("vmo.write", offset, length, true);
        bytes.write(offset, src, srcOffset, length);
        written(offset, length);
    }

    @Override
    public void commit(long offset, long length) {
        if (length == 0) {
            return;
        }
        // Supplied pages are already in the memfd: committing is having them supplied.
        await("vmo.op_range(COMMIT)", offset, length, false);
    }

    @Override
    public void decommit(long offset, long length) {
        throw new ZxException(Status.ERR_NOT_SUPPORTED, "vmo.op_range(DECOMMIT): not supported on a pager-backed VMO"
                + " (its pages belong to the pager)");
    }

    @Override
    public void zero(long offset, long length) {
        if (length == 0) {
            return;
        }
        // Zeroing changes bytes as a write does: the pages must be there, and dirtying them may trap.
        await("vmo.op_range(ZERO)", offset, length, true);
        bytes.zero(offset, length);
        written(offset, length);
    }

    @Override
    public long committedBytes() {
        return bytes.committedBytes();
    }

    @Override
    public void resize(long newSize) {
        engine.lock.lock();
        try {
            if (Long.compareUnsigned(newSize, size) > 0) {
                // Zircon: a pager VMO's new tail needs no pager; it reads zero and is dirty, as IS_ZERO.
                supplied.add(size, newSize);
                dirty.add(size, newSize);
                zero.add(size, newSize);
            } else {
                for (PageRuns r : new PageRuns[] {supplied, dirty, awaitingClean, zero, readRequested, dirtyRequested}) {
                    r.remove(newSize, size);
                }
            }
            bytes.resize(newSize);
            size = newSize;
            changed();
        } finally {
            engine.lock.unlock();
        }
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
     * Maps a window after the pager supplied every page of it (and, for a writable window of a
     * TRAP_DIRTY VMO, let them be dirtied): the waiting happens here, in Java, so no fault on the
     * window ever needs the pager, and a pager thread of this JVM cannot deadlock with a faulting
     * thread (see the README). A writable window keeps its pages dirty until it is unmapped or made
     * read-only: writes through it are not seen one by one, so dirty tracking over-reports, never misses.
     */
    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        boolean writable = (prot & Linux.PROT_WRITE) != 0;
        long end = clip(offset, length);
        if (Long.compareUnsigned(offset, end) < 0) {
            await("vmar.map", offset, end - offset, writable);
        }
        Window w = bytes.mapWindow(offset, length, prot, cachePolicy);
        PagerWindow pw = new PagerWindow(w, offset, end);
        if (writable) {
            pw.track(true);
        }
        return pw;
    }

    /** A window of this store; while writable, its pages stay dirty. */
    private final class PagerWindow implements Window {
        private final Window inner;
        private final long start;
        private final long end;
        private long[] hold;

        PagerWindow(Window inner, long start, long end) {
            this.inner = inner;
            this.start = start;
            this.end = end;
        }

        void track(boolean on) {
            if (on && hold == null) {
                hold = hold(start, end);
            } else if (!on && hold != null) {
                releaseHold(hold);
                hold = null;
            }
        }

        @Override
        public long address() {
            return inner.address();
        }

        @Override
        public long length() {
            return inner.length();
        }

        @Override
        public void protect(int prot) {
            boolean w = (prot & Linux.PROT_WRITE) != 0;
            if (w && Long.compareUnsigned(start, end) < 0) {
                // Becoming writable dirties the pages first (and asks the pager, with TRAP_DIRTY).
                await("mapping.protect", start, end - start, true);
            }
            inner.protect(prot);
            track(w);
        }

        @Override
        public void unmap() {
            inner.unmap();
            track(false);
        }
    }

    /** The end of the part of {@code [offset, offset+length)} inside the VMO: a mapping may reach past it. */
    private long clip(long offset, long length) {
        engine.lock.lock();
        try {
            if (Long.compareUnsigned(offset, size) >= 0) {
                return offset;
            }
            return Long.compareUnsigned(length, size - offset) > 0 ? size : offset + length;
        } finally {
            engine.lock.unlock();
        }
    }

    /**
     * Keeps the supplied pages of {@code [start, end)} dirty until {@link #releaseHold}, including pages
     * supplied later (a lazy window in another process gets its pages one by one). @return the hold
     */
    long[] hold(long start, long end) {
        long[] h = {start, end};
        engine.lock.lock();
        try {
            holds.add(h);
            markSuppliedWritten(start, end);
        } finally {
            engine.lock.unlock();
        }
        return h;
    }

    /** The supplied pages of {@code [start, end)} are dirty (a writable window holds them). Caller holds the lock. */
    private void markSuppliedWritten(long start, long end) {
        for (long[] c : supplied.covered(start, end)) {
            markWritten(c[0], c[1]);
        }
    }

    /** Pages just supplied inside writable windows are dirty at once. Caller holds the lock. */
    private void holdsCover(long start, long end) {
        for (long[] h : holds) {
            long s = Long.compareUnsigned(h[0], start) > 0 ? h[0] : start;
            long e = Long.compareUnsigned(h[1], end) < 0 ? h[1] : end;
            if (Long.compareUnsigned(s, e) < 0) {
                markWritten(s, e);
            }
        }
    }

    void releaseHold(long[] h) {
        engine.lock.lock();
        try {
            holds.removeIf(x -> x == h);
        } finally {
            engine.lock.unlock();
        }
    }

    // ---- another process that received this VMO (LinkServer) ----

    /** Serves another process that received this VMO ({@link UserPagerProvider#serve}). */
    void serve(io.zxmem.Channel server, io.zxmem.Channel client, Runnable onClose) {
        LinkServer l = new LinkServer(this, server, client, onClose);
        engine.lock.lock();
        try {
            if (closed) {
                l.close();
                onClose.run();
                return;
            }
            links.add(l);
        } finally {
            engine.lock.unlock();
        }
        l.start();
    }

    /** @return the pager's reader of direct lazy windows */
    DirectServer directServer() {
        return engine.direct;
    }

    void forgetLink(LinkServer l) {
        engine.lock.lock();
        try {
            links.remove(l);
        } finally {
            engine.lock.unlock();
        }
    }

    /** The other process needs pages {@code [offset, offset+length)}, to read or ({@code write}) to change. */
    void serveNeed(long offset, long length, boolean write) {
        engine.lock.lock();
        try {
            checkRange("pager link", offset, length);
        } finally {
            engine.lock.unlock();
        }
        if (length != 0) {
            await("vmo (in another process)", offset, length, write);
        }
    }

    /** The other process maps a window: supply it now. @return a hold when the window is writable */
    long[] serveMap(long offset, long length, boolean write) {
        long end = clip(offset, length);
        if (Long.compareUnsigned(offset, end) >= 0) {
            return null;
        }
        await("vmar.map (in another process)", offset, end - offset, write);
        return write ? hold(offset, end) : null;
    }

    /**
     * Whether another process may map a window lazily (its native handler asks for each page as it is
     * first touched): not for a writable window of a TRAP_DIRTY VMO, whose first write to each clean
     * page must ask the pager (the receiver's handler sees missing pages only, not writes to present ones).
     */
    boolean lazyWindowAllowed(boolean write) {
        return !(write && trapDirty);
    }

    /** A writable lazy window of another process: its supplied pages, now and later, stay dirty. @return the hold, or null */
    long[] lazyHold(long offset, long length) {
        long end = clip(offset, length);
        return Long.compareUnsigned(offset, end) < 0 ? hold(offset, end) : null;
    }

    @Override
    public int sharedFd() {
        return bytes.sharedFd();
    }

    @Override
    public long sharedOffset() {
        return bytes.sharedOffset();
    }

    @Override
    public boolean prepareWriteSeal() {
        return bytes.prepareWriteSeal();
    }

    @Override
    public void close() {
        List<LinkServer> gone;
        engine.lock.lock();
        try {
            gone = new ArrayList<>(links);
            links.clear();
        } finally {
            engine.lock.unlock();
        }
        for (LinkServer l : gone) {
            l.close();
        }
        engine.lock.lock();
        try {
            if (!detached) {
                detachLocked();
                engine.post(PageRequest.COMPLETE, koid, 0, 0);
            }
            closed = true;
            changed();
            engine.forget(this);
            bytes.close();
        } finally {
            engine.lock.unlock();
        }
    }

    // ---- the pager's side (engine lock only) ----

    private void checkRange(String op, long offset, long length) {
        if (Long.compareUnsigned(offset, size) > 0 || Long.compareUnsigned(length, size - offset) > 0) {
            throw new ZxException(Status.ERR_OUT_OF_RANGE, op + "(offset=" + hex(offset) + ", length=" + hex(length)
                    + "): the range is past the VMO's size " + hex(size));
        }
    }

    private void checkAttached(String op) {
        if (detached || closed) {
            throw new ZxException(Status.ERR_BAD_STATE, op + ": the VMO was detached from the pager");
        }
    }

    @Override
    public void checkSupply(long offset, long length) {
        engine.lock.lock();
        try {
            checkRange("pager.supply_pages", offset, length);
            checkAttached("pager.supply_pages");
        } finally {
            engine.lock.unlock();
        }
    }

    @Override
    public void supply(long offset, MemorySegment src) {
        long length = src.byteSize();
        engine.lock.lock();
        try {
            checkRange("pager.supply_pages", offset, length);
            checkAttached("pager.supply_pages");
            copyToDirectFaults(offset, src);
            for (long[] g : supplied.covers(offset, offset + length) ? List.<long[]>of() : supplied.gaps(offset, offset + length)) {
                bytes.writeWhole(g[0], src, g[0] - offset, g[1] - g[0]); // never a half-written page to a reader
                supplied.add(g[0], g[1]);
                holdsCover(g[0], g[1]);
            }
            readRequested.remove(offset, offset + length);
            changed();
        } finally {
            engine.lock.unlock();
        }
    }

    /**
     * Pages of {@code [offset, offset+src.byteSize())} that another process's direct window faulted on
     * go straight into its window ({@link DirectServer#copy}), which fills the file too; the rest are
     * written as usual. Only where the supply alone settles the fault: a write to a TRAP_DIRTY VMO still
     * waits for OP_DIRTY. Caller holds the lock.
     */
    private void copyToDirectFaults(long offset, MemorySegment src) {
        DirectServer direct = engine.direct;
        if (!src.isNative()) {
            return; // UFFDIO_COPY reads an address: a heap segment's pages are written as usual
        }
        long end = offset + src.byteSize();
        for (Waiter w : waiters) {
            if (w.owner instanceof DirectServer.Fault f && w.failed == 0 && !(w.write && trapDirty)
                    && w.end - w.start == page && Long.compareUnsigned(w.start, offset) >= 0
                    && Long.compareUnsigned(w.end, end) <= 0 && !supplied.covers(w.start, w.end)
                    && direct.copy(f, src.asSlice(w.start - offset, page))) {
                supplied.add(w.start, w.end);
                holdsCover(w.start, w.end);
            }
        }
    }

    @Override
    public void opRange(int op, long offset, long length, long data) {
        String name = "pager.op_range";
        long end = offset + length;
        engine.lock.lock();
        try {
            checkRange(name, offset, length);
            switch (op) {
                case Pager.OP_FAIL -> {
                    checkAttached(name);
                    for (Waiter w : waiters) {
                        long s = Long.compareUnsigned(w.start, offset) > 0 ? w.start : offset;
                        long e = Long.compareUnsigned(w.end, end) < 0 ? w.end : end;
                        if (Long.compareUnsigned(s, e) >= 0) {
                            continue;
                        }
                        boolean needs = !supplied.covers(s, e) || (w.write && trapDirty && !dirty.covers(s, e));
                        if (needs && w.failed == 0) {
                            w.failed = (int) data;
                        }
                    }
                    readRequested.remove(offset, end);
                    dirtyRequested.remove(offset, end);
                }
                case Pager.OP_DIRTY -> {
                    checkAttached(name);
                    if (!supplied.covers(offset, end)) {
                        throw new ZxException(Status.ERR_NOT_FOUND, name + "(DIRTY, offset=" + hex(offset) + ", length="
                                + hex(length) + "): pages of the range were never supplied");
                    }
                    dirty.add(offset, end);
                    awaitingClean.remove(offset, end);
                    dirtyRequested.remove(offset, end);
                }
                case Pager.OP_WRITEBACK_BEGIN -> {
                    for (long[] c : dirty.covered(offset, end)) {
                        dirty.remove(c[0], c[1]);
                        awaitingClean.add(c[0], c[1]);
                    }
                }
                case Pager.OP_WRITEBACK_END -> {
                    for (long[] c : awaitingClean.covered(offset, end)) {
                        awaitingClean.remove(c[0], c[1]);
                        zero.remove(c[0], c[1]);
                    }
                    // A writable mapping may change its pages at any moment: they never turn clean.
                    for (long[] w : holds) {
                        long s = Long.compareUnsigned(w[0], offset) > 0 ? w[0] : offset;
                        long e = Long.compareUnsigned(w[1], end) < 0 ? w[1] : end;
                        if (Long.compareUnsigned(s, e) < 0) {
                            for (long[] c : supplied.covered(s, e)) {
                                dirty.add(c[0], c[1]);
                            }
                        }
                    }
                }
                default -> throw new ZxException(Status.ERR_NOT_SUPPORTED, name + ": unknown op " + op);
            }
            changed();
        } finally {
            engine.lock.unlock();
        }
    }

    @Override
    public List<DirtyRange> queryDirtyRanges(long offset, long length) {
        long end = offset + length;
        engine.lock.lock();
        try {
            checkRange("pager.query_dirty_ranges", offset, length);
            PageRuns all = new PageRuns();
            for (long[] c : dirty.covered(offset, end)) {
                all.add(c[0], c[1]);
            }
            for (long[] c : awaitingClean.covered(offset, end)) {
                all.add(c[0], c[1]);
            }
            List<DirtyRange> out = new ArrayList<>();
            for (long[] c : all.covered(offset, end)) {
                // Split each dirty run into pieces known to be zero and pieces with data.
                List<long[]> pieces = new ArrayList<>();
                for (long[] z : zero.covered(c[0], c[1])) {
                    pieces.add(new long[] {z[0], z[1], DirtyRange.IS_ZERO});
                }
                for (long[] d : zero.gaps(c[0], c[1])) {
                    pieces.add(new long[] {d[0], d[1], 0});
                }
                pieces.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
                for (long[] p : pieces) {
                    out.add(new DirtyRange(p[0], p[1] - p[0], p[2]));
                }
            }
            return out;
        } finally {
            engine.lock.unlock();
        }
    }

    @Override
    public void detach() {
        engine.lock.lock();
        try {
            if (!detached && !closed) {
                detachLocked();
                engine.post(PageRequest.COMPLETE, koid, 0, 0);
            }
        } finally {
            engine.lock.unlock();
        }
    }

    /** Fails every outstanding request: waiters wake and throw BAD_STATE. Caller holds the lock. */
    void detachLocked() {
        detached = true;
        readRequested.clear();
        dirtyRequested.clear();
        changed();
    }

    @Override
    public long suppliedBytes() {
        engine.lock.lock();
        try {
            return supplied.bytes();
        } finally {
            engine.lock.unlock();
        }
    }

    @Override
    public long dirtyBytes() {
        engine.lock.lock();
        try {
            return dirty.bytes() + awaitingClean.bytes();
        } finally {
            engine.lock.unlock();
        }
    }
}
