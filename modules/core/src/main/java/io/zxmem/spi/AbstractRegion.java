package io.zxmem.spi;

/** The fixed facts every {@link PhysicalRegion} has: its backend's name, base address and size. */
public abstract class AbstractRegion implements PhysicalRegion {
    private final String backend;
    private final long base;
    private final long size;

    protected AbstractRegion(String backend, long base, long size) {
        this.backend = backend;
        this.base = base;
        this.size = size;
    }

    @Override
    public final String backend() {
        return backend;
    }

    @Override
    public final long base() {
        return base;
    }

    @Override
    public final long size() {
        return size;
    }
}
