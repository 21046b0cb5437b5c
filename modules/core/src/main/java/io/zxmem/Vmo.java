package io.zxmem;

import io.zxmem.internal.Copies;
import io.zxmem.internal.Faults;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoConstants;
import io.zxmem.internal.object.KernelObject;
import io.zxmem.internal.object.VmObject;
import io.zxmem.internal.object.VmObjectPaged;
import io.zxmem.internal.object.VmObjectPhysical;
import java.lang.foreign.MemorySegment;

/**
 * A handle to a virtual memory object ({@code zx_vmo_*}): a container of zero to {@link #size()}
 * bytes of memory, readable and writable through the handle and mappable into the address space.
 *
 * <p>Anonymous VMOs are backed by Linux memfd files: memory is committed only where written, every
 * mapping and {@code read}/{@code write} see the same bytes, and a VMO can be almost 2^64 bytes large.
 * Sizes and offsets are unsigned 64-bit values carried in {@code long}s.
 */
public final class Vmo extends Handle {
    /** Option of {@link #create(long, int)}: the VMO may change size (handles get {@link Rights#RESIZE}). */
    public static final int RESIZABLE = VmoConstants.RESIZABLE;
    /** Option: unlocked content may be discarded under memory pressure; see {@link #lock()}. */
    public static final int DISCARDABLE = VmoConstants.DISCARDABLE;
    /** Option: the VMO has the largest possible size; the size argument sets the content size only. */
    public static final int UNBOUNDED = VmoConstants.UNBOUNDED;

    /** Child kind: a snapshot, a copy as of now in both directions (made lazily, copy-on-write). */
    public static final int CHILD_SNAPSHOT = VmoConstants.CHILD_SNAPSHOT;
    /** Child option: the child may change size. */
    public static final int CHILD_RESIZABLE = VmoConstants.CHILD_RESIZABLE;
    /** Child kind: a window onto a range of this VMO; writes go through to it. */
    public static final int CHILD_SLICE = VmoConstants.CHILD_SLICE;
    /** Child kind: the child's writes stay private and the pages it wrote stay stable; other pages may show later writes of the parent. */
    public static final int CHILD_SNAPSHOT_AT_LEAST_ON_WRITE = VmoConstants.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE;
    /** The former name of {@link #CHILD_SNAPSHOT_AT_LEAST_ON_WRITE}. */
    public static final int CHILD_COPY_ON_WRITE = CHILD_SNAPSHOT_AT_LEAST_ON_WRITE;
    /** Child option: the child's handle has no {@link Rights#WRITE}. */
    public static final int CHILD_NO_WRITE = VmoConstants.CHILD_NO_WRITE;

    /** {@link #opRange}: allocate the pages of the range. */
    public static final int OP_COMMIT = VmoConstants.OP_COMMIT;
    /** {@link #opRange}: release the pages of the range (they read zero). */
    public static final int OP_DECOMMIT = VmoConstants.OP_DECOMMIT;
    /** {@link #opRange}: lock a discardable VMO against discarding; see {@link #lock()}. */
    public static final int OP_LOCK = VmoConstants.OP_LOCK;
    /** {@link #opRange}: unlock a discardable VMO; see {@link #unlock()}. */
    public static final int OP_UNLOCK = VmoConstants.OP_UNLOCK;
    /** {@link #opRange}: make the range coherent for instruction fetch. */
    public static final int OP_CACHE_SYNC = VmoConstants.OP_CACHE_SYNC;
    /** {@link #opRange}: invalidate the data cache for the range. */
    public static final int OP_CACHE_INVALIDATE = VmoConstants.OP_CACHE_INVALIDATE;
    /** {@link #opRange}: write the data cache back for the range. */
    public static final int OP_CACHE_CLEAN = VmoConstants.OP_CACHE_CLEAN;
    /** {@link #opRange}: write back, then invalidate, the data cache for the range. */
    public static final int OP_CACHE_CLEAN_INVALIDATE = VmoConstants.OP_CACHE_CLEAN_INVALIDATE;
    /** {@link #opRange}: zero the range (byte-granular). */
    public static final int OP_ZERO = VmoConstants.OP_ZERO;
    /** {@link #opRange}: lock a discardable VMO only if nothing was discarded. */
    public static final int OP_TRY_LOCK = VmoConstants.OP_TRY_LOCK;
    /** {@link #opRange}: a hint that the range will not be needed soon. */
    public static final int OP_DONT_NEED = VmoConstants.OP_DONT_NEED;
    /** {@link #opRange}: a hint that the range should stay resident. */
    public static final int OP_ALWAYS_NEED = VmoConstants.OP_ALWAYS_NEED;
    /** {@link #opRange}: a hint to bring the range in now. */
    public static final int OP_PREFETCH = VmoConstants.OP_PREFETCH;

