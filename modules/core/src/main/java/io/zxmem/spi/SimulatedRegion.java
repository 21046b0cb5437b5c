package io.zxmem.spi;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.MemorySegment;

/**
 * Physical memory emulated by a shared memory file (a memfd): for unit tests and device models. Every
 * mapping of the region shows the same bytes, as device memory would, and the bytes start zero.
 */
public final class SimulatedRegion implements PhysicalRegion {
    private static final LibC C = LibC.get();

    private final long base;
    private final long size;
    private final int fd;

    /** A region of {@code size} bytes at physical address {@code base}; both page-aligned (the caller checked). */
    public SimulatedRegion(long base, long size) {
        this.base = base;
        this.size = size;
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
    public String backend() {
        return "simulated";
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        int flags = Linux.MAP_SHARED | (at.address() != 0 ? Linux.MAP_FIXED : 0);
        return C.mmap(at, length, prot, flags, fd, offset);
    }

    @Override
    public void close() {
        C.close(fd);
    }
}
