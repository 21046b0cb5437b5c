package io.zxmem.internal.object;

import io.zxmem.spi.PhysicalRegion;

/**
 * A resource kernel object of kind MMIO: the physical range {@code [base, base+size)} of one
 * {@link PhysicalRegion}. It lives while a handle or a physical VMO made from it lives; the last
 * reference closes the region.
 */
public final class ResourceObject extends KernelObject {
    private final PhysicalRegion region;

    public ResourceObject(PhysicalRegion region) {
        super(0);
        this.region = region;
    }

    public PhysicalRegion region() {
        return region;
    }

    @Override
    protected void destroy() {
        region.close();
    }
}
