package io.zxmem.internal.object;

import io.zxmem.LockState;
import io.zxmem.Signals;
import io.zxmem.Status;
import io.zxmem.VmoInfo;
import io.zxmem.VmoSnapshot;
import io.zxmem.internal.Os;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Linked;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoConstants;
import io.zxmem.internal.store.MemfdStore;
import io.zxmem.internal.store.SliceStore;
import io.zxmem.linux.LinuxException;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.PagerBacked;
import io.zxmem.spi.PagerStore;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A virtual memory object, Zircon's {@code VmObject}: its size, content size, name, cache policy,
 * its place in a tree of children, its mappings and the {@link PageStore} that holds its bytes. The
 * kinds are types: {@link VmObjectPaged} (memory of this process: anonymous, children, pager-backed)
 * and {@link VmObjectPhysical} (device memory granted by a resource).
 *
 * <p>A {@code io.zxmem.Vmo} handle checks rights and the shape of its arguments, then makes one call here;
 * every further check of a Zircon call, in Zircon's order, is made here and nowhere else.
 *
 * <p>Every operation that touches the store holds the store's lock ({@link GuardedStore}): shared
 * for reads, writes and page operations, exclusive for resizing, discarding and destruction.
 *
 * <p>Every VM object is made by {@link VmObjectFactory}: when making it fails, the store it was to
 * own is closed, and an object half linked into its parent and the {@link KoidTable} is unlinked again.
 */
