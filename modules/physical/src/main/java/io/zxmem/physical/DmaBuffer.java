package io.zxmem.physical;

import io.zxmem.internal.Ranges;
import io.zxmem.Mapping;
import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.DeviceMemory;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.NativeAccess;
import io.zxmem.physical.backend.Sys;
import io.zxmem.physical.vfio.VfioDevice;
import io.zxmem.physical.vfio.VfioRegion;
import io.zxmem.spi.PhysicalRegion;
import io.zxmem.spi.Resources;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory a device can DMA to and from, with the address the device must be given.
 *
 * <ul>
 *   <li><b>Through the VFIO IOMMU</b> (the resource's backend is {@code vfio}): a zxmem VMO, mapped,
 *       pinned and entered into the device's IOMMU page table with {@code VFIO_IOMMU_MAP_DMA}. The
 *       device address is an I/O virtual address of that table; any size works.</li>
 *   <li><b>Physically contiguous</b> (any other backend, for devices not behind an IOMMU or in
 *       passthrough): one huge page, locked, whose physical address comes from
 *       {@code /proc/self/pagemap}. Needs huge pages reserved ({@code /proc/sys/vm/nr_hugepages}) and
 *       CAP_SYS_ADMIN (the kernel hides frame numbers otherwise); at most one huge page.</li>
 * </ul>
 * Never reports address 0: a failure is a {@link ZxException}. Before the device may DMA, its Bus
 * Master Enable bit must be set ({@link ConfigSpace#setBusMaster}).
 */
public final class DmaBuffer implements AutoCloseable {
    private final String kind;
    private final long deviceAddress;
    private final long size;
    private final MemorySegment segment;
    private final Vmo vmo;
    private final Runnable release;
    private boolean closed;

    private DmaBuffer(String kind, long deviceAddress, long size, MemorySegment segment, Vmo vmo, Runnable release) {
        this.kind = kind;
        this.vmo = vmo;
        this.deviceAddress = deviceAddress;
        this.size = size;
        this.segment = segment;
        this.release = release;
    }

    /**
     * Allocates {@code size} bytes (rounded up to pages), zeroed, for the device behind {@code resource}.
     *
     * @param resource a resource of the device that will access the buffer
     * @param size     the size in bytes; rounded up to pages
     * @return the buffer; close it to free it
     * @throws ZxException INVALID_ARGS for size 0; NOT_SUPPORTED, NO_MEMORY or ACCESS_DENIED when no
     *                     device-visible address can be had
     */
    public static DmaBuffer allocate(Resource resource, long size) {
        String op = "dma_buffer.allocate(" + resource + ", 0x" + Long.toHexString(size) + ")";
        PhysicalRegion region = Resources.region(resource, op);
        if (size <= 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "size must be positive");
        }
        long len = Sys.roundUp(size);
        if (region instanceof VfioRegion v) {
            return iommu(v.device(), len, op);
        }
        return hugePage(len, op);
    }

    private static DmaBuffer iommu(VfioDevice d, long len, String op) {
        d.retain();
        Vmo vmo = null;
        Mapping m = null;
        try {
            vmo = Vmo.create(len);
            vmo.setName("zxmem-dma");
            m = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, len);
            long iova = d.allocateIova(len);
            d.mapDma(m.address(), iova, len);
            Vmo v = vmo;
            Mapping mm = m;
            return new DmaBuffer("vfio-iommu", iova, len, m.segment(), vmo, () -> {
                try {
                    d.unmapDma(iova, len);
                } finally {
                    mm.close();
                    v.close();
                    d.release();
                }
            });
        } catch (RuntimeException e) {
            if (m != null) {
                m.close();
            }
            if (vmo != null) {
                vmo.close();
            }
            d.release();
            throw e instanceof LinuxException le ? Os.fail(op + ": VFIO_IOMMU_MAP_DMA", le) : e;
        }
    }

    private static long hugePageSize(String op) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("Hugepagesize:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "the kernel reports no huge page size");
    }

    private static DmaBuffer hugePage(long len, String op) {
        long huge = hugePageSize(op);
        if (len > huge) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "without an IOMMU, DMA memory is one huge page of "
                    + huge + " bytes at most");
        }
        MemorySegment addr;
        try {
            addr = Sys.C.mmap(MemorySegment.NULL, huge, Linux.PROT_READ | Linux.PROT_WRITE,
                    Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS | DeviceMemory.MAP_HUGETLB | Linux.MAP_POPULATE
                            | DeviceMemory.MAP_LOCKED, -1, 0);
        } catch (LinuxException e) {
            throw new ZxException(Status.ERR_NO_MEMORY, op + ": no huge page available (reserve some in "
                    + "/proc/sys/vm/nr_hugepages)", e);
        }
        long phys;
        try {
            phys = physicalAddress(addr.address(), op);
        } catch (RuntimeException e) {
            Sys.C.munmap(addr, huge);
            throw e;
        }
        Arena arena = Arena.ofShared();
        MemorySegment seg = NativeAccess.segment(addr, len, arena, null);
        return new DmaBuffer("hugepage-physical", phys, len, seg, null, () -> {
            arena.close();
            Sys.C.munmap(addr, huge);
        });
    }

    /** The physical address behind {@code vaddr}, from {@code /proc/self/pagemap}; never 0. */
    static long physicalAddress(long vaddr, String op) {
        long page = Sys.page();
        int fd = Sys.open("/proc/self/pagemap", Linux.O_RDONLY, op);
        long entry;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8);
            if (Sys.C.pread(fd, buf, 8, (vaddr / page) * 8) != 8) {
                throw Ranges.fail(Status.ERR_IO, op, "short read from /proc/self/pagemap");
            }
            entry = buf.get(ValueLayout.JAVA_LONG, 0);
        } catch (LinuxException e) {
            throw Os.fail(op + ": /proc/self/pagemap", e);
        } finally {
            Os.closeQuietly(fd);
        }
        boolean present = entry < 0;   // bit 63
        long pfn = entry & ((1L << 55) - 1);
        if (!present) {
            throw Ranges.fail(Status.ERR_NO_MEMORY, op, "the page is not present");
        }
        if (pfn == 0) {
            throw Ranges.fail(Status.ERR_ACCESS_DENIED, op, "/proc/self/pagemap hides frame numbers (needs CAP_SYS_ADMIN)");
        }
        return pfn * page + (vaddr & (page - 1));
    }

    /** {@return the address to program into the device (an IOVA, or a physical address)} */
    public long deviceAddress() {
        checkOpen();
        return deviceAddress;
    }

    /** {@return the buffer's memory for the CPU side} */
    public MemorySegment segment() {
        checkOpen();
        return segment;
    }

    /** {@return the buffer's size in bytes} */
    public long size() {
        return size;
    }

    /**
     * {@return the VMO that holds the buffer (IOMMU buffers are ordinary zxmem VMOs: {@code read}, other
     *         mappings and handles all see what the device wrote), empty for huge-page buffers}
     */
    public java.util.Optional<Vmo> vmo() {
        checkOpen();
        return java.util.Optional.ofNullable(vmo);
    }

    /** {@return {@code vfio-iommu} or {@code hugepage-physical}} */
    public String kind() {
        return kind;
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new ZxException(Status.ERR_BAD_HANDLE, "dma_buffer: closed");
        }
    }

    /**
     * Removes the device's access and frees the memory. Idempotent. The device must have stopped using
     * the buffer: with an IOMMU, later DMA faults; without one it would hit whatever gets the page next.
     */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            release.run();
        }
    }

    @Override
    public String toString() {
        return "DmaBuffer[" + kind + " device address 0x" + Long.toHexString(deviceAddress) + " +0x" + Long.toHexString(size) + "]";
    }
}
