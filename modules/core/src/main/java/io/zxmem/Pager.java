package io.zxmem;

import io.zxmem.internal.object.KernelObject;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.VmObject;
import io.zxmem.internal.object.VmObjectPaged;
import io.zxmem.internal.object.VmObjectPhysical;
import io.zxmem.spi.PagerEngine;
import io.zxmem.spi.PagerProvider;
import io.zxmem.spi.PagerStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

/**
 * A user pager ({@code zx_pager_*}): it backs VMOs whose pages it supplies on demand.
 *
 * <p>A VMO made with {@link #createVmo} starts with no pages. Every access to a page that was not
 * supplied yet ({@code read}, {@code write}, COMMIT, ZERO, slices of it, at-least-on-write children
 * of it) sends a {@link PageRequest#READ} request to this pager and waits until the pager
 * {@link #supplyPages supplies} the pages or {@link #OP_FAIL fails} the request (the accessor then
 * throws a {@link ZxException} with the status the pager chose). With {@link #TRAP_DIRTY}, the first
 * write to a clean page also sends a {@link PageRequest#DIRTY} request and waits for
 * {@link #OP_DIRTY}. The pager takes requests with {@link #next(Duration)}. It supplies pages from an
 * aux VMO, as Zircon does ({@link #supplyPages(Vmo, long, long, Vmo, long)}), or, a zxmem extension
 * that costs one copy instead of three steps on Linux, from memory
 * ({@link #supplyPages(Vmo, long, MemorySegment)}).
 *
 * <p>Accessors wait in Java, never inside a page fault, so the pager may be a thread of this JVM.
 * That holds for mappings too: {@code map} first asks for every page of its window and waits (a
 * writable window of a {@link #TRAP_DIRTY} VMO also waits for {@link #OP_DIRTY}), so no fault on it
 * ever needs the pager. A fault that waited for a Java pager of the same JVM would hold a Java thread
 * where the JVM cannot bring it to a safepoint, and the pager thread would deadlock with the garbage
 * collector (see the {@code io.zxmem.pager} module README). A writable mapping keeps its window dirty
 * while it exists: writes through it are not seen one by one.
 *
 * <p>Without the {@code io.zxmem.pager} module, {@link #create()} fails with NOT_SUPPORTED.
 */
public final class Pager extends Handle {
    /** Option of {@link #createVmo}: the first write to a clean page asks the pager ({@code ZX_VMO_TRAP_DIRTY}). */
    public static final int TRAP_DIRTY = 1 << 3;

    /** {@code ZX_PAGER_OP_DIRTY}: lets the pending writes to clean pages of the range go on (they turn dirty). */
    public static final int OP_DIRTY = 1;
    /** {@code ZX_PAGER_OP_FAIL}: fails the requests for the range; {@code data} is the status accessors get. */
    public static final int OP_FAIL = 2;
    /** {@code ZX_PAGER_OP_WRITEBACK_BEGIN}: dirty pages of the range are being written back (they await clean). */
    public static final int OP_WRITEBACK_BEGIN = 3;
    /** {@code ZX_PAGER_OP_WRITEBACK_END}: pages still awaiting clean in the range are clean. */
    public static final int OP_WRITEBACK_END = 4;

    /** The rights of a new pager handle ({@code ZX_DEFAULT_PAGER_RIGHTS}). */
    public static final int DEFAULT_RIGHTS = Rights.BASIC | Rights.PROPERTY | Rights.ATTACH_VMO | Rights.MANAGE_VMO;

    private static final int VMO_OPTIONS = Vmo.RESIZABLE | TRAP_DIRTY | Vmo.UNBOUNDED;
    /** How much of the aux VMO one step of {@link #supplyPages} moves. */
    private static final long CHUNK = 1L << 20;

    private final PagerObject pager;

    Pager(PagerObject pager, int rights) {
        super(pager, rights);
        this.pager = pager;
    }

