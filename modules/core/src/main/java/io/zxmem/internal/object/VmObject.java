package io.zxmem.internal.object;

import io.zxmem.LockState;
import io.zxmem.Signals;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.VmoInfo;
import io.zxmem.ZxException;
import io.zxmem.internal.Faults;
import io.zxmem.internal.Os;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.linux.LinuxException;
import io.zxmem.spi.PageStore;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.StampedLock;

/**
 * A virtual memory object: its size, content size, name, cache policy, lock state and the
 * {@link PageStore} that holds its bytes.
 *
 * <p>Every operation that touches the store holds {@link #lock}: shared for reads, writes and page
 * operations (which may run in parallel, as on Zircon), exclusive for resizing, discarding and
 * destruction. So a store is never freed or shrunk under a copy in progress, which is what keeps
 * {@code read}/{@code write} from touching unmapped memory when a handle is closed on another thread.
 */
public final class VmObject extends KernelObject {
    public static final int KIND_PAGED = 0;
    public static final int KIND_PHYSICAL = 1;

    private final StampedLock lock = new StampedLock();
    private volatile PageStore store;
    private final int kind;
    private final int options;
    private final long page;
    private final Discardable discardable;
    private final AtomicInteger mappings = new AtomicInteger();
    private final AtomicInteger children = new AtomicInteger();
    private final VmObject parent;
    private volatile long size;
    private volatile long contentSize;
    private volatile String name = "";
    private volatile int cachePolicy;
    private boolean destroyed;
    // Children (issue 3): how this VMO was made and what hangs below it.
    private volatile int childOptions;
    private volatile long chainOffset;
    private final AtomicInteger cowChildren = new AtomicInteger();
    private final AtomicInteger sliceMappings = new AtomicInteger();

    /**
     * @param parent the parent whose ZERO_CHILDREN signal this object holds cleared, or null
     */
    public VmObject(PageStore store, int kind, int options, long size, long contentSize, int cachePolicy,
            VmObject parent) {
        super(Signals.VMO_ZERO_CHILDREN);
        this.store = store;
        this.kind = kind;
        this.options = options;
        this.size = size;
        this.contentSize = contentSize;
        this.cachePolicy = cachePolicy;
        this.page = Pages.size();
        this.parent = parent;
        this.discardable = (options & Vmo.DISCARDABLE) != 0 ? new Discardable() : null;
        if (parent != null) {
            parent.retain();
            parent.childCreated();
        }
        KoidTable.register(this);
        if (discardable != null) {
            Purger.get().track(this);
        }
    }

    public PageStore store() {
        return store;
    }

    public int kind() {
        return kind;
    }

    public int options() {
        return options;
    }

    public long size() {
        return size;
    }

    public String name() {
        return name;
    }

    public VmObject parent() {
        return parent;
    }

    /** Records how a child was made: its {@code Vmo.CHILD_*} options and its offset added to its ancestors'. */
    public void markChild(int childOptions, long chainOffset) {
        this.childOptions = childOptions;
        this.chainOffset = chainOffset;
        if (isCowChild()) {
            // A snapshot of a slice counts on every VMO whose pages the slice windows.
            for (VmObject o = parent; o != null; o = o.isSlice() ? o.parent : null) {
                o.cowChildren.incrementAndGet();
            }
        }
    }

    /** @return the {@code Vmo.CHILD_*} options this VMO was created with; 0 for a root VMO */
    public int childOptions() {
        return childOptions;
    }

    public boolean isSlice() {
        return (childOptions & Vmo.CHILD_SLICE) != 0;
    }

    /** @return whether this VMO is a snapshot or at-least-on-write child */
    public boolean isCowChild() {
        return (childOptions & (Vmo.CHILD_SNAPSHOT | Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE)) != 0;
    }

    /** @return the offset of this VMO in its root, the sum of its and its ancestors' child offsets */
    public long chainOffset() {
        return chainOffset;
    }

    /** @return how many live copy-on-write children this VMO (or a slice of it) has */
    public int cowChildCount() {
        return cowChildren.get();
    }

    /** @return mappings of slices that window this VMO's pages (they map this VMO's store directly) */
    public int sliceMappingCount() {
        return sliceMappings.get();
    }

