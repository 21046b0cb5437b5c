package io.zxmem.physical.vfio;

import io.zxmem.internal.Ranges;
import static io.zxmem.linux.sys.Vfio.*;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.Sys;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One PCI device opened through VFIO: a type1 IOMMU container, the device's IOMMU group attached to
 * it, and the device descriptor. A group can be opened by one process once only, so every resource,
 * config space, interrupt and DMA buffer of the device in this process shares one instance,
 * reference-counted; the last release closes the descriptors, after which the device can be rebound.
 *
 * <p>The IOMMU address space is handed out upwards from 1 MiB (never 0, and low enough for devices with
 * a narrow DMA mask such as edu's 28 bits); addresses are not reused while the device stays open.
 */
public final class VfioDevice {
    private static final Map<String, VfioDevice> OPEN = new HashMap<>();
    private static final long IOVA_START = 1L << 20;

    private final String bdf;
    private final int container;
    private final int group;
    private final int device;
    private final long configOffset;
    private final long configSize;
    private int refs = 1;
    private long nextIova = IOVA_START;

    private VfioDevice(String bdf, int container, int group, int device, long configOffset, long configSize) {
        this.bdf = bdf;
        this.container = container;
        this.group = group;
        this.device = device;
        this.configOffset = configOffset;
        this.configSize = configSize;
    }

    /** Opens (or shares) the device; release it once per call. */
    public static VfioDevice open(String bdf, String op) {
        synchronized (OPEN) {
            VfioDevice d = OPEN.get(bdf);
            if (d != null) {
                d.refs++;
                return d;
            }
            d = create(bdf, op);
            OPEN.put(bdf, d);
            return d;
        }
    }

    private static ZxException unavailable(String op, String what) {
        return Ranges.fail(Status.ERR_NOT_SUPPORTED, op, what);
    }

    private static VfioDevice create(String bdf, String op) {
        Path link = Path.of("/sys/bus/pci/devices", bdf, "iommu_group");
        String groupName;
        try {
            groupName = Files.readSymbolicLink(link).getFileName().toString();
        } catch (Exception e) {
            throw unavailable(op, "the device has no IOMMU group (VFIO needs an IOMMU)");
        }
        int c = -1;
        int g = -1;
        int dev = -1;
        try (Arena a = Arena.ofConfined()) {
            c = Sys.open("/dev/vfio/vfio", Linux.O_RDWR, op);
            if (Sys.C.ioctl(c, VFIO_GET_API_VERSION, 0L) != VFIO_API_VERSION) {
                throw unavailable(op, "unknown VFIO API version");
            }
            if (Sys.C.ioctl(c, VFIO_CHECK_EXTENSION, (long) VFIO_TYPE1v2_IOMMU) != 1) {
                throw unavailable(op, "the kernel has no VFIO type1v2 IOMMU");
            }
            g = Sys.open("/dev/vfio/" + groupName, Linux.O_RDWR, op);
            MemorySegment status = a.allocate(GROUP_STATUS);
            status.set(ValueLayout.JAVA_INT, 0, (int) GROUP_STATUS.byteSize());
            Sys.C.ioctl(g, VFIO_GROUP_GET_STATUS, status);
            if ((status.get(ValueLayout.JAVA_INT, 4) & VFIO_GROUP_FLAGS_VIABLE) == 0) {
                throw unavailable(op, "IOMMU group " + groupName + " is not viable (bind all its devices to vfio-pci)");
            }
            Sys.C.ioctl(g, VFIO_GROUP_SET_CONTAINER, a.allocateFrom(ValueLayout.JAVA_INT, c));
            Sys.C.ioctl(c, VFIO_SET_IOMMU, (long) VFIO_TYPE1v2_IOMMU);
            dev = Sys.C.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, a.allocateFrom(bdf));
            long[] cfg = regionInfo(dev, VFIO_PCI_CONFIG_REGION_INDEX, a);
            return new VfioDevice(bdf, c, g, dev, cfg[2], cfg[1]);
        } catch (LinuxException e) {
            Os.closeQuietly(dev);
            Os.closeQuietly(g);
            Os.closeQuietly(c);
            throw Os.fail(op + ": VFIO " + e.call(), e);
        } catch (RuntimeException e) {
            Os.closeQuietly(dev);
            Os.closeQuietly(g);
            Os.closeQuietly(c);
            throw e;
        }
    }

    private static long off(StructLayout l, String field) {
        return l.byteOffset(PathElement.groupElement(field));
    }

    /** @return {flags, size, offset} of region {@code index} */
    static long[] regionInfo(int dev, int index, Arena a) {
        MemorySegment ri = a.allocate(REGION_INFO);
        ri.set(ValueLayout.JAVA_INT, off(REGION_INFO, "argsz"), (int) REGION_INFO.byteSize());
        ri.set(ValueLayout.JAVA_INT, off(REGION_INFO, "index"), index);
        Sys.C.ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, ri);
        return new long[] {ri.get(ValueLayout.JAVA_INT, off(REGION_INFO, "flags")) & 0xffffffffL,
            ri.get(ValueLayout.JAVA_LONG, off(REGION_INFO, "size")), ri.get(ValueLayout.JAVA_LONG, off(REGION_INFO, "offset"))};
    }

    /** @return {flags, size, offset} of region {@code index} */
    public long[] regionInfo(int index) {
        try (Arena a = Arena.ofConfined()) {
            return regionInfo(device, index, a);
        }
    }

    /** @return {flags, count} of interrupt index {@code index} (INTx, MSI, MSI-X) */
    public int[] irqInfo(int index) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ii = a.allocate(IRQ_INFO);
            ii.set(ValueLayout.JAVA_INT, off(IRQ_INFO, "argsz"), (int) IRQ_INFO.byteSize());
            ii.set(ValueLayout.JAVA_INT, off(IRQ_INFO, "index"), index);
            Sys.C.ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, ii);
            return new int[] {ii.get(ValueLayout.JAVA_INT, off(IRQ_INFO, "flags")), ii.get(ValueLayout.JAVA_INT, off(IRQ_INFO, "count"))};
        }
    }

    /**
     * {@code VFIO_DEVICE_SET_IRQS} for vector 0 of {@code index}: with {@code eventfd >= 0} the
     * eventfd is the data (DATA_EVENTFD), otherwise none (DATA_NONE, count as given).
     */
    public void setIrqs(int action, int index, int count, int eventfd) {
        try (Arena a = Arena.ofConfined()) {
            boolean data = eventfd >= 0;
            long size = IRQ_SET.byteSize() + (data ? 4 : 0);
            MemorySegment s = a.allocate(size, 4);
            s.set(ValueLayout.JAVA_INT, off(IRQ_SET, "argsz"), (int) size);
            s.set(ValueLayout.JAVA_INT, off(IRQ_SET, "flags"), action | (data ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE));
            s.set(ValueLayout.JAVA_INT, off(IRQ_SET, "index"), index);
            s.set(ValueLayout.JAVA_INT, off(IRQ_SET, "start"), 0);
            s.set(ValueLayout.JAVA_INT, off(IRQ_SET, "count"), count);
            if (data) {
                s.set(ValueLayout.JAVA_INT, IRQ_SET.byteSize(), eventfd);
            }
            Sys.C.ioctl(device, VFIO_DEVICE_SET_IRQS, s);
        }
    }

    /** Reserves {@code size} bytes (page-aligned) of IOMMU address space. */
    public synchronized long allocateIova(long size) {
        long iova = nextIova;
        nextIova += size;
        return iova;
    }

    /** {@code VFIO_IOMMU_MAP_DMA}: the device sees {@code [vaddr, vaddr+size)} at {@code iova}, pinned. */
    public void mapDma(long vaddr, long iova, long size) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(DMA_MAP);
            m.set(ValueLayout.JAVA_INT, off(DMA_MAP, "argsz"), (int) DMA_MAP.byteSize());
            m.set(ValueLayout.JAVA_INT, off(DMA_MAP, "flags"), VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
            m.set(ValueLayout.JAVA_LONG, off(DMA_MAP, "vaddr"), vaddr);
            m.set(ValueLayout.JAVA_LONG, off(DMA_MAP, "iova"), iova);
            m.set(ValueLayout.JAVA_LONG, off(DMA_MAP, "size"), size);
            Sys.C.ioctl(container, VFIO_IOMMU_MAP_DMA, m);
        }
    }

    /** {@code VFIO_IOMMU_UNMAP_DMA}: removes the translation and unpins the pages. */
    public void unmapDma(long iova, long size) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(DMA_UNMAP);
            m.set(ValueLayout.JAVA_INT, off(DMA_UNMAP, "argsz"), (int) DMA_UNMAP.byteSize());
            m.set(ValueLayout.JAVA_LONG, off(DMA_UNMAP, "iova"), iova);
            m.set(ValueLayout.JAVA_LONG, off(DMA_UNMAP, "size"), size);
            Sys.C.ioctl(container, VFIO_IOMMU_UNMAP_DMA, m);
        }
    }

    public String bdf() {
        return bdf;
    }

    /** @return the device descriptor (regions are read, written and mapped through it) */
    public int fd() {
        return device;
    }

    public long configOffset() {
        return configOffset;
    }

    public long configSize() {
        return configSize;
    }

    public void retain() {
        synchronized (OPEN) {
            if (refs <= 0) {
                throw new IllegalStateException("VFIO device " + bdf + " is closed");
            }
            refs++;
        }
    }

    /** Drops one reference; the last closes device, group and container (in that order). */
    public void release() {
        synchronized (OPEN) {
            if (--refs > 0) {
                return;
            }
            OPEN.remove(bdf);
        }
        Os.closeQuietly(device);
        Os.closeQuietly(group);
        Os.closeQuietly(container);
    }
}
