package io.zxmem.physical.uio;

import io.zxmem.internal.Ranges;
import io.zxmem.Status;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import io.zxmem.spi.AbstractRegion;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One memory map of a UIO device: {@code /dev/uioN} mmap'ed at offset {@code map * pagesize}, which
 * selects the map (UIO's map index is not the BAR index: {@code uio_pci_generic} lists only 32-bit
 * non-prefetchable BARs). UIO always maps from the start of the map, so a window further in is mapped
 * with its head and the head is unmapped.
 */
public final class UioRegion extends AbstractRegion implements PciRegion {
    private final String device;
    private final int map;
    private final String bdf;
    private final int fd;

    private UioRegion(String name, int map, long base, long size, String bdf, String op) {
        super("uio", base, size);
        this.device = name;
        this.map = map;
        this.bdf = bdf;
        this.fd = Sys.open("/dev/" + name, Linux.O_RDWR | Linux.O_SYNC, op);
    }

    /** @param device {@code uio0} or {@code /dev/uio0} */
    public static UioRegion open(String device, int map, String op) {
        String name = device.startsWith("/dev/") ? device.substring(5) : device;
        Path dir = Path.of("/sys/class/uio", name);
        if (!name.matches("uio[0-9]+") || !Files.isDirectory(dir)) {
            throw Ranges.fail(Status.ERR_NOT_FOUND, op, "no UIO device " + device);
        }
        if (map < 0 || map > 4) {   // MAX_UIO_MAPS is 5
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "UIO map indexes are 0..4");
        }
        Path m = dir.resolve("maps/map" + map);
        if (!Files.isDirectory(m)) {
            throw Ranges.fail(Status.ERR_NOT_FOUND, op, name + " has no map " + map);
        }
        long addr = Sys.readNumber(m.resolve("addr"), op);
        long offset = Files.exists(m.resolve("offset")) ? Sys.readNumber(m.resolve("offset"), op) : 0;
        if (offset != 0 || (addr & (Sys.page() - 1)) != 0) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, name + " map " + map + " does not start on a page");
        }
        long size = Sys.roundUp(Sys.readNumber(m.resolve("size"), op));
        String pci = null;
        try {
            Path dev = dir.resolve("device").toRealPath();
            if (dev.getFileName().toString().matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]")) {
                pci = dev.getFileName().toString();
            }
        } catch (Exception ignored) {
            // not a PCI device (a platform UIO driver): no config space
        }
        return new UioRegion(name, map, addr, size, pci, op);
    }

    /** @return the UIO device name, {@code uio0} */
    public String device() {
        return device;
    }

    @Override
    public String bdf() {
        return bdf;
    }




    @Override
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        long pgoff = (long) map * Sys.page();
        if (offset == 0) {
            return PhysicalRegion.mmapShared(at, length, prot, fd, pgoff);
        }
        MemorySegment whole = Sys.C.mmap(MemorySegment.NULL, offset + length, prot, Linux.MAP_SHARED, fd, pgoff);
        try {
            Sys.C.munmap(whole, offset);
        } catch (LinuxException e) {
            Sys.C.munmap(whole, offset + length);
            throw e;
        }
        MemorySegment window = MemorySegment.ofAddress(whole.address() + offset);
        if (at.address() == 0) {
            return window;
        }
        try {
            return Sys.C.mremap(window, length, length, Linux.MREMAP_MAYMOVE | Linux.MREMAP_FIXED, at);
        } catch (LinuxException e) {
            Sys.C.munmap(window, length);
            throw e;
        }
    }

    @Override
    public void close() {
        Os.closeQuietly(fd);
    }
}
