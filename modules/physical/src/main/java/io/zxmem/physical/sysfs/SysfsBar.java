package io.zxmem.physical.sysfs;

import io.zxmem.internal.Ranges;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.internal.Os;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import io.zxmem.spi.AbstractRegion;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A BAR through the PCI sysfs file {@code resourceN}, mmap'ed from offset 0 (the file is the BAR).
 * The kernel maps it uncached; {@code resourceN_wc}, present for prefetchable BARs, maps it
 * write-combining and is used for {@link Vmo#CACHE_WRITE_COMBINING}. Works while no driver has
 * claimed the BAR (strict devmem refuses it while VFIO holds the device).
 */
public final class SysfsBar extends AbstractRegion implements PciRegion {
    private final String bdf;
    private final int fd;
    private final Path wcPath;
    private int wcFd = -1;

    public SysfsBar(String bdf, int bar, long physicalAddress, String op) {
        super("sysfs", physicalAddress, Sys.roundUp(file(bdf, bar, op).toFile().length()));
        this.bdf = bdf;
        this.wcPath = file(bdf, bar, op).resolveSibling("resource" + bar + "_wc");
        this.fd = Sys.open(file(bdf, bar, op).toString(), Linux.O_RDWR | Linux.O_SYNC, op);
    }

    private static Path file(String bdf, int bar, String op) {
        Path file = Path.of("/sys/bus/pci/devices", bdf, "resource" + bar);
        if (!Files.exists(file)) {
            throw Ranges.fail(Status.ERR_NOT_FOUND, op, file + " does not exist (not a memory BAR?)");
        }
        return file;
    }

    @Override
    public String bdf() {
        return bdf;
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
        return PhysicalRegion.mmapShared(at, length, prot, fdFor(cachePolicy), offset);
    }

    @Override
    public synchronized void close() {
        Os.closeQuietly(fd);
        Os.closeQuietly(wcFd);
    }
}