    /** Runs {@code op} on the store under the shared lock: how a slice reaches its parent's pages. */
    public <R> R withStore(java.util.function.Function<PageStore, R> op) {
        return withStore(op, false);
    }

    /**
     * As {@link #withStore(java.util.function.Function)}; with {@code mayFault} (a copy that may touch
     * memory past a file's end) a late fault of {@code op} is thrown before the lock is released, never
     * while it is being released (see {@link Faults}).
     */
    public <R> R withStore(java.util.function.Function<PageStore, R> op, boolean mayFault) {
        long stamp = shared();
        try {
            R r = op.apply(store);
            if (mayFault) {
                Faults.deliver();
            }
            return r;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * @return the VMO whose file holds this one's pages (itself, or the VMO a slice windows) when that
     *         file may be shared with another process; null otherwise. Another process holding RESIZE
     *         may shrink a shared file under a copy, or change its size.
     */
    public VmObject sharedBase() {
        VmObject base = this;
        while (base.isSlice()) {
            base = base.parent;
        }
        return base.store instanceof io.zxmem.internal.store.MemfdStore m && m.isShared() ? base : null;
    }

    /**
     * Runs {@code op} on the store under the exclusive lock; a non-null {@code replacement()} of its
     * result becomes the store. How a copy-on-write child is cut from this VMO with no write or
     * mapping slipping in between.
     */
    public <R extends StoreSwap> R withStoreExclusive(java.util.function.Function<PageStore, R> op) {
        long stamp = exclusive();
        try {
            R r = op.apply(store);
            if (r != null && r.replacement() != null) {
                store = r.replacement();
            }
            return r;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** What {@link #withStoreExclusive} may return: a store to put in place of the current one. */
    public interface StoreSwap {
        PageStore replacement();
    }

    public int mappingCount() {
        return mappings.get();
    }

    public int childCount() {
        return children.get();
    }

    public boolean resizable() {
        return (options & Vmo.RESIZABLE) != 0;
    }

    public boolean isDiscardable() {
        return discardable != null;
    }

    public int cachePolicy() {
        return cachePolicy;
    }

    /** Takes the shared lock, failing with BAD_HANDLE if the object is gone. */
    private long shared() {
        long stamp = lock.readLock();
        if (destroyed) {
            lock.unlockRead(stamp);
            throw new ZxException(Status.ERR_BAD_HANDLE, "VMO " + koid() + " was destroyed");
        }
        return stamp;
    }

    private long exclusive() {
        long stamp = lock.writeLock();
        if (destroyed) {
            lock.unlockWrite(stamp);
            throw new ZxException(Status.ERR_BAD_HANDLE, "VMO " + koid() + " was destroyed");
        }
        return stamp;
    }

    private void checkRange(String op, long offset, long length, long size) {
        if (!Ranges.inside(offset, length, size)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "offset " + Ranges.hex(offset) + " + length "
                    + Ranges.hex(length) + " is past the VMO's size " + Ranges.hex(size));
        }
    }

    private void checkReadable(String op) {
        if (kind == KIND_PHYSICAL) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a physical VMO cannot be read or written; map it");
        }
    }

    private void checkCached(String op) {
        if (cachePolicy != Vmo.CACHE_CACHED) {
            throw Ranges.fail(Status.ERR_BAD_STATE, op, "the VMO's cache policy is not CACHED");
        }
    }

    /**
     * Reads into {@code dst}. A fault while copying (the destination is a mapping past the end of its
     * file, or a peer process truncated this VMO's shared file) is OUT_OF_RANGE; see {@link Faults}.
     */
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        copy("vmo.read", false, offset, dst, dstOffset, length);
    }

    /** Writes from {@code src}; a fault while copying is OUT_OF_RANGE, as for {@link #read}. */
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        copy("vmo.write", true, offset, src, srcOffset, length);
    }

    private void copy(String op, boolean write, long offset, MemorySegment user, long userOffset, long length) {
        checkReadable(op);
        syncSharedSize();
        // Memory that can fault: a native user segment (it may be a mapping past its file's end), or
        // this VMO's own file when another process may truncate it.
        boolean mayFault = user.isNative() || sharedBase() != null;
        if (mayFault) {
            try {
                Faults.deliver();
            } catch (InternalError e) {
                Faults.discard(e);
            }
        }
        long stamp = shared();
        try {
            checkRange(op, offset, length, size);
            checkCached(op);
            InternalError fault = null;
            try {
                if (write) {
                    store.write(offset, user, userOffset, length);
                } else {
                    store.read(offset, user, userOffset, length);
                }
                if (mayFault) {
                    Faults.deliver(); // compiled code reports the copy's fault late: here, inside this try
                }
            } catch (InternalError e) {
                if (!Faults.isUnsafeAccessFault(e)) {
                    throw e;
                }
                fault = e;
            } catch (IllegalStateException | WrongThreadException e) {
                // The caller's arena was closed by another thread during the copy.
                throw new ZxException(Status.ERR_INVALID_ARGS, op + ": the " + (write ? "source" : "destination")
                        + " segment's arena was closed during the copy", e);
            }
            if (fault != null) {
                throw new ZxException(Status.ERR_OUT_OF_RANGE, op + "(offset=" + Ranges.hex(offset) + ", length="
                        + Ranges.hex(length) + "): the copy faulted: the " + (write ? "source" : "destination")
                        + " segment reaches past the end of a mapped file (a mapping of a VMO that shrank), or"
                        + " another process shrank this VMO's file", fault);
            }
        } catch (LinuxException e) {
            if (e.errno() == io.zxmem.linux.sys.Errno.EFAULT) {
                // pread/pwrite met the same fault in the kernel: the same answer as a faulting copy.
                throw new ZxException(Status.ERR_OUT_OF_RANGE, op + "(offset=" + Ranges.hex(offset) + "): the "
                        + (write ? "source" : "destination") + " segment reaches past the end of a mapped file", e);
            }
            throw Os.fail(op + "(offset=" + Ranges.hex(offset) + ")", e);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * The size of a resizable VMO whose file is shared with another process lives in the file: a
     * peer holding RESIZE may change it. Takes it from the file ({@code fstat}) when it changed, so
     * every holder sees one size and a range a peer cut off fails as after a local shrink.
     */
    private void syncSharedSize() {
        if ((options & Vmo.RESIZABLE) == 0 || !(store instanceof io.zxmem.internal.store.MemfdStore m) || !m.isShared()) {
            return;
        }
        if (fileSize(m) == size) {
            return;
        }
        long stamp = exclusive();
        try {
            if (store == m) {
                long now = fileSize(m);
                if (now != size) {
                    m.adoptSize(now);
                    size = now;
                    if (Ranges.above(contentSize, now)) {
                        contentSize = now;
                    }
                }
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** The memfd's size rounded up to pages (a peer's raw ftruncate need not be page-aligned). */
    private long fileSize(io.zxmem.internal.store.MemfdStore m) {
        long bytes = m.fileSize();
        return Ranges.roundUpOverflows(bytes, page) ? bytes : Ranges.ceil(bytes, page);
    }

    /** The size for callers outside a lock: for a shared resizable VMO, what the file says now. */
    public long currentSize() {
        syncSharedSize();
        return size;
    }

    /** Resizes; the caller checked rights and resizability. */
    public void setSize(long requested) {
        if (Ranges.roundUpOverflows(requested, page) || Ranges.above(Ranges.ceil(requested, page), Vmo.MAX_SIZE)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, "vmo.set_size(" + Ranges.hex(requested) + ")",
                    "larger than MAX_SIZE " + Ranges.hex(Vmo.MAX_SIZE));
        }
        long rounded = Ranges.ceil(requested, page);
        if (Ranges.overflows(chainOffset, rounded)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.set_size(" + Ranges.hex(requested) + ")",
                    "the child's offset in its root " + Ranges.hex(chainOffset) + " + the size overflows");
        }
        syncSharedSize();
        long stamp = exclusive();
        try {
            if (rounded != size) {
                store.resize(rounded);
            }
            // Zircon zeroes the tail of the last page, so shrinking to an unaligned size then growing
            // never shows the old bytes.
            if (rounded != requested) {
                store.zero(requested, rounded - requested);
            }
            size = rounded;
            contentSize = requested;
        } catch (LinuxException e) {
            throw Os.fail("vmo.set_size(" + Ranges.hex(requested) + ")", e);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    public long contentSize() {
        return contentSize;
    }

    public void setContentSize(long contentSize) {
        this.contentSize = contentSize;
    }

    public void setName(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length <= Vmo.MAX_NAME_BYTES) {
            this.name = name;
            return;
        }
        // Keep at most 31 bytes, without cutting a character in half.
        int n = Vmo.MAX_NAME_BYTES;
        while (n > 0 && (b[n] & 0xC0) == 0x80) {
            n--;
        }
        this.name = new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** COMMIT, DECOMMIT, ZERO: the caller checked rights, op validity and alignment rules. */
    public void pageOp(int op, String opName, long offset, long length) {
        syncSharedSize();
        long stamp = shared();
        try {
            checkRange(opName, offset, length, size);
            switch (op) {
                case Vmo.OP_COMMIT -> {
                    long start = Ranges.floor(offset, page);
                    long end = Ranges.ceil(offset + length, page);
                    store.commit(start, end - start);
                }
                case Vmo.OP_DECOMMIT -> store.decommit(offset, length);
                case Vmo.OP_ZERO -> store.zero(offset, length);
                default -> throw new IllegalArgumentException("not a page op: " + op);
            }
        } catch (LinuxException e) {
            throw Os.fail(opName, e);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** A range op that only checks the range (cache maintenance, hints). */
    public void checkOpRange(String opName, long offset, long length) {
        syncSharedSize();
        long stamp = shared();
        try {
            checkRange(opName, offset, length, size);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** LOCK, TRY_LOCK, UNLOCK of a discardable VMO; range must be exactly [0, size). */
    public LockState lockOp(int op, String opName, long offset, long length) {
        return lockOp(op, opName, offset, length, () -> { });
    }

    /**
     * LOCK, TRY_LOCK, UNLOCK in Zircon's order: NOT_SUPPORTED, then OUT_OF_RANGE, then
     * {@code checkBuffer} (which throws INVALID_ARGS), all before the lock state changes.
     */
    public LockState lockOp(int op, String opName, long offset, long length, Runnable checkBuffer) {
        if (discardable == null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, opName, "the VMO is not DISCARDABLE");
        }
        LockState result = null;
        boolean nowUnlocked = false;
        long stamp = shared();
        try {
            if (offset != 0 || length != size) {
                throw Ranges.fail(Status.ERR_OUT_OF_RANGE, opName, "lock ops cover the whole VMO [0, "
                        + Ranges.hex(size) + "), not offset " + Ranges.hex(offset) + " length " + Ranges.hex(length));
            }
            checkBuffer.run();
            switch (op) {
                case Vmo.OP_LOCK -> result = discardable.lock(size);
                case Vmo.OP_TRY_LOCK -> result = discardable.tryLock(size);
                case Vmo.OP_UNLOCK -> nowUnlocked = discardable.unlock();
                default -> throw new IllegalArgumentException("not a lock op: " + op);
            }
        } finally {
            lock.unlockRead(stamp);
        }
        // The purger takes this VMO's exclusive lock, so it is told only after the shared one is gone.
        if (result != null) {
            Purger.get().locked(this);
        } else if (nowUnlocked) {
            Purger.get().unlocked(this);
        }
        return result;
    }

    /** Discards the content if the VMO is unlocked. @return whether it did */
    boolean discardIfUnlocked() {
        long stamp = lock.writeLock();
        try {
            if (destroyed || !discardable.markDiscarded()) {
                return false;
            }
            store.discard();
            return true;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    boolean unlockedAndKept() {
        return discardable != null && discardable.unlockedAndKept();
    }

    public long committedBytes() {
        long stamp = shared();
        try {
            return store.committedBytes();
        } catch (LinuxException e) {
            throw Os.fail("vmo.info", e);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Sets the cache policy; BAD_STATE while mapped or part of a copy-on-write tree. */
    public void setCachePolicy(int policy, boolean inCowTree) {
        long stamp = exclusive();
        try {
            if (mappings.get() != 0) {
                throw Ranges.fail(Status.ERR_BAD_STATE, "vmo.set_cache_policy(" + policy + ")", "the VMO is mapped");
            }
            if (inCowTree) {
                throw Ranges.fail(Status.ERR_BAD_STATE, "vmo.set_cache_policy(" + policy + ")",
                        "the VMO has or is a copy-on-write child");
            }
            cachePolicy = policy;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** The {@code VmoInfo} flags that follow from how the VMO was made (copy-on-write child, immutable). */
    public int childFlags() {
        int flags = 0;
        if (isCowChild()) {
            flags |= VmoInfo.IS_COW_CLONE;
            if ((childOptions & (Vmo.CHILD_SNAPSHOT | Vmo.CHILD_NO_WRITE)) == (Vmo.CHILD_SNAPSHOT | Vmo.CHILD_NO_WRITE)) {
                flags |= VmoInfo.IMMUTABLE;
            }
        }
        return flags;
    }

    /** @return what kind of VMO this is, for people: paged, physical, slice, snapshot or at-least-on-write */
    public String kindName() {
        if (kind == KIND_PHYSICAL) {
            return "physical";
        }
        if (isSlice()) {
            return "slice";
        }
        if (store instanceof io.zxmem.spi.PagerBacked) {
            return "pager";
        }
        if (isCowChild()) {
            return (childOptions & Vmo.CHILD_SNAPSHOT) != 0 ? "snapshot" : "at-least-on-write";
        }
        return "paged";
    }

    public VmoInfo info(int handleRights, int extraFlags, long parentKoid) {
        int flags = VmoInfo.VIA_HANDLE | extraFlags;
        if (kind == KIND_PAGED) {
            flags |= VmoInfo.TYPE_PAGED;
        } else {
            flags |= VmoInfo.CONTIGUOUS;
        }
        if (resizable()) {
            flags |= VmoInfo.RESIZABLE;
        }
        if (discardable != null) {
            flags |= VmoInfo.DISCARDABLE;
        }
        int m = mappings.get();
        return new VmoInfo(koid(), name, size, parentKoid, children.get(), m, m > 0 ? 1 : 0, flags,
                kind == KIND_PAGED ? committedBytes() : 0, handleRights, cachePolicy);
    }

    /** Maps a window for a new {@code Mapping}; takes a reference the mapping gives back when closed. */
    public PageStore.Window map(long offset, long length, int prot) {
        syncSharedSize();
        // The reference first: when the last handle is closed meanwhile, the map fails with
        // BAD_HANDLE before anything is mapped, instead of mapping a window nobody would unmap.
        retain();
        boolean mapped = false;
        long stamp;
        try {
            stamp = shared();
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
        // A slice's mapping counts on the VMOs whose pages it shows before it exists, so no cut
        // under their locks can miss it.
        for (VmObject o = this; o.isSlice(); o = o.parent) {
            o.parent.sliceMappings.incrementAndGet();
        }
        try {
            PageStore.Window addr = store.mapWindow(offset, length, prot, cachePolicy);
            mapped = true;
            mappings.incrementAndGet();
            return addr;
        } catch (LinuxException e) {
            throw Os.fail("vmar.map(vmo_offset=" + Ranges.hex(offset) + ", len=" + Ranges.hex(length) + ")", e);
        } finally {
            if (!mapped) {
                for (VmObject o = this; o.isSlice(); o = o.parent) {
                    o.parent.sliceMappings.decrementAndGet();
                }
            }
            lock.unlockRead(stamp);
            if (!mapped) {
                release();
            }
        }
    }

    /** Called by a mapping after it unmapped itself. */
    public void unmapped() {
        mappings.decrementAndGet();
        for (VmObject o = this; o.isSlice(); o = o.parent) {
            o.parent.sliceMappings.decrementAndGet();
        }
        release();
    }

    void childCreated() {
        if (children.getAndIncrement() == 0) {
            updateSignals(Signals.VMO_ZERO_CHILDREN, 0);
        }
    }

    void childDestroyed() {
        if (children.decrementAndGet() == 0) {
            updateSignals(0, Signals.VMO_ZERO_CHILDREN);
        }
    }

    @Override
    protected void destroy() {
        long stamp = lock.writeLock();
        try {
            destroyed = true;
            store.close();
        } finally {
            lock.unlockWrite(stamp);
            KoidTable.unregister(this);
            if (discardable != null) {
                Purger.get().untrack(this);
            }
        }
        if (parent != null) {
            if (isCowChild()) {
                for (VmObject o = parent; o != null; o = o.isSlice() ? o.parent : null) {
                    o.cowChildren.decrementAndGet();
                }
            }
            parent.childDestroyed();
            parent.release();
        }
    }
}