    /** Cache policy: cached (the default). */
    public static final int CACHE_CACHED = VmoConstants.CACHE_CACHED;
    /** Cache policy: uncached. */
    public static final int CACHE_UNCACHED = VmoConstants.CACHE_UNCACHED;
    /** Cache policy: uncached device memory. */
    public static final int CACHE_UNCACHED_DEVICE = VmoConstants.CACHE_UNCACHED_DEVICE;
    /** Cache policy: write-combining. */
    public static final int CACHE_WRITE_COMBINING = VmoConstants.CACHE_WRITE_COMBINING;

    /** The largest size of a VMO. */
    public static final long MAX_SIZE = VmoConstants.MAX_SIZE;
    /** How many bytes of a name are kept. */
    public static final int MAX_NAME_BYTES = VmoConstants.MAX_NAME_BYTES;

    static {
        if (Boolean.getBoolean("zxmem.inspect")) {
            Zx.enableInspection();
        }
    }

    private final VmObject vmo;

    Vmo(VmObject vmo, int rights) {
        super(vmo, rights);
        this.vmo = vmo;
    }

    @Override
    Handle newHandle(KernelObject object, int rights) {
        return new Vmo((VmObject) object, rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Vmo} handle
     */
    @Override
    public Vmo duplicate(int rights) {
        return (Vmo) super.duplicate(rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Vmo} handle
     */
    @Override
    public Vmo replace(int rights) {
        return (Vmo) super.replace(rights);
    }

    /**
     * The first handle to a new object, taking over the reference its maker holds; when making the
     * handle fails the object is released, so its store is closed rather than leaked.
     */
    static Vmo own(VmObject object, int rights) {
        try {
            return new Vmo(object, rights);
        } catch (RuntimeException | Error e) {
            object.release();
            throw e;
        }
    }

    /** The object behind this handle; for zxmem's own modules. */
    VmObject object() {
        return vmo;
    }

    /**
     * Creates an anonymous VMO of {@code size} bytes, rounded up to the page size; its content size is
     * {@code size} itself. Options: {@link #RESIZABLE}, {@link #DISCARDABLE}, {@link #UNBOUNDED}.
     *
     * @param size    the size in bytes (the content size); rounded up to pages
     * @param options {@code 0} or {@link #RESIZABLE}, {@link #DISCARDABLE}, {@link #UNBOUNDED}
     * @return a handle to the new VMO, with {@link Rights#DEFAULT_VMO} (plus RESIZE when resizable)
     * @throws ZxException in this order: OUT_OF_RANGE when the rounded size exceeds {@link #MAX_SIZE}
     *                     (with UNBOUNDED too: the content size cannot exceed the VMO); INVALID_ARGS for
     *                     RESIZABLE|UNBOUNDED, then for unknown option bits; NO_MEMORY or NO_RESOURCES
     *                     when the system has no memfd to give
     */
    public static Vmo create(long size, int options) {
        return own(VmObjectPaged.create(size, options), Rights.DEFAULT_VMO | ((options & RESIZABLE) != 0 ? Rights.RESIZE : 0));
    }

    /**
     * {@code create(size, 0)}.
     *
     * @param size the size in bytes; rounded up to pages
     * @return a handle to the new VMO
     * @throws ZxException OUT_OF_RANGE when the rounded size exceeds {@link #MAX_SIZE}
     */
    public static Vmo create(long size) {
        return create(size, 0);
    }

    /**
     * Creates a VMO for the physical memory {@code [paddr, paddr+size)} granted by {@code resource}
     * ({@code zx_vmo_create_physical}). Mapping it maps that memory itself (device registers, shared
     * memory); it cannot be read or written through the handle, is not resizable, starts with cache
     * policy {@link #CACHE_UNCACHED} and allows only {@link #CHILD_SLICE} children. Rights:
     * {@link Rights#DEFAULT_VMO} and {@link Rights#EXECUTE}.
     *
     * @param resource a {@link Resource} handle covering the range
     * @param paddr    the page-aligned physical address
     * @param size     the length in bytes, page-aligned
     * @return a handle to the physical VMO
     * @throws ZxException in this order: INVALID_ARGS when {@code paddr + size} overflows; BAD_HANDLE
     *                     for a null or closed handle; WRONG_TYPE when it is not a {@link Resource};
     *                     ACCESS_DENIED when the range is not inside the resource; INVALID_ARGS when
     *                     {@code paddr} or {@code size} is not page-aligned or {@code size} is 0
     */
    public static Vmo createPhysical(Handle resource, long paddr, long size) {
        String op = "vmo.create_physical(paddr=" + Ranges.hex(paddr) + ", size=" + Ranges.hex(size) + ")";
        if (Ranges.overflows(paddr, size)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "paddr + size overflows");
        }
        if (resource == null) {
            throw Ranges.fail(Status.ERR_BAD_HANDLE, op, "resource is null");
        }
        resource.checkValid(op);
        if (!(resource instanceof Resource r)) {
            throw Ranges.fail(Status.ERR_WRONG_TYPE, op, "the handle is a " + resource.getClass().getSimpleName()
                    + ", not a Resource");
        }
        return own(VmObjectPhysical.create(op, r.object(), paddr, size), Rights.DEFAULT_VMO | Rights.EXECUTE);
    }

    /**
     * {@code zx_vmo_create_child}: a new VMO of {@code size} bytes (rounded up to the page size) whose
     * content comes from {@code [offset, offset+size)} of this one. {@code options} holds exactly one of
     * {@link #CHILD_SLICE} (a window onto this VMO's own pages: writes go through both ways),
     * {@link #CHILD_SNAPSHOT} (a copy as of now, in both directions, made lazily) and
     * {@link #CHILD_SNAPSHOT_AT_LEAST_ON_WRITE} (the child's writes are private and pages it wrote are
     * stable; other pages may show this VMO's later writes), plus {@link #CHILD_RESIZABLE} and
     * {@link #CHILD_NO_WRITE}. The child's content size is {@code size}; it inherits the name.
     *
     * <p>Rights of the child: this handle's minus RESIZE, plus GET_PROPERTY and SET_PROPERTY, plus
     * RESIZE with CHILD_RESIZABLE; CHILD_NO_WRITE removes WRITE, otherwise the snapshot kinds add WRITE
     * and remove EXECUTE. This VMO's {@link Signals#VMO_ZERO_CHILDREN} stays cleared until the child is
     * gone (closed and unmapped).
     *
     * @param options one kind ({@link #CHILD_SNAPSHOT}, {@link #CHILD_SNAPSHOT_AT_LEAST_ON_WRITE}, {@link #CHILD_SLICE}), plus {@link #CHILD_RESIZABLE} or {@link #CHILD_NO_WRITE}
     * @param offset  where in this VMO the child starts (page-aligned)
     * @param size    the child's size in bytes
     * @return a handle to the child
     * @throws ZxException checked in this order: OUT_OF_RANGE when the rounded size exceeds
     *     {@link #MAX_SIZE} or, for the snapshot kinds, {@code offset+size} overflows (a slice whose
     *     end wraps past 2^64 is not inside this VMO: INVALID_ARGS below); INVALID_ARGS for NO_WRITE|RESIZABLE;
     *     ACCESS_DENIED without DUPLICATE and READ; INVALID_ARGS for unknown options, not exactly one
     *     kind, or a slice with RESIZABLE; NOT_SUPPORTED for a discardable VMO; slices: INVALID_ARGS for
     *     an unaligned offset or a range not inside this VMO, NOT_SUPPORTED for a resizable VMO;
     *     snapshots: INVALID_ARGS for an unaligned offset, NOT_SUPPORTED for a physical VMO, BAD_STATE
     *     when the cache policy is not CACHED; INVALID_ARGS when the offset added to the ancestors'
     *     offsets overflows; BAD_HANDLE when the handle is closed, also by another thread during the call
     *     (then no child exists)
     */
    public Vmo createChild(int options, long offset, long size) {
        String op = "vmo.create_child(options=" + Ranges.hex(options) + ", offset=" + Ranges.hex(offset)
                + ", size=" + Ranges.hex(size) + ")";
        long page = Pages.size();
        if (Ranges.roundUpOverflows(size, page) || Ranges.above(Ranges.ceil(size, page), MAX_SIZE)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "size is larger than MAX_SIZE " + Ranges.hex(MAX_SIZE));
        }
        long rounded = Ranges.ceil(size, page);
        // A slice whose end wraps past 2^64 is simply not inside its parent: INVALID_ARGS, below.
        if ((options & CHILD_SLICE) == 0 && Ranges.overflows(offset, rounded)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "offset + size overflows 64 bits");
        }
        if ((options & CHILD_NO_WRITE) != 0 && (options & CHILD_RESIZABLE) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "CHILD_NO_WRITE and CHILD_RESIZABLE exclude each other");
        }
        require(op, Rights.DUPLICATE | Rights.READ);
        // Computed from this handle's own rights now: rights() fails once another thread closed the
        // handle, and by then the child would exist with nobody to release it.
        int rights = (rightsOf() & ~Rights.RESIZE) | Rights.GET_PROPERTY | Rights.SET_PROPERTY
                | ((options & CHILD_RESIZABLE) != 0 ? Rights.RESIZE : 0);
        if ((options & CHILD_NO_WRITE) != 0) {
            rights &= ~Rights.WRITE;
        } else if ((options & CHILD_SLICE) == 0) {
            rights = (rights | Rights.WRITE) & ~Rights.EXECUTE;
        }
        // A reference for the duration of the call: a close of this handle racing the call cannot
        // destroy the parent under it; either the call fails with BAD_HANDLE before anything exists,
        // or the child it makes is owned by the handle it returns.
        acquire(op);
        try {
            return own(vmo.createChild(op, options, offset, size), rights);
        } finally {
            vmo.release();
        }
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} into {@code dst}. Needs {@link Rights#READ}.
     *
     * @param dst    where the bytes go
     * @param offset where in the VMO they are read
     * @throws ZxException BAD_HANDLE when closed; ACCESS_DENIED without READ; INVALID_ARGS for a null
     *                     or read-only destination, or one whose arena is closed or confined to another
     *                     thread; NOT_SUPPORTED for a physical VMO; OUT_OF_RANGE when the range is past
     *                     {@link #size()}, or when the copy faults: {@code dst} is a mapping past the end
     *                     of its VMO (one that shrank), or another process shrank this VMO's file;
     *                     BAD_STATE when the cache policy is not CACHED
     */
    public void read(MemorySegment dst, long offset) {
        require("vmo.read", Rights.READ);
        if (dst == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.read", "destination is null");
        }
        if (dst.isReadOnly()) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.read", "destination segment is read-only");
        }
        Copies.checkUsable("vmo.read", "destination", dst);
        vmo.read(offset, dst, 0, dst.byteSize());
    }

    /**
     * Reads {@code dst.length} bytes at {@code offset}. Needs {@link Rights#READ}.
     *
     * @param dst    where the bytes go
     * @param offset where in the VMO they are read
     * @throws ZxException BAD_HANDLE when closed; ACCESS_DENIED without READ; INVALID_ARGS for null;
     *                     NOT_SUPPORTED for a physical VMO; OUT_OF_RANGE past {@link #size()};
     *                     BAD_STATE when the cache policy is not CACHED
     */
    public void read(byte[] dst, long offset) {
        require("vmo.read", Rights.READ);
        if (dst == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.read", "destination is null");
        }
        vmo.read(offset, MemorySegment.ofArray(dst), 0, dst.length);
    }

    /**
     * Writes all of {@code src} at {@code offset}. Needs {@link Rights#WRITE}.
     *
     * @param src    the bytes
     * @param offset where in the VMO they go
     * @throws ZxException BAD_HANDLE when closed; ACCESS_DENIED without WRITE; INVALID_ARGS for a null
     *                     source, or one whose arena is closed or confined to another thread;
     *                     NOT_SUPPORTED for a physical VMO; OUT_OF_RANGE when the range is past
     *                     {@link #size()}, or when the copy faults ({@code src} is a mapping past the end
     *                     of its VMO, or another process shrank this VMO's file); BAD_STATE when the
     *                     cache policy is not CACHED
     */
    public void write(MemorySegment src, long offset) {
        require("vmo.write", Rights.WRITE);
        if (src == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.write", "source is null");
        }
        Copies.checkUsable("vmo.write", "source", src);
        vmo.write(offset, src, 0, src.byteSize());
    }

    /**
     * Writes all of {@code src} at {@code offset}. Needs {@link Rights#WRITE}.
     *
     * @param src    the bytes
     * @param offset where in the VMO they go
     * @throws ZxException BAD_HANDLE when closed; ACCESS_DENIED without WRITE; INVALID_ARGS for null;
     *                     NOT_SUPPORTED for a physical VMO; OUT_OF_RANGE past {@link #size()};
     *                     BAD_STATE when the cache policy is not CACHED
     */
    public void write(byte[] src, long offset) {
        require("vmo.write", Rights.WRITE);
        if (src == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.write", "source is null");
        }
        vmo.write(offset, MemorySegment.ofArray(src), 0, src.length);
    }

    /**
     * {@return the size in bytes (a multiple of the page size)} For a resizable VMO shared with another
     * process, the size of its file now: every holder sees the same size.
     *
     * @throws ZxException BAD_HANDLE when the handle is closed
     */
    public long size() {
        checkValid("vmo.get_size");
        return vmo.currentSize();
    }

    /**
     * Changes the size to {@code size} rounded up to the page size, zeroing the rest of the last page,
     * and sets the content size to {@code size}. Mappings stay valid; touching a mapping beyond the new
     * size raises an {@link InternalError} in the touching thread instead of crashing the JVM, and a
     * range that grows back reads zero.
     *
     * <p>An {@link InternalError} still pending from an earlier touch of a mapping past the end (the
     * JVM reports it late, at some later call of the thread) is discarded first, never thrown from
     * inside this method; the JVM may throw it at the call itself, before the method begins, and the
     * size is then unchanged.
     *
     * @param size the new size in bytes
     * @throws ZxException BAD_HANDLE when closed; ACCESS_DENIED without WRITE (or RESIZE on a
     *                     resizable VMO); UNAVAILABLE when the VMO is not resizable; OUT_OF_RANGE past
     *                     {@link #MAX_SIZE}; INVALID_ARGS when a child's offset in its root plus the
     *                     size overflows; ACCESS_DENIED when the size is sealed (shared without RESIZE)
     */
    public void setSize(long size) {
        // Catches a pending late fault thrown at the entry of discardPending: one thrown at this
        // method's own entry skips this frame's handlers (see Faults).
        try {
            Faults.discardPending();
        } catch (InternalError e) {
            Faults.discard(e);
        }
        require("vmo.set_size", Rights.WRITE);
        if (vmo.resizable() && (rightsOf() & Rights.RESIZE) == 0) {
            throw Ranges.fail(Status.ERR_ACCESS_DENIED, "vmo.set_size", "the handle lacks RESIZE");
        }
        vmo.setSize(size);
    }

    /** {@return the content size (the stream size). Needs {@link Rights#GET_PROPERTY}.} */
    public long contentSize() {
        require("vmo.get_content_size", Rights.GET_PROPERTY);
        return vmo.contentSize();
    }

    /**
     * Sets the content size; it may exceed {@link #size()}. Needs WRITE and SET_PROPERTY.
     *
     * @param size the new content size in bytes
     */
    public void setContentSize(long size) {
        require("vmo.set_content_size", Rights.WRITE | Rights.SET_PROPERTY);
        vmo.setContentSize(size);
    }

    /** {@return the name. Needs {@link Rights#GET_PROPERTY}.} */
    public String name() {
        require("vmo.get_name", Rights.GET_PROPERTY);
        return vmo.name();
    }

    /**
     * Sets the name; at most {@link #MAX_NAME_BYTES} bytes of its UTF-8 form are kept. Needs SET_PROPERTY.
     *
     * @param name the new name
     */
    public void setName(String name) {
        require("vmo.set_name", Rights.SET_PROPERTY);
        if (name == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.set_name", "name is null");
        }
        vmo.setName(name);
    }

    /**
     * {@code zx_vmo_op_range}: COMMIT, DECOMMIT, ZERO, LOCK, TRY_LOCK, UNLOCK, the CACHE_* operations,
     * DONT_NEED, ALWAYS_NEED and PREFETCH over {@code [offset, offset+size)}.
     *
     * @param op     one of the {@code OP_*} constants
     * @param offset where the range starts
     * @param size   its length in bytes
     * @param buffer for LOCK and TRY_LOCK, at least {@link LockState#BYTES} bytes that receive the
     *               {@code zx_vmo_lock_state_t}; may be {@link MemorySegment#NULL} otherwise (and for TRY_LOCK)
     * @return the lock state for LOCK and TRY_LOCK, otherwise null
     * @throws ZxException BAD_HANDLE when closed; INVALID_ARGS for an unknown op; per op: ACCESS_DENIED
     *     without the right it needs (WRITE for COMMIT, DECOMMIT, ZERO; READ for the cache ops and hints;
     *     READ or WRITE for the lock ops); NOT_SUPPORTED for page ops and cache ops on a physical VMO,
     *     DECOMMIT in a copy-on-write tree, CACHE_INVALIDATE, and lock ops on a VMO that is not
     *     DISCARDABLE (before any buffer check); INVALID_ARGS for an unaligned DECOMMIT or an empty
     *     cache op; OUT_OF_RANGE past {@link #size()} (lock ops: anything but exactly [0, size));
     *     then, for LOCK and TRY_LOCK, INVALID_ARGS for a missing, short or read-only buffer or one
     *     whose arena is closed or confined to another thread (the lock is not taken);
     *     BAD_STATE for UNLOCK when not locked; UNAVAILABLE for TRY_LOCK of a discarded VMO;
     *     NO_MEMORY when a large COMMIT does not fit in the memory left
     */
    public LockState opRange(int op, long offset, long size, MemorySegment buffer) {
        String name = "vmo.op_range(" + opName(op) + ", offset=" + Ranges.hex(offset) + ", size=" + Ranges.hex(size) + ")";
        checkValid(name);
        switch (op) {
            case OP_COMMIT, OP_DECOMMIT, OP_ZERO -> require(name, Rights.WRITE);
            case OP_LOCK, OP_TRY_LOCK, OP_UNLOCK -> {
                if ((rightsOf() & (Rights.READ | Rights.WRITE)) == 0) {
                    throw Ranges.fail(Status.ERR_ACCESS_DENIED, name, "the handle has neither READ nor WRITE");
                }
            }
            case OP_CACHE_SYNC, OP_CACHE_CLEAN, OP_CACHE_CLEAN_INVALIDATE, OP_CACHE_INVALIDATE,
                    OP_DONT_NEED, OP_ALWAYS_NEED, OP_PREFETCH -> require(name, Rights.READ);
            default -> throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "unknown op " + op);
        }
        return vmo.opRange(op, name, offset, size, buffer);
    }

    private static String opName(int op) {
        return switch (op) {
            case OP_COMMIT -> "COMMIT";
            case OP_DECOMMIT -> "DECOMMIT";
            case OP_LOCK -> "LOCK";
            case OP_UNLOCK -> "UNLOCK";
            case OP_CACHE_SYNC -> "CACHE_SYNC";
            case OP_CACHE_INVALIDATE -> "CACHE_INVALIDATE";
            case OP_CACHE_CLEAN -> "CACHE_CLEAN";
            case OP_CACHE_CLEAN_INVALIDATE -> "CACHE_CLEAN_INVALIDATE";
            case OP_ZERO -> "ZERO";
            case OP_TRY_LOCK -> "TRY_LOCK";
            case OP_DONT_NEED -> "DONT_NEED";
            case OP_ALWAYS_NEED -> "ALWAYS_NEED";
            case OP_PREFETCH -> "PREFETCH";
            default -> "op " + op;
        };
    }

    /**
     * Commits the pages of a range (rounded out to pages). Needs WRITE.
     *
     * @param offset where the range starts
     * @param length its length in bytes
     */
    public void commit(long offset, long length) {
        opRange(OP_COMMIT, offset, length, MemorySegment.NULL);
    }

    /**
     * Frees the pages of a page-aligned range; they read zero. Needs WRITE.
     *
     * @param offset where the range starts, page-aligned
     * @param length its length in bytes, page-aligned
     */
    public void decommit(long offset, long length) {
        opRange(OP_DECOMMIT, offset, length, MemorySegment.NULL);
    }

    /**
     * Zeroes a byte range, freeing whole pages inside it. Needs WRITE.
     *
     * @param offset where the range starts
     * @param length its length in bytes
     */
    public void zero(long offset, long length) {
        opRange(OP_ZERO, offset, length, MemorySegment.NULL);
    }

    /**
     * Locks a discardable VMO (nests); reports whether it was discarded while unlocked.
     *
     * @return the locked range, and the range discarded while unlocked (empty when none was)
     */
    public LockState lock() {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            return opRange(OP_LOCK, 0, size(), a.allocate(LockState.BYTES));
        }
    }

    /**
     * Locks a discardable VMO unless it was discarded (then UNAVAILABLE).
     *
     * @return the locked range
     */
    public LockState tryLock() {
        return opRange(OP_TRY_LOCK, 0, size(), MemorySegment.NULL);
    }

    /** Undoes one {@link #lock()} or {@link #tryLock()}; BAD_STATE when not locked. */
    public void unlock() {
        opRange(OP_UNLOCK, 0, size(), MemorySegment.NULL);
    }

    /**
     * Sets the cache policy ({@code CACHE_*}). Needs {@link Rights#MAP}. BAD_STATE while the VMO is
     * mapped or has or is a copy-on-write child. Linux gives user space no uncached mappings of
     * ordinary memory, so for anonymous VMOs the policy is recorded (and makes read/write fail with
     * BAD_STATE, as on Zircon) while their mappings stay cached; physical VMOs honour it where the
     * backend can.
     *
     * @param policy one of the {@code CACHE_*} constants
     */
    public void setCachePolicy(int policy) {
        require("vmo.set_cache_policy", Rights.MAP);
        if (policy < CACHE_CACHED || policy > CACHE_WRITE_COMBINING) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "vmo.set_cache_policy(" + policy + ")", "unknown cache policy");
        }
        vmo.setCachePolicy(policy);
    }

    /** {@return what {@code zx_object_get_info(ZX_INFO_VMO)} reports. Needs {@link Rights#INSPECT}.} */
    public VmoInfo info() {
        require("vmo.info", Rights.INSPECT);
        return vmo.info(rights());
    }

    /**
     * {@code Vmar.root().map(vmOptions, this, vmoOffset, length)}.
     *
     * @param vmOptions {@code Vmar.PERM_*} bits and mapping options
     * @param vmoOffset the page-aligned offset where the window starts
     * @param length    the window's length in bytes
     * @return the mapping; close it to unmap
     */
    public Mapping map(int vmOptions, long vmoOffset, long length) {
        return Vmar.root().map(vmOptions, this, vmoOffset, length);
    }

    /**
     * {@code Vmar.root().map(vmOptions, this, vmoOffset, length, arena)}: a segment over the window,
     * mapped until {@code arena} closes; see {@link Vmar#map(int, Vmo, long, long, java.lang.foreign.Arena)}.
     *
     * @param vmOptions {@code Vmar.PERM_*} bits and mapping options
     * @param vmoOffset the page-aligned offset where the window starts
     * @param length    the window's length in bytes
     * @param arena     the arena whose closing unmaps the window
     * @return a segment over the window, read-only without {@code Vmar.PERM_WRITE}
     */
    public MemorySegment map(int vmOptions, long vmoOffset, long length, java.lang.foreign.Arena arena) {
        return Vmar.root().map(vmOptions, this, vmoOffset, length, arena);
    }
}
