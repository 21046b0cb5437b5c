package io.zxmem.internal.object;

import io.zxmem.Status;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoConstants;
import io.zxmem.internal.store.SliceStore;
import io.zxmem.spi.PageStore;

/**
 * Where every VM object is made: roots ({@link #make}, called by {@code VmObjectPaged.create},
 * {@code adopt} and {@code VmObjectPhysical.create}) and children ({@link #newChild}), each in one
 * step, with the store closed when making the object fails. Also the checks of
 * {@code zx_vmo_create_child} that follow the handle's, in Zircon's order
 * (VmObjectDispatcher::CreateChild, then VmObjectPaged::CreateClone or VmObject::CreateChildSlice).
 */
final class VmObjectFactory {
    private static final int CHILD_KINDS = VmoConstants.CHILD_SNAPSHOT | VmoConstants.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE | VmoConstants.CHILD_SLICE;
    private static final int CHILD_OPTIONS = CHILD_KINDS | VmoConstants.CHILD_RESIZABLE | VmoConstants.CHILD_NO_WRITE;

    private VmObjectFactory() {}

    /**
     * Makes a VM object that owns {@code store}. When the constructor fails the store is closed; when
     * linking the object into its parent and the koid table fails, the object is released (which
     * closes the store and unlinks what was linked).
     */
    static <T extends VmObject> T make(Constructor<T> constructor, PageStore store, int options, long size,
            long contentSize, int cachePolicy, String name, VmObject parent, int childOptions, long chainOffset) {
        T o;
        try {
            o = constructor.construct(store, options, size, contentSize, cachePolicy, name, parent, childOptions,
                    chainOffset);
        } catch (RuntimeException | Error e) {
            store.close();
            throw e;
        }
        try {
            o.publish();
        } catch (RuntimeException | Error e) {
            o.release();
            throw e;
        }
        return o;
    }

    /**
     * A VM object's constructor, given every argument: callers pass a constructor reference or a lambda
     * that captures nothing, so making an object allocates no closure (a {@code Supplier} did, on every
     * create).
     */
    @FunctionalInterface
    interface Constructor<T extends VmObject> {
        T construct(PageStore store, int options, long size, long contentSize, int cachePolicy, String name,
                VmObject parent, int childOptions, long chainOffset);
    }

    /**
     * The one child factory: a child of {@code parent} over {@code store} at {@code offset}, made as
     * {@code childOptions} ({@code VmoConstants.CHILD_*}) say, of the parent's own type, with its name and
     * cache policy. The child holds the parent alive and keeps its ZERO_CHILDREN signal cleared until
     * it is gone.
     */
    static VmObject newChild(VmObject parent, PageStore store, int childOptions, long offset, long size,
            long contentSize) {
        int options = (childOptions & VmoConstants.CHILD_RESIZABLE) != 0 ? VmoConstants.RESIZABLE : 0;
        long chainOffset = parent.chainOffset() + offset;
        return make((s, o, sz, cs, cp, n, p, co, off) -> p.constructChild(s, o, sz, cs, cp, n, co, off), store, options,
                size, contentSize, parent.cachePolicy(), parent.name(), parent, childOptions, chainOffset);
    }

    /** {@code zx_vmo_create_child}'s checks after the handle's, then the child. */
    static VmObject create(VmObject parent, String op, int options, long offset, long size) {
        if ((options & ~CHILD_OPTIONS) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "unknown option bits " + Ranges.hex(options & ~CHILD_OPTIONS));
        }
        int kind = options & CHILD_KINDS;
        if (Integer.bitCount(kind) != 1) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op,
                    "needs exactly one of CHILD_SNAPSHOT, CHILD_SNAPSHOT_AT_LEAST_ON_WRITE and CHILD_SLICE");
        }
        if (kind == VmoConstants.CHILD_SLICE && (options & VmoConstants.CHILD_RESIZABLE) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "a slice cannot be CHILD_RESIZABLE");
        }
        if (parent.isDiscardable()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a discardable VMO cannot have children");
        }
        long page = parent.page;
        if (!Ranges.aligned(offset, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "offset is not page-aligned");
        }
        long rounded = Ranges.ceil(size, page);
        if (kind != VmoConstants.CHILD_SLICE) {
            return parent.createSnapshot(op, options, offset, rounded, size);
        }
        if (!Ranges.inside(offset, rounded, parent.size())) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "a slice must lie inside the parent's size "
                    + Ranges.hex(parent.size()));
        }
        if (parent.resizable()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a resizable VMO cannot be sliced");
        }
        checkChainOffset(parent, op, offset, rounded);
        return newChild(parent, new SliceStore(parent, offset, rounded), options, offset, rounded, size);
    }

    /** INVALID_ARGS when the child's offset added to the parent's offset in its root overflows. */
    static void checkChainOffset(VmObject parent, String op, long offset, long rounded) {
        long chain = parent.chainOffset();
        if (Ranges.overflows(chain, offset) || Ranges.overflows(chain + offset, rounded)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "offset " + Ranges.hex(offset)
                    + " added to the ancestors' offsets " + Ranges.hex(chain) + " overflows 64 bits");
        }
    }

    /** A slice made without {@link #create}'s checks: a window of a file received from another process. */
    static VmObject slice(VmObject parent, long offset, long size, long contentSize) {
        long page = parent.page;
        long rounded = Ranges.roundUpOverflows(size, page) ? size : Ranges.ceil(size, page);
        return newChild(parent, new SliceStore(parent, offset, rounded), VmoConstants.CHILD_SLICE, offset, size, contentSize);
    }
}
