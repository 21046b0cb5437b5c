package io.zxmem.internal.object;

import io.zxmem.LockState;
import io.zxmem.Status;
import io.zxmem.VmoInfo;
import io.zxmem.ZxException;
import io.zxmem.internal.Copies;
import io.zxmem.internal.Faults;
import io.zxmem.internal.Os;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoConstants;
import io.zxmem.internal.store.MemfdStore;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.spi.ChildEngine;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.PagerBacked;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A VM object of this process's own memory, Zircon's {@code VmObjectPaged}: anonymous VMOs (a memfd
 * store), their slices and copy-on-write children, VMOs received from another process, and
 * pager-backed VMOs. Its bytes can be read, written, committed and decommitted; it may be resizable
 * or discardable.
 */
public final class VmObjectPaged extends VmObject {
    private final Discardable discardable;

    private VmObjectPaged(PageStore store, int options, long size, long contentSize, int cachePolicy, String name,
            VmObject parent, int childOptions, long chainOffset) {
        super(store, options, size, contentSize, cachePolicy, name, parent, childOptions, chainOffset);
        this.discardable = (options & VmoConstants.DISCARDABLE) != 0 ? new Discardable() : null;
    }

    private static final int CREATE_OPTIONS = VmoConstants.RESIZABLE | VmoConstants.DISCARDABLE | VmoConstants.UNBOUNDED;

