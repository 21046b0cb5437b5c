package io.zxmem.physical.sysfs;

import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A BAR through the PCI sysfs file {@code resourceN}, mmap'ed from offset 0 (the file is the BAR).
 * The kernel maps it uncached; {@code resourceN_wc}, present for prefetchable BARs, maps it
 * write-combining and is used for {@link Vmo#CACHE_WRITE_COMBINING}. Works while no driver has
 * claimed the BAR (strict devmem refuses it while VFIO holds the device).
 */
public final class SysfsBar implements PciRegion {
    private final String bdf;
    private final long base;
    private final long size;
    private final int fd;
    private final Path wcPath;
    private int wcFd = -1;

    public SysfsBar(String bdf, int bar, long physicalAddress, String op) {
        Path dir = Path.of("/sys/bus/pci/devices", bdf);
        Path file = dir.resolve("resource" + bar);
        if (!Files.exists(file)) {
            throw Sys.fail(Status.ERR_NOT_FOUND, op, file + " does not exist (not a memory BAR?)");
        }
        this.bdf = bdf;
        this.base = physicalAddress;
        this.size = Sys.roundUp(file.toFile().length());
        this.wcPath = dir.resolve("resource" + bar + "_wc");
        this.fd = Sys.open(file.toString(), Linux.O_RDWR | Linux.O_SYNC, op);
    }

    @Override
    public String bdf() {
        return bdf;
    }

    @Override
    public String backend() {
        return "sysfs";
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long size() {
        return size;
    }

    private synchronized int fdFor(int cachePolicy) {
        if (cachePolicy != Vmo.CACHE_WRITE_COMBINING || !Files.exists(wcPath)) {
            return fd;
        }
        if (wcFd < 0) {
            wcFd = Sys.open(wcPath.toString(), Linux.O_RDWR, "sysfs map");
        }
        return wcFd;
    }

    @Override
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        int flags = Linux.MAP_SHARED | (at.address() != 0 ? Linux.MAP_FIXED : 0);
        return Sys.C.mmap(at, length, prot, flags, fdFor(cachePolicy), offset);
    }

    @Override
    public synchronized void close() {
        Sys.closeQuietly(fd);
        Sys.closeQuietly(wcFd);
    }
}