public abstract sealed class VmObject extends KernelObject implements SliceStore.Parent
        permits VmObjectPaged, VmObjectPhysical {
    private final GuardedStore guarded;
    private final int options;
    final long page = Pages.size();
    /**
     * The live mappings, a list threaded through them, guarded by {@link #guarded}'s monitor: a set
     * would cost every VMO a map and every mapping an entry.
     */
    private VmMapping firstMapping;
    private int mappingCount;
    // Counters updated through VarHandles, not AtomicIntegers: three objects less on every create.
    private static final VarHandle CHILDREN;
    private static final VarHandle COW_CHILDREN;
    private static final VarHandle SLICE_MAPPINGS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CHILDREN = l.findVarHandle(VmObject.class, "children", int.class);
            COW_CHILDREN = l.findVarHandle(VmObject.class, "cowChildren", int.class);
            SLICE_MAPPINGS = l.findVarHandle(VmObject.class, "sliceMappings", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int children;
    private final VmObject parent;
    volatile long size;
    volatile long contentSize;
    private volatile String name;
    private volatile int cachePolicy;
    /** How this VMO was made ({@code VmoConstants.CHILD_*}, 0 for a root) and its offset in its root. */
    private final int childOptions;
    private final long chainOffset;
    private volatile int cowChildren;
    private volatile int sliceMappings;
    /** This object's neighbours in its {@link KoidTable} stripe, guarded by the stripe's monitor. */
    VmObject liveNext;
    VmObject livePrev;

    /**
     * Takes a reference to {@code parent} first: the one step that can fail (BAD_HANDLE once the
     * parent is gone), before anything needs undoing. {@link #publish} links the object in.
     */
    VmObject(PageStore store, int options, long size, long contentSize, int cachePolicy, String name,
            VmObject parent, int childOptions, long chainOffset) {
        super(Signals.VMO_ZERO_CHILDREN);
        if (parent != null) {
            parent.retain();
        }
        this.parent = parent;
        this.guarded = new GuardedStore(koid(), store);
        this.options = options;
        this.size = size;
        this.contentSize = contentSize;
        this.cachePolicy = cachePolicy;
        this.name = truncate(name);
        this.childOptions = childOptions;
        this.chainOffset = chainOffset;
    }

    /** Links the new object into its parent and the koid table: what {@link #destroy} undoes. */
    final void publish() {
        if (parent != null) {
            parent.childCreated();
            if (isCowChild()) {
                // A snapshot of a slice counts on every VMO whose pages the slice windows.
                for (VmObject o = parent; o != null; o = o.isSlice() ? o.parent : null) {
                    COW_CHILDREN.getAndAdd(o, 1);
                }
            }
        }
        KoidTable.register(this);
        published();
    }

    /** The koid table keeps a VM object from {@link #publish} until {@link #destroy}, which no open handle outlives. */
    @Override
    protected final boolean rootedWhileAlive() {
        return true;
    }

    /** Called last while the object is made; may fail (the object is then released). */
    void published() {
    }

    /** A child of this VMO's own type over {@code store} (given this VMO's name and cache policy); see {@link VmObjectFactory#newChild}. */
    abstract VmObject constructChild(PageStore store, int options, long size, long contentSize, int cachePolicy,
            String name, int childOptions, long chainOffset);

    // ---- the tree ----

    /**
     * {@code zx_vmo_create_child} after the handle's checks (size, overflow, NO_WRITE|RESIZABLE and
     * rights): the rest in Zircon's order; see {@link VmObjectFactory}. The caller holds a reference to this
     * object for the call.
     *
     * @return the child, whose one reference the caller owns
     */
    public final VmObject createChild(String op, int options, long offset, long size) {
        return VmObjectFactory.create(this, op, options, offset, size);
    }

    /**
     * A slice of this VMO made without the checks of {@link #createChild}, for a VMO received from
     * another process as a window of a larger file.
     */
    public final VmObject slice(long offset, long size, long contentSize) {
        return VmObjectFactory.slice(this, offset, size, contentSize);
    }

    /** A snapshot or at-least-on-write child: the checks of this kind of VMO, then the cut. */
    abstract VmObject createSnapshot(String op, int options, long offset, long rounded, long size);

    public final VmObject parent() {
        return parent;
    }

    public final boolean isSlice() {
        return (childOptions & VmoConstants.CHILD_SLICE) != 0;
    }

    /** @return whether this VMO is a snapshot or at-least-on-write child */
    public final boolean isCowChild() {
        return (childOptions & (VmoConstants.CHILD_SNAPSHOT | VmoConstants.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE)) != 0;
    }

    /** @return the VMO whose pages this one shows: itself, or the VMO its slices window */
    public final VmObject base() {
        VmObject base = this;
        while (base.isSlice()) {
            base = base.parent;
        }
        return base;
    }

    /** @return the {@code VmoConstants.CHILD_*} options this VMO was created with; 0 for a root VMO */
    public final int childOptions() {
        return childOptions;
    }

    /** @return the offset of this VMO in its root, the sum of its and its ancestors' child offsets */
    public final long chainOffset() {
        return chainOffset;
    }

    /** @return how many live copy-on-write children this VMO (or a slice of it) has */
    public final int cowChildCount() {
        return cowChildren;
    }

    /** @return whether this VMO has or is a copy-on-write child */
    final boolean inCowTree() {
        return isCowChild() || cowChildren > 0;
    }

    /** @return mappings of slices that window this VMO's pages (they map this VMO's store directly) */
    public final int sliceMappingCount() {
        return sliceMappings;
    }

    public final int childCount() {
        return children;
    }

    /** Whether this VMO's pages (through slices) come from a user pager. */
    public final boolean pagerBacked() {
        return base().store() instanceof PagerBacked;
    }

    private void childCreated() {
        if ((int) CHILDREN.getAndAdd(this, 1) == 0) {
            updateSignals(Signals.VMO_ZERO_CHILDREN, 0);
        }
    }

    private void childDestroyed() {
        if ((int) CHILDREN.getAndAdd(this, -1) == 1) {
            updateSignals(0, Signals.VMO_ZERO_CHILDREN);
        }
    }

    // ---- the store and its lock ----

    public final PageStore store() {
        return guarded.store();
    }

    /** Runs {@code op} on the store under the shared lock: how a slice reaches its parent's pages. */
    public final <R> R withStore(Function<PageStore, R> op) {
        return guarded.withStore(op, false);
    }

    /** As {@link #withStore(Function)}; see {@link GuardedStore#withStore}. */
    @Override
    public final <R> R withStore(Function<PageStore, R> op, boolean mayFault) {
        return guarded.withStore(op, mayFault);
    }

    /**
     * Runs {@code op} on the store under the exclusive lock; a non-null {@code replacement()} of its
     * result becomes the store. How a copy-on-write child is cut from this VMO, or its file exported,
     * with no write or mapping slipping in between.
     */
    public final <R extends StoreSwap> R withStoreExclusive(Function<PageStore, R> op) {
        return guarded.withStoreExclusive(op);
    }

    /** What {@link #withStoreExclusive} may return: a store to put in place of the current one. */
    public interface StoreSwap {
        PageStore replacement();
    }

    /**
     * @return the VMO whose file holds this one's pages (itself, or the VMO a slice windows) when that
     *         file may be shared with another process; null otherwise. Another process holding RESIZE
     *         may shrink a shared file under a copy, or change its size.
     */
    public final VmObject sharedBase() {
        VmObject base = base();
        return base.store() instanceof MemfdStore m && m.isShared() ? base : null;
    }

    /** For a slice of this VMO: whether a copy may fault because another process may shrink the file. */
    @Override
    public final boolean fileMayBeShared() {
        return sharedBase() != null;
    }

    final long shared() {
        return guarded.shared();
    }

    final void unlockShared(long stamp) {
        guarded.unlockShared(stamp);
    }

    final long exclusive() {
        return guarded.exclusive();
    }

    final long exclusiveIfAlive() {
        return guarded.exclusiveIfAlive();
    }

    final void unlockExclusive(long stamp) {
        guarded.unlockExclusive(stamp);
    }

    final void checkRange(String op, long offset, long length, long size) {
        if (!Ranges.inside(offset, length, size)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "offset " + Ranges.hex(offset) + " + length "
                    + Ranges.hex(length) + " is past the VMO's size " + Ranges.hex(size));
        }
    }

    // ---- properties ----

    public final int options() {
        return options;
    }

    public final boolean resizable() {
        return (options & VmoConstants.RESIZABLE) != 0;
    }

    /** @return whether unlocked content may be discarded; only a paged VMO can be */
    public boolean isDiscardable() {
        return false;
    }

    public final long size() {
        return size;
    }

    /** The size for callers outside a lock: for a shared resizable VMO, what the file says now. */
    public final long currentSize() {
        syncSize();
        return size;
    }

    /** Brings {@link #size} up to date before a call reads it; only a paged VMO's can change elsewhere. */
    void syncSize() {
    }

    /** {@code zx_vmo_set_size} after the handle's rights checks: UNAVAILABLE unless resizable. */
    public void setSize(long requested) {
        throw Ranges.fail(Status.ERR_UNAVAILABLE, "vmo.set_size(" + Ranges.hex(requested) + ")",
                "the VMO was not created RESIZABLE");
    }

    public final long contentSize() {
        return contentSize;
    }

    public final void setContentSize(long contentSize) {
        this.contentSize = contentSize;
    }

    public final String name() {
        return name;
    }

    public final void setName(String name) {
        this.name = truncate(name);
    }

    /** At most {@code VmoConstants.MAX_NAME_BYTES} bytes of UTF-8, without cutting a character in half. */
    private static String truncate(String name) {
        // A char takes at most 3 bytes of UTF-8 (a surrogate pair 4 for 2 chars): a short name fits
        // without encoding it, and every create names its VMO ("" or its parent's name).
        if (name.length() * 3 <= VmoConstants.MAX_NAME_BYTES) {
            return name;
        }
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length <= VmoConstants.MAX_NAME_BYTES) {
            return name;
        }
        int n = VmoConstants.MAX_NAME_BYTES;
        while (n > 0 && (b[n] & 0xC0) == 0x80) {
            n--;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    public final int cachePolicy() {
        return cachePolicy;
    }

    /** Sets the cache policy (the handle checked MAP and the value); BAD_STATE while mapped or in a copy-on-write tree. */
    public final void setCachePolicy(int policy) {
        boolean inCowTree = inCowTree();
        long stamp = exclusive();
        try {
            if (mappingCount() != 0) {
                throw Ranges.fail(Status.ERR_BAD_STATE, "vmo.set_cache_policy(" + policy + ")", "the VMO is mapped");
            }
            if (inCowTree) {
                throw Ranges.fail(Status.ERR_BAD_STATE, "vmo.set_cache_policy(" + policy + ")",
                        "the VMO has or is a copy-on-write child");
            }
            cachePolicy = policy;
        } finally {
            unlockExclusive(stamp);
        }
    }

    // ---- bytes ----

    /**
     * Reads into {@code dst}. A fault while copying (the destination is a mapping past the end of its
     * file, or a peer process truncated this VMO's shared file) is OUT_OF_RANGE.
     */
    public abstract void read(long offset, MemorySegment dst, long dstOffset, long length);

    /** Writes from {@code src}; a fault while copying is OUT_OF_RANGE, as for {@link #read}. */
    public abstract void write(long offset, MemorySegment src, long srcOffset, long length);

    /**
     * {@code zx_vmo_op_range} after the handle's rights checks (which also refused an unknown op): the
     * checks of each op, in Zircon's order, then the op.
     *
     * @param buffer for LOCK and TRY_LOCK, where the lock state goes; may be null or NULL
     * @return the lock state for LOCK and TRY_LOCK, otherwise null
     */
    public final LockState opRange(int op, String name, long offset, long length, MemorySegment buffer) {
        switch (op) {
            case VmoConstants.OP_COMMIT, VmoConstants.OP_DECOMMIT, VmoConstants.OP_ZERO -> pageOp(op, name, offset, length);
            case VmoConstants.OP_LOCK, VmoConstants.OP_TRY_LOCK, VmoConstants.OP_UNLOCK -> {
                return lockOp(op, name, offset, length, buffer);
            }
            case VmoConstants.OP_CACHE_SYNC, VmoConstants.OP_CACHE_CLEAN, VmoConstants.OP_CACHE_CLEAN_INVALIDATE, VmoConstants.OP_CACHE_INVALIDATE -> {
                if (length == 0) {
                    throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "cache operations need a non-empty range");
                }
                checkCacheOps(name);
                if (op == VmoConstants.OP_CACHE_INVALIDATE) {
                    throw Ranges.fail(Status.ERR_NOT_SUPPORTED, name, "CACHE_INVALIDATE is not supported");
                }
                checkOpRange(name, offset, length);
                // x86 and arm64 Linux keep user memory coherent for the CPU; what remains is ordering.
                java.lang.invoke.VarHandle.fullFence();
            }
            case VmoConstants.OP_DONT_NEED, VmoConstants.OP_ALWAYS_NEED, VmoConstants.OP_PREFETCH -> checkOpRange(name, offset, length);
            default -> throw new IllegalArgumentException("not an op: " + op);
        }
        return null;
    }

    /** COMMIT, DECOMMIT, ZERO. */
    abstract void pageOp(int op, String name, long offset, long length);

    /** LOCK, TRY_LOCK, UNLOCK: NOT_SUPPORTED unless the VMO is discardable. */
    LockState lockOp(int op, String name, long offset, long length, MemorySegment buffer) {
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, name, "the VMO is not DISCARDABLE");
    }

    /** NOT_SUPPORTED when this kind of VMO has no cache operations. */
    void checkCacheOps(String name) {
    }

    /** A range op that only checks the range (cache maintenance, hints). */
    final void checkOpRange(String name, long offset, long length) {
        syncSize();
        long stamp = shared();
        try {
            checkRange(name, offset, length, size);
        } finally {
            unlockShared(stamp);
        }
    }

    /** @return the bytes committed to this VMO's own pages; 0 where there are none to count */
    public abstract long committedBytes();

    // ---- mappings ----

    /**
     * The checks of {@code zx_vmar_map} that depend on the VMO, after the handle's: REQUIRE_NON_RESIZABLE
     * on a resizable VMO, and a discardable VMO mapped without ALLOW_FAULTS, are refused with
     * NOT_SUPPORTED. The handle throws, naming the call, so the call's name is built only then.
     *
     * @return null when the VMO may be mapped so, else why not (the refusal is NOT_SUPPORTED)
     */
    public final String mapRefusal(boolean requireNonResizable, boolean allowFaults) {
        if (requireNonResizable && resizable()) {
            return "REQUIRE_NON_RESIZABLE, but the VMO is resizable";
        }
        if (isDiscardable() && !allowFaults) {
            return "a discardable VMO must be mapped with ALLOW_FAULTS";
        }
        return null;
    }

    /**
     * Maps a window for a new mapping and lists it (what inspection shows); takes a reference that
     * {@link #unmapped} gives back. See {@link VmMapping#map}.
     */
    public final VmMapping map(long offset, long length, int prot, int perms) {
        syncSize();
        return VmMapping.map(this, offset, length, prot, perms);
    }

    /** Called by a mapping after it unmapped its window (or failed to): unlists it, gives back its reference. */
    public final void unmapped(VmMapping m) {
        synchronized (guarded) {
            if (Linked.contains(firstMapping, m)) {
                firstMapping = Linked.unlink(firstMapping, m);
                mappingCount--;
            }
        }
        slicesMapped(-1);
        release();
    }

    /** Lists a window just mapped (under the shared lock, so a cache-policy change cannot miss it). */
    final void mapped(VmMapping m) {
        synchronized (guarded) {
            firstMapping = Linked.push(firstMapping, m);
            mappingCount++;
        }
    }

    /** Counts a mapping of this slice on every VMO whose pages it shows. */
    final void slicesMapped(int delta) {
        for (VmObject o = this; o.isSlice(); o = o.parent) {
            SLICE_MAPPINGS.getAndAdd(o.parent, delta);
        }
    }

    public final int mappingCount() {
        synchronized (guarded) {
            return mappingCount;
        }
    }

    // ---- what it reports ----

    /** @return what kind of VMO this is, for people: paged, physical, pager, slice, snapshot or at-least-on-write */
    public abstract String kindName();

    /** The {@code VmoInfo} flags of this kind of VMO (TYPE_PAGED or CONTIGUOUS, DISCARDABLE). */
    abstract int kindFlags();

    /** {@code zx_object_get_info(ZX_INFO_VMO)} as seen through a handle with {@code handleRights}. */
    public final VmoInfo info(int handleRights) {
        int flags = VmoInfo.VIA_HANDLE | kindFlags() | (pagerBacked() ? VmoInfo.PAGER_BACKED : 0);
        if (isCowChild()) {
            flags |= VmoInfo.IS_COW_CLONE;
            if ((childOptions & (VmoConstants.CHILD_SNAPSHOT | VmoConstants.CHILD_NO_WRITE)) == (VmoConstants.CHILD_SNAPSHOT | VmoConstants.CHILD_NO_WRITE)) {
                flags |= VmoInfo.IMMUTABLE;
            }
        }
        if (resizable()) {
            flags |= VmoInfo.RESIZABLE;
        }
        int m = mappingCount();
        return new VmoInfo(koid(), name, size, parent == null ? 0 : parent.koid(), children, m, m > 0 ? 1 : 0,
                flags, committedBytes(), handleRights, cachePolicy);
    }

    /** What inspection shows of this VMO; BAD_HANDLE when it was destroyed meanwhile. */
    public final VmoSnapshot snapshot() {
        PagerStore ps = store() instanceof PagerStore p ? p : null;
        List<VmoSnapshot.Mapped> listed = new ArrayList<>();
        synchronized (guarded) {
            for (VmMapping m = firstMapping; m != null; m = m.next()) {
                listed.add(m.listing());
            }
        }
        listed.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return new VmoSnapshot(koid(), parent == null ? 0 : parent.koid(), name, kindName(), size, committedBytes(),
                info(0).flags() & ~VmoInfo.VIA_HANDLE, children, handleRights(), listed,
                ps == null ? 0 : ps.suppliedBytes(), ps == null ? 0 : ps.dirtyBytes());
    }

    // ---- the end ----

    @Override
    protected void destroy() {
        try {
            guarded.destroy();
        } finally {
            KoidTable.unregister(this);
            unpublished();
        }
        if (parent != null) {
            if (isCowChild()) {
                for (VmObject o = parent; o != null; o = o.isSlice() ? o.parent : null) {
                    COW_CHILDREN.getAndAdd(o, -1);
                }
            }
            parent.childDestroyed();
            parent.release();
        }
    }

    /** Undoes {@link #published}; also runs when that failed or never ran. */
    void unpublished() {
    }
}