    @Override
    Handle newHandle(KernelObject object, int rights) {
        return new Pager((PagerObject) object, rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Pager} handle
     */
    @Override
    public Pager duplicate(int rights) {
        return (Pager) super.duplicate(rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Pager} handle
     */
    @Override
    public Pager replace(int rights) {
        return (Pager) super.replace(rights);
    }

    /**
     * {@code zx_pager_create}.
     *
     * @return a handle to the new pager, with {@link #DEFAULT_RIGHTS}
     * @throws ZxException NOT_SUPPORTED when the {@code io.zxmem.pager} module is not there
     */
    public static Pager create() {
        PagerProvider<Channel> p = PagerProvider.find(Channel.class);
        if (p == null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, "pager.create", "user pagers need the io.zxmem.pager module"
                    + " on the module or class path");
        }
        return new Pager(new PagerObject(p.newPager()), DEFAULT_RIGHTS);
    }

    /**
     * {@code zx_pager_create_vmo}: a VMO of {@code size} bytes (rounded up to pages) whose pages this
     * pager supplies. Options: {@link Vmo#RESIZABLE}, {@link #TRAP_DIRTY}, {@link Vmo#UNBOUNDED}.
     * Rights: {@link Rights#DEFAULT_VMO}, plus RESIZE when RESIZABLE.
     *
     * @param options {@code 0} or {@link Vmo#RESIZABLE}, {@link #TRAP_DIRTY}, {@link Vmo#UNBOUNDED}
     * @param size    the size in bytes, rounded up to pages
     * @return a handle to the new pager-backed VMO
     * @throws ZxException in this order: INVALID_ARGS for unknown options; BAD_HANDLE; ACCESS_DENIED
     *                     without {@link Rights#ATTACH_VMO}; INVALID_ARGS for RESIZABLE|UNBOUNDED;
     *                     OUT_OF_RANGE when the rounded size exceeds {@link Vmo#MAX_SIZE}
     */
    public Vmo createVmo(int options, long size) {
        String op = "pager.create_vmo(options=" + Ranges.hex(options) + ", size=" + Ranges.hex(size) + ")";
        if ((options & ~VMO_OPTIONS) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "unknown option bits " + Ranges.hex(options & ~VMO_OPTIONS));
        }
        require(op, Rights.ATTACH_VMO);
        if ((options & Vmo.RESIZABLE) != 0 && (options & Vmo.UNBOUNDED) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "RESIZABLE and UNBOUNDED exclude each other");
        }
        long page = Pages.size();
        long rounded;
        if ((options & Vmo.UNBOUNDED) != 0) {
            rounded = Vmo.MAX_SIZE;
        } else {
            if (Ranges.roundUpOverflows(size, page) || Ranges.above(Ranges.ceil(size, page), Vmo.MAX_SIZE)) {
                throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "size is larger than MAX_SIZE " + Ranges.hex(Vmo.MAX_SIZE));
            }
            rounded = Ranges.ceil(size, page);
        }
        PagerStore store = pager.engine.createStore(options, rounded);
        VmObject obj = VmObjectPaged.adopt(store, options & (Vmo.RESIZABLE | Vmo.UNBOUNDED), rounded, size, "");
        store.attach(obj.koid());
        return Vmo.own(obj, Rights.DEFAULT_VMO | ((options & Vmo.RESIZABLE) != 0 ? Rights.RESIZE : 0));
    }

    /**
     * {@code zx_pager_detach_vmo}: the VMO leaves this pager. Accessors waiting for it fail with
     * BAD_STATE, and so does every later access that would need a request; pages already supplied stay
     * readable. The pager gets a {@link PageRequest#COMPLETE} request.
     *
     * @param vmo a VMO of this pager
     * @throws ZxException BAD_HANDLE; ACCESS_DENIED without ATTACH_VMO; INVALID_ARGS when {@code vmo}
     *                     is not a VMO of this pager
     */
    public void detach(Vmo vmo) {
        String op = "pager.detach_vmo";
        require(op, Rights.ATTACH_VMO);
        storeOf(op, vmo).detach();
    }

    /**
     * {@code zx_pager_supply_pages}: moves the pages {@code [auxOffset, auxOffset+length)} of
     * {@code aux} into {@code [offset, offset+length)} of {@code vmo}. Pages of {@code vmo} that were
     * supplied before keep their content; the range of {@code aux} reads zero afterwards (its pages
     * moved). Accessors waiting for these pages wake up.
     *
     * @param vmo       a VMO of this pager
     * @param offset    page-aligned offset in {@code vmo} where the supplied pages go
     * @param length    page-aligned length
     * @param aux       the VMO holding the content
     * @param auxOffset page-aligned offset in {@code aux} where the content starts
     * @throws ZxException in this order: BAD_HANDLE; ACCESS_DENIED without MANAGE_VMO; BAD_HANDLE for
     *                     a null or closed {@code vmo}; INVALID_ARGS when {@code vmo} is not a VMO of
     *                     this pager, or an offset or the length is not page-aligned; BAD_HANDLE for a
     *                     null or closed {@code aux}; ACCESS_DENIED when {@code aux} lacks READ or
     *                     WRITE; NOT_SUPPORTED when {@code aux} is physical or itself pager-backed;
     *                     BAD_STATE when {@code aux}'s cache policy is not CACHED; OUT_OF_RANGE when a
     *                     range is not inside its VMO; BAD_STATE when {@code vmo} was detached
     */
    public void supplyPages(Vmo vmo, long offset, long length, Vmo aux, long auxOffset) {
        // The arguments go into a message only when it fails: this runs once per page request.
        String op = "pager.supply_pages";
        require(op, Rights.MANAGE_VMO);
        PagerStore store = storeOf(op, vmo);
        long page = Pages.size();
        if (!Ranges.aligned(offset, page) || !Ranges.aligned(length, page) || !Ranges.aligned(auxOffset, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, supplyOp(offset, length, auxOffset),
                    "offset, length and aux_offset must be page-aligned");
        }
        if (aux == null) {
            throw Ranges.fail(Status.ERR_BAD_HANDLE, op, "aux is null");
        }
        aux.require(op, Rights.READ | Rights.WRITE);
        VmObject from = aux.object();
        if (from instanceof VmObjectPhysical) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "aux is a physical VMO");
        }
        if (from.pagerBacked()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "aux is itself backed by a pager");
        }
        if (from.cachePolicy() != Vmo.CACHE_CACHED) {
            throw Ranges.fail(Status.ERR_BAD_STATE, op, "aux's cache policy is not CACHED");
        }
        if (Ranges.overflows(offset, length)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, supplyOp(offset, length, auxOffset), "offset + length overflows");
        }
        if (!Ranges.inside(auxOffset, length, from.size())) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, supplyOp(offset, length, auxOffset),
                    "the range is not inside aux's size " + Ranges.hex(from.size()));
        }
        store.checkSupply(offset, length);
        if (length == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Ranges.min(length, CHUNK), page);
            long done = 0;
            while (done != length) {
                long n = Ranges.min(length - done, CHUNK);
                MemorySegment piece = buf.asSlice(0, n);
                from.read(auxOffset + done, piece, 0, n);
                store.supply(offset + done, piece);
                done += n;
            }
        }
        // Zircon moves the aux VMO's pages into the pager VMO: the aux range is empty afterwards.
        from.opRange(Vmo.OP_ZERO, op, auxOffset, length, null);
    }

    private static String supplyOp(long offset, long length, long auxOffset) {
        return "pager.supply_pages(offset=" + Ranges.hex(offset) + ", length=" + Ranges.hex(length)
                + ", aux_offset=" + Ranges.hex(auxOffset) + ")";
    }

    private static String supplyOp(long offset, long length) {
        return "pager.supply_pages(offset=" + Ranges.hex(offset) + ", length=" + Ranges.hex(length) + ")";
    }

    /**
     * Supplies pages from memory, a zxmem extension of {@code zx_pager_supply_pages}: copies
     * {@code src} into the pages {@code [offset, offset+src.byteSize())} of {@code vmo} that were not
     * supplied yet (pages supplied before keep their content, as with an aux VMO); {@code src} is not
     * changed. Accessors waiting for these pages wake up.
     *
     * <p>Why it exists: Zircon's call moves the pages of an aux VMO, and Linux cannot move a page from
     * one file to another, so on Linux a pager that has its content in memory (read from a file or a
     * socket, say) pays for writing it into the aux VMO, copying it out again and then decommitting the
     * aux range, where this call copies it once. From a native segment, a page that a thread of
     * another process faulted on goes into that process's mapping in the same system call that wakes
     * the thread ({@code UFFDIO_COPY}), as a C userfaultfd handler does it.
     *
     * <p>As with any access by a pager's own thread, {@code src} must not be memory that waits for this
     * pager (a mapping of one of its VMOs whose pages were not supplied): the thread would wait for
     * itself until the fault times out.
     *
     * @param vmo    a VMO of this pager
     * @param offset page-aligned offset in {@code vmo} where the supplied pages go
     * @param src    the content, a whole number of pages long; any segment (heap or native) that is alive
     * @throws ZxException in this order: BAD_HANDLE; ACCESS_DENIED without MANAGE_VMO; BAD_HANDLE for a
     *                     null or closed {@code vmo}; INVALID_ARGS when {@code vmo} is not a VMO of this
     *                     pager, {@code src} is null, no longer alive or confined to another thread, or the offset or {@code src}'s
     *                     size is not page-aligned; OUT_OF_RANGE when the range is not inside the VMO;
     *                     BAD_STATE when {@code vmo} was detached
     */
    public void supplyPages(Vmo vmo, long offset, MemorySegment src) {
        String op = "pager.supply_pages";
        require(op, Rights.MANAGE_VMO);
        PagerStore store = storeOf(op, vmo);
        if (src == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "src is null");
        }
        long length = src.byteSize();
        long page = Pages.size();
        if (!Ranges.aligned(offset, page) || !Ranges.aligned(length, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, supplyOp(offset, length), "offset and src's size must be page-aligned");
        }
        if (!src.scope().isAlive()) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "src's arena is closed");
        }
        if (!src.isAccessibleBy(Thread.currentThread())) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "src is confined to another thread");
        }
        if (Ranges.overflows(offset, length)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, supplyOp(offset, length), "offset + length overflows");
        }
        if (length > CHUNK || length == 0) {
            // Checked whole before the first piece goes in: a bad range fails with nothing supplied.
            // One piece is checked by the store under the lock it writes with (one lock hold per request).
            store.checkSupply(offset, length);
        }
        long done = 0;
        try {
            while (done != length) {
                // In pieces, as from an aux VMO: the store's lock is held while one piece is written.
                long n = Ranges.min(length - done, CHUNK);
                store.supply(offset + done, src.asSlice(done, n));
                done += n;
            }
        } catch (IllegalStateException e) {
            // src's arena closed meanwhile (another thread's): the pieces before stay supplied.
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "src's arena closed while it was copied");
        }
    }

    /**
     * {@code zx_pager_op_range}: {@link #OP_DIRTY} (lets writes waiting on DIRTY requests go on; every
     * page of the range must have been supplied, else NOT_FOUND), {@link #OP_FAIL} (accessors waiting
     * for pages of the range throw a {@link ZxException} with status {@code data}: one of IO,
     * IO_DATA_INTEGRITY, BAD_STATE, NO_SPACE, BUFFER_TOO_SMALL, as Zircon accepts), {@link #OP_WRITEBACK_BEGIN} (dirty pages await clean; {@code data}
     * 0 or {@link DirtyRange#IS_ZERO}) and {@link #OP_WRITEBACK_END} (pages awaiting clean are clean).
     *
     * @param op     {@link #OP_DIRTY}, {@link #OP_FAIL}, {@link #OP_WRITEBACK_BEGIN} or {@link #OP_WRITEBACK_END}
     * @param vmo    a VMO of this pager
     * @param offset page-aligned offset in {@code vmo}
     * @param length page-aligned length
     * @param data   for {@link #OP_FAIL}, the status value the waiting accessors get; otherwise 0
     * @throws ZxException in this order: BAD_HANDLE; ACCESS_DENIED without MANAGE_VMO; BAD_HANDLE for
     *                     {@code vmo}; INVALID_ARGS when it is not a VMO of this pager; NOT_SUPPORTED
     *                     for an unknown op; INVALID_ARGS for a bad {@code data} or an unaligned range;
     *                     OUT_OF_RANGE when the range is not inside the VMO; BAD_STATE once detached;
     *                     NOT_FOUND (OP_DIRTY) for pages not supplied
     */
    public void opRange(int op, Vmo vmo, long offset, long length, long data) {
        String name = "pager.op_range(" + opName(op) + ", offset=" + Ranges.hex(offset) + ", length="
                + Ranges.hex(length) + ", data=" + data + ")";
        require(name, Rights.MANAGE_VMO);
        PagerStore store = storeOf(name, vmo);
        switch (op) {
            case OP_FAIL -> {
                if (!failureStatus(data)) {
                    throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "data must be the status ERR_IO,"
                            + " ERR_IO_DATA_INTEGRITY, ERR_BAD_STATE, ERR_NO_SPACE or ERR_BUFFER_TOO_SMALL");
                }
            }
            case OP_DIRTY, OP_WRITEBACK_END -> {
                if (data != 0) {
                    throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "data must be 0");
                }
            }
            case OP_WRITEBACK_BEGIN -> {
                if (data != 0 && data != DirtyRange.IS_ZERO) {
                    throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "data must be 0 or DirtyRange.IS_ZERO");
                }
            }
            default -> throw Ranges.fail(Status.ERR_NOT_SUPPORTED, name, "unknown pager op " + op);
        }
        long page = Pages.size();
        if (!Ranges.aligned(offset, page) || !Ranges.aligned(length, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, name, "offset and length must be page-aligned");
        }
        if (Ranges.overflows(offset, length)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, name, "offset + length overflows");
        }
        store.opRange(op, offset, length, data);
    }

    /**
     * {@code zx_pager_query_dirty_ranges}: the dirty (and awaiting-clean) ranges of
     * {@code [offset, offset+length)}, in ascending order, adjacent pages merged.
     *
     * @param vmo    a VMO of this pager
     * @param offset page-aligned offset in {@code vmo}
     * @param length length of the range to query
     * @return the dirty ranges inside {@code [offset, offset+length)}, in ascending order
     * @throws ZxException BAD_HANDLE; ACCESS_DENIED without MANAGE_VMO; INVALID_ARGS when {@code vmo}
     *                     is not a VMO of this pager or the range is not page-aligned; OUT_OF_RANGE
     *                     when the range is not inside the VMO
     */
    public List<DirtyRange> queryDirtyRanges(Vmo vmo, long offset, long length) {
        String op = "pager.query_dirty_ranges(offset=" + Ranges.hex(offset) + ", length=" + Ranges.hex(length) + ")";
        require(op, Rights.MANAGE_VMO);
        PagerStore store = storeOf(op, vmo);
        long page = Pages.size();
        if (!Ranges.aligned(offset, page) || !Ranges.aligned(length, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "offset and length must be page-aligned");
        }
        if (Ranges.overflows(offset, length)) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "offset + length overflows");
        }
        return store.queryDirtyRanges(offset, length);
    }

    /**
     * Takes the oldest page request of any of this pager's VMOs, waiting up to {@code timeout} (what a
     * Zircon pager reads from its port).
     *
     * @param timeout how long to wait at most, null for no limit
     * @return the request
     * @throws ZxException BAD_HANDLE; TIMED_OUT when no request came in time; CANCELED when the thread
     *                     was interrupted, before the call or while it waited (promptly; the thread's
     *                     interrupt status stays set)
     */
    public PageRequest next(Duration timeout) {
        checkValid("pager.next");
        if (timeout == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, "pager.next", "timeout is null");
        }
        long nanos;
        try {
            nanos = Math.max(0, timeout.toNanos());
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE / 2;
        }
        return pager.engine.next(nanos);
    }

    /** {@return how many page requests wait to be taken with {@link #next}} */
    public int pendingRequests() {
        checkValid("pager.pending_requests");
        return pager.engine.pendingRequests();
    }

    private PagerStore storeOf(String op, Vmo vmo) {
        if (vmo == null) {
            throw Ranges.fail(Status.ERR_BAD_HANDLE, op, "the VMO is null");
        }
        vmo.checkValid(op);
        if (!(vmo.object().store() instanceof PagerStore s) || s.engine() != pager.engine) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "the VMO was not created by this pager");
        }
        return s;
    }

    /** The statuses Zircon's {@code zx_pager_op_range(ZX_PAGER_OP_FAIL)} accepts as {@code data}. */
    private static boolean failureStatus(long data) {
        return data == Status.ERR_IO.value() || data == Status.ERR_IO_DATA_INTEGRITY.value()
                || data == Status.ERR_BAD_STATE.value() || data == Status.ERR_NO_SPACE.value()
                || data == Status.ERR_BUFFER_TOO_SMALL.value();
    }

    private static String opName(int op) {
        return switch (op) {
            case OP_DIRTY -> "DIRTY";
            case OP_FAIL -> "FAIL";
            case OP_WRITEBACK_BEGIN -> "WRITEBACK_BEGIN";
            case OP_WRITEBACK_END -> "WRITEBACK_END";
            default -> "op " + op;
        };
    }
}
