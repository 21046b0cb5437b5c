package io.zxmem.internal.store;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.AbstractRegion;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;

/**
 * Physical memory emulated by a shared memory file (a memfd): for unit tests and device models. Every
 * mapping of the region shows the same bytes, as device memory would, and the bytes start zero.
 */
public final class SimulatedRegion extends AbstractRegion {
    private static final LibC C = LibC.get();

    private final int fd;

    /** A region of {@code size} bytes at physical address {@code base}; both page-aligned (the caller checked). */
    public SimulatedRegion(long base, long size) {
        super("simulated", base, size);
        int f = C.memfd_create("zxmem-simulated-phys", Linux.MFD_CLOEXEC);
        try {
            // memfd sizes are signed: a region above 2^63 bytes cannot be simulated
            C.ftruncate(f, size);
        } catch (RuntimeException e) {
            C.close(f);
            throw e;
        }
        this.fd = f;
    }




    @Override
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        return PhysicalRegion.mmapShared(at, length, prot, fd, offset);
    }

    @Override
    public void close() {
        C.close(fd);
    }
}
