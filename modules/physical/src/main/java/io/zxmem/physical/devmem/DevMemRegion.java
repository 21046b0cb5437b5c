package io.zxmem.physical.devmem;

import io.zxmem.Vmo;
import io.zxmem.internal.Os;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import io.zxmem.spi.AbstractRegion;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;

/**
 * Physical memory through {@code /dev/mem}, mmap'ed at the physical address. Opened {@code O_SYNC}, which
 * makes the kernel map it uncached; a {@link Vmo#CACHE_CACHED} VMO maps through a second descriptor
 * without {@code O_SYNC} (the kernel still maps MMIO uncached unless it is RAM). Needs root, and a kernel
 * with {@code /dev/mem} whose strict devmem check allows the range (no driver may hold it).
 */
public final class DevMemRegion extends AbstractRegion implements PciRegion {
    public static final String PATH = "/dev/mem";

    private final String bdf;
    private final int fd;
    private int cachedFd = -1;

    public DevMemRegion(long base, long size, String bdf, String op) {
        super("devmem", base, size);
        this.bdf = bdf;
        this.fd = Sys.open(PATH, Linux.O_RDWR | Linux.O_SYNC, op);
    }

    @Override
    public String bdf() {
        return bdf;
    }




    private synchronized int fdFor(int cachePolicy) {
        if (cachePolicy != Vmo.CACHE_CACHED) {
            return fd;
        }
        if (cachedFd < 0) {
            cachedFd = Sys.open(PATH, Linux.O_RDWR, "devmem map");
        }
        return cachedFd;
    }

    @Override
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        return PhysicalRegion.mmapShared(at, length, prot, fdFor(cachePolicy), base() + offset);
    }

    @Override
    public synchronized void close() {
        Os.closeQuietly(fd);
        Os.closeQuietly(cachedFd);
    }
}
