package io.zxmem.internal.object;

import io.zxmem.Status;
import io.zxmem.VmoInfo;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoConstants;
import io.zxmem.internal.store.PhysicalStore;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;

/**
 * A VM object over device memory, Zircon's {@code VmObjectPhysical}: a window of a physical region
 * granted by a resource. It is mapped, never read or written through the handle, never resized,
 * committed or snapshotted; it allows slices (which are physical too) and starts uncached.
 */
public final class VmObjectPhysical extends VmObject {
    private VmObjectPhysical(PageStore store, long size, long contentSize, int cachePolicy, String name,
            VmObject parent, int childOptions, long chainOffset) {
        super(store, 0, size, contentSize, cachePolicy, name, parent, childOptions, chainOffset);
    }

    /**
     * {@code zx_vmo_create_physical} after the handle's checks (overflow, the resource handle): the
     * range must lie inside what {@code resource} grants (ACCESS_DENIED), then be page-aligned and not
     * empty (INVALID_ARGS). The store takes its own reference to the resource: the VMO keeps the
     * device open after the resource handle is closed.
     */
    public static VmObjectPhysical create(String op, ResourceObject resource, long paddr, long size) {
        PhysicalRegion region = resource.region();
        long base = region.base();
        if (Long.compareUnsigned(paddr, base) < 0 || !Ranges.inside(paddr - base, size, region.size())) {
            throw Ranges.fail(Status.ERR_ACCESS_DENIED, op, "the resource grants only [" + Ranges.hex(base) + ", "
                    + Ranges.hex(base + region.size()) + ")");
        }
        long page = Pages.size();
        if (size == 0 || !Ranges.aligned(paddr, page) || !Ranges.aligned(size, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "paddr and size must be page-aligned and size non-zero");
        }
        resource.retain();
        PhysicalStore store = new PhysicalStore(resource::release, region, paddr - base, size);
        return VmObjectFactory.make((s, o, sz, cs, cp, n, p, co, off) -> new VmObjectPhysical(s, sz, cs, cp, n, p, co, off),
                store, 0, size, size, VmoConstants.CACHE_UNCACHED, "", null, 0, 0);
    }

    @Override
    VmObject constructChild(PageStore store, int options, long size, long contentSize, int cachePolicy, String name,
            int childOptions, long chainOffset) {
        // Slices only (createSnapshot refuses the rest), never resizable: options is 0.
        return new VmObjectPhysical(store, size, contentSize, cachePolicy, name, this, childOptions, chainOffset);
    }

    @Override
    VmObject createSnapshot(String op, int options, long offset, long rounded, long size) {
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a physical VMO (or a slice of one) cannot be snapshotted");
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        throw notReadable("vmo.read");
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        throw notReadable("vmo.write");
    }

    private static RuntimeException notReadable(String op) {
        return Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a physical VMO cannot be read or written; map it");
    }

    @Override
    void pageOp(int op, String name, long offset, long length) {
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, name, "not supported on a physical VMO");
    }

    @Override
    void checkCacheOps(String name) {
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, name, "cache operations are not supported on a physical VMO");
    }

    /** Device memory has no committed pages of its own to count. */
    @Override
    public long committedBytes() {
        return 0;
    }

    @Override
    public String kindName() {
        return "physical";
    }

    @Override
    int kindFlags() {
        return VmoInfo.CONTIGUOUS;
    }
}