    /**
     * {@code zx_vmo_create}: an anonymous VMO over a new memfd store, checked in Zircon's order
     * (VmObjectDispatcher::parse_create_syscall_flags): the size is rounded first, with or without
     * UNBOUNDED (then it is the content size, which cannot exceed the VMO), and only then are the
     * option bits looked at. The store is closed if making the object fails.
     */
    public static VmObjectPaged create(long size, int options) {
        long page = Pages.size();
        if (Ranges.roundUpOverflows(size, page) || Ranges.above(Ranges.ceil(size, page), VmoConstants.MAX_SIZE)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, createOp(size, options), "size is larger than MAX_SIZE "
                    + Ranges.hex(VmoConstants.MAX_SIZE));
        }
        if ((options & VmoConstants.RESIZABLE) != 0 && (options & VmoConstants.UNBOUNDED) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, createOp(size, options), "RESIZABLE and UNBOUNDED exclude each other");
        }
        if ((options & ~CREATE_OPTIONS) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, createOp(size, options), "unknown option bits "
                    + Ranges.hex(options & ~CREATE_OPTIONS));
        }
        long rounded = (options & VmoConstants.UNBOUNDED) != 0 ? VmoConstants.MAX_SIZE : Ranges.ceil(size, page);
        MemfdStore store;
        try {
            store = new MemfdStore("zxmem-vmo", rounded, page);
        } catch (LinuxException e) {
            throw Os.fail(createOp(size, options), e);
        }
        return adopt(store, options, rounded, size, "");
    }

    /** The operation as error messages name it; built only when something failed. */
    private static String createOp(long size, int options) {
        return "vmo.create(size=" + Ranges.hex(size) + ", options=" + Ranges.hex(options) + ")";
    }

    /**
     * A root VMO over a store made elsewhere (a pager's, or a file received from another process);
     * takes the store, closing it if making the object fails.
     */
    public static VmObjectPaged adopt(PageStore store, int options, long size, long contentSize, String name) {
        return VmObjectFactory.make(VmObjectPaged::new, store, options, size, contentSize, VmoConstants.CACHE_CACHED, name,
                null, 0, 0);
    }

    @Override
    VmObject constructChild(PageStore store, int options, long size, long contentSize, int cachePolicy, String name,
            int childOptions, long chainOffset) {
        return new VmObjectPaged(store, options, size, contentSize, cachePolicy, name, this, childOptions, chainOffset);
    }

    @Override
    void published() {
        if (discardable != null) {
            Purger.get().track(this);
        }
    }

    @Override
    void unpublished() {
        if (discardable != null) {
            Purger.get().untrack(this);
        }
    }

    // ---- children ----

    @Override
    VmObject createSnapshot(String op, int options, long offset, long rounded, long size) {
        if ((options & VmoConstants.CHILD_SNAPSHOT) != 0 && pagerBacked()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a pager-backed VMO cannot be SNAPSHOT (its pages are"
                    + " the pager's; use CHILD_SNAPSHOT_AT_LEAST_ON_WRITE)");
        }
        if (cachePolicy() != VmoConstants.CACHE_CACHED) {
            throw Ranges.fail(Status.ERR_BAD_STATE, op, "a VMO whose cache policy is not CACHED cannot be snapshotted");
        }
        VmObjectFactory.checkChainOffset(this, op, offset, rounded);
        return VmObjectFactory.newChild(this, cutCopyOnWrite(op, offset, rounded), options, offset, rounded, size);
    }

    /** Resolves slices to the VMO whose pages they window, then lets the engine cut the child under its lock. */
    private PageStore cutCopyOnWrite(String op, long offset, long size) {
        ChildEngine engine = ChildEngine.find();
        if (engine == null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "copy-on-write children need the io.zxmem.cow module");
        }
        VmObject base = this;
        long off = offset;
        long limit = -1; // -1: the base's own size, read under its lock
        while (base.isSlice()) {
            long sliceOffset = base.chainOffset() - base.parent().chainOffset();
            long visible = limit == -1 ? base.size() : limit;
            limit = sliceOffset + visible;
            off += sliceOffset;
            base = base.parent();
        }
        long start = off;
        long end = limit;
        VmObject from = base;
        try {
            // Under the exclusive lock: no library write, resize, export or new mapping of the parent
            // (or of a slice of it) can interleave with the cut.
            return from.withStoreExclusive(s -> {
                long visible = end == -1 ? from.size() : end;
                return new Cut(engine.cut(s, start, visible, size, "zxmem-child"));
            }).child;
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        }
    }

    private record Cut(PageStore child) implements StoreSwap {
        @Override
        public PageStore replacement() {
            return null;
        }
    }

    // ---- bytes ----

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        copy("vmo.read", false, offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        copy("vmo.write", true, offset, src, srcOffset, length);
    }

    /**
     * A copy under the shared lock. A fault while copying (the caller's segment is a mapping past the
     * end of its file, or a peer process truncated this VMO's shared file) is OUT_OF_RANGE; see {@link Faults}.
     */
    private void copy(String op, boolean write, long offset, MemorySegment user, long userOffset, long length) {
        syncSize();
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
            if (cachePolicy() != VmoConstants.CACHE_CACHED) {
                throw Ranges.fail(Status.ERR_BAD_STATE, op, "the VMO's cache policy is not CACHED");
            }
            InternalError fault = null;
            try {
                if (write) {
                    store().write(offset, user, userOffset, length);
                } else {
                    store().read(offset, user, userOffset, length);
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
            if (e.errno() == Errno.EFAULT) {
                // pread/pwrite met the same fault in the kernel: the same answer as a faulting copy.
                throw new ZxException(Status.ERR_OUT_OF_RANGE, op + "(offset=" + Ranges.hex(offset) + "): the "
                        + (write ? "source" : "destination") + " segment reaches past the end of a mapped file", e);
            }
            throw Os.fail(op + "(offset=" + Ranges.hex(offset) + ")", e);
        } finally {
            unlockShared(stamp);
        }
    }

    // ---- size ----

    /**
     * The size of a resizable VMO whose file is shared with another process lives in the file: a
     * peer holding RESIZE may change it. Takes it from the file ({@code fstat}) when it changed, so
     * every holder sees one size and a range a peer cut off fails as after a local shrink.
     */
    @Override
    void syncSize() {
        if (!resizable() || !(store() instanceof MemfdStore m) || !m.isShared()) {
            return;
        }
        if (fileSize(m) == size) {
            return;
        }
        long stamp = exclusive();
        try {
            if (store() == m) {
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
            unlockExclusive(stamp);
        }
    }

    /** The memfd's size rounded up to pages (a peer's raw ftruncate need not be page-aligned). */
    private long fileSize(MemfdStore m) {
        long bytes = m.fileSize();
        return Ranges.roundUpOverflows(bytes, page) ? bytes : Ranges.ceil(bytes, page);
    }

    /** Resizes in Zircon's order: UNAVAILABLE, OUT_OF_RANGE, then INVALID_ARGS for a child's offset overflow. */
    @Override
    public void setSize(long requested) {
        if (!resizable()) {
            super.setSize(requested);
        }
        if (Ranges.roundUpOverflows(requested, page) || Ranges.above(Ranges.ceil(requested, page), VmoConstants.MAX_SIZE)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, "vmo.set_size(" + Ranges.hex(requested) + ")",
                    "larger than MAX_SIZE " + Ranges.hex(VmoConstants.MAX_SIZE));
        }
        long rounded = Ranges.ceil(requested, page);
        if (Ranges.overflows(chainOffset(), rounded)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.set_size(" + Ranges.hex(requested) + ")",
                    "the child's offset in its root " + Ranges.hex(chainOffset()) + " + the size overflows");
        }
        syncSize();
        long stamp = exclusive();
        try {
            if (rounded != size) {
                store().resize(rounded);
            }
            // Zircon zeroes the tail of the last page, so shrinking to an unaligned size then growing
            // never shows the old bytes.
            if (rounded != requested) {
                store().zero(requested, rounded - requested);
            }
            size = rounded;
            contentSize = requested;
        } catch (LinuxException e) {
            throw Os.fail("vmo.set_size(" + Ranges.hex(requested) + ")", e);
        } finally {
            unlockExclusive(stamp);
        }
    }

    // ---- range ops ----

    /** COMMIT, DECOMMIT, ZERO; DECOMMIT first checks its alignment and refuses copy-on-write trees. */
    @Override
    void pageOp(int op, String name, long offset, long length) {
        if (op == VmoConstants.OP_DECOMMIT) {
            if (!Ranges.aligned(offset, page) || !Ranges.aligned(length, page)) {
                throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "DECOMMIT needs a page-aligned range");
            }
            if (base().inCowTree()) {
                throw Ranges.fail(Status.ERR_NOT_SUPPORTED, name,
                        "DECOMMIT is not supported on a copy-on-write child or a VMO that has one");
            }
        }
        syncSize();
        long stamp = shared();
        try {
            checkRange(name, offset, length, size);
            switch (op) {
                case VmoConstants.OP_COMMIT -> {
                    long start = Ranges.floor(offset, page);
                    long end = Ranges.ceil(offset + length, page);
                    store().commit(start, end - start);
                }
                case VmoConstants.OP_DECOMMIT -> store().decommit(offset, length);
                case VmoConstants.OP_ZERO -> store().zero(offset, length);
                default -> throw new IllegalArgumentException("not a page op: " + op);
            }
        } catch (LinuxException e) {
            throw Os.fail(name, e);
        } finally {
            unlockShared(stamp);
        }
    }

    @Override
    public boolean isDiscardable() {
        return discardable != null;
    }

    /**
     * LOCK, TRY_LOCK, UNLOCK in Zircon's order: NOT_SUPPORTED, then OUT_OF_RANGE (the range must be
     * exactly [0, size)), then the buffer (INVALID_ARGS), all before the lock state changes. Zircon
     * locks, then copies the state out and undoes the lock if that fails; here the buffer is checked
     * before the lock is taken, and the lock is undone only if its arena closes meanwhile.
     */
    @Override
    LockState lockOp(int op, String name, long offset, long length, MemorySegment buffer) {
        if (discardable == null) {
            return super.lockOp(op, name, offset, length, buffer);
        }
        boolean none = buffer == null || buffer.equals(MemorySegment.NULL);
        LockState result = null;
        boolean nowUnlocked = false;
        long stamp = shared();
        try {
            if (offset != 0 || length != size) {
                throw Ranges.fail(Status.ERR_OUT_OF_RANGE, name, "lock ops cover the whole VMO [0, "
                        + Ranges.hex(size) + "), not offset " + Ranges.hex(offset) + " length " + Ranges.hex(length));
            }
            if (op != VmoConstants.OP_UNLOCK) {
                if (none ? op == VmoConstants.OP_LOCK : buffer.byteSize() < LockState.BYTES || buffer.isReadOnly()) {
                    throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "needs a writable buffer of at least "
                            + LockState.BYTES + " bytes for the lock state");
                }
                if (!none) {
                    Copies.checkUsable(name, "buffer", buffer);
                }
            }
            switch (op) {
                case VmoConstants.OP_LOCK -> result = discardable.lock(size);
                case VmoConstants.OP_TRY_LOCK -> result = discardable.tryLock(size);
                case VmoConstants.OP_UNLOCK -> nowUnlocked = discardable.unlock();
                default -> throw new IllegalArgumentException("not a lock op: " + op);
            }
        } finally {
            unlockShared(stamp);
        }
        // The purger takes this VMO's exclusive lock, so it is told only after the shared one is gone.
        if (result != null) {
            Purger.get().locked(this);
        } else if (nowUnlocked) {
            Purger.get().unlocked(this);
        }
        if (result != null && !none) {
            try {
                buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, result.offset());
                buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, result.size());
                buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, result.discardedOffset());
                buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, 24, result.discardedSize());
            } catch (IllegalStateException | WrongThreadException e) {
                // The buffer's arena was closed meanwhile: undo the lock, as Zircon does.
                lockOp(VmoConstants.OP_UNLOCK, name, offset, length, MemorySegment.NULL);
                throw new ZxException(Status.ERR_INVALID_ARGS, name + ": the buffer's arena was closed", e);
            }
        }
        return result;
    }

    /** Discards the content if the VMO is unlocked. @return whether it did */
    boolean discardIfUnlocked() {
        long stamp = exclusiveIfAlive();
        if (stamp == 0) {
            return false;
        }
        try {
            if (!discardable.markDiscarded()) {
                return false;
            }
            store().discard();
            return true;
        } finally {
            unlockExclusive(stamp);
        }
    }

    boolean unlockedAndKept() {
        return discardable != null && discardable.unlockedAndKept();
    }

    // ---- what it reports ----

    @Override
    public long committedBytes() {
        long stamp = shared();
        try {
            return store().committedBytes();
        } catch (LinuxException e) {
            throw Os.fail("vmo.info", e);
        } finally {
            unlockShared(stamp);
        }
    }

    @Override
    public String kindName() {
        if (isSlice()) {
            return "slice";
        }
        if (store() instanceof PagerBacked) {
            return "pager";
        }
        if (isCowChild()) {
            return (childOptions() & VmoConstants.CHILD_SNAPSHOT) != 0 ? "snapshot" : "at-least-on-write";
        }
        return "paged";
    }

    @Override
    int kindFlags() {
        return VmoInfo.TYPE_PAGED | (discardable != null ? VmoInfo.DISCARDABLE : 0);
    }
}
