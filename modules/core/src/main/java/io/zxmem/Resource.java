package io.zxmem;

import io.zxmem.internal.object.KernelObject;
import io.zxmem.internal.Os;
import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.ResourceObject;
import io.zxmem.linux.LinuxException;
import io.zxmem.spi.PhysicalProvider;
import io.zxmem.spi.PhysicalRegion;
import io.zxmem.spi.Resources;
import io.zxmem.internal.store.SimulatedRegion;
import java.util.Iterator;
import java.util.ServiceLoader;

/**
 * A handle to a resource of kind MMIO: the right to map the physical address range
 * {@code [base(), base()+size())}, used by {@link Vmo#createPhysical}.
 *
 * <p>On Linux the range is reached through a backend that the factory chose and {@link #backend()}
 * names: a PCI BAR through VFIO, UIO, the sysfs {@code resourceN} file or {@code /dev/mem}, or
 * memory that merely simulates a device ({@link #simulated}). The device backends live in module
 * {@code io.zxmem.physical}, which must be on the module or class path for {@link #pciBar},
 * {@link #uio} and {@link #devMem}. The backend's descriptors stay open while the handle, or any
 * physical VMO or mapping made from it, is alive.
 */
public final class Resource extends Handle {
    /** Rights of a new resource handle. */
    public static final int DEFAULT_RIGHTS = Rights.BASIC;

    static {
        Resources.install(Resource.class, r -> r.isValid() ? r.resource.region() : null);
    }

    private final ResourceObject resource;

    Resource(ResourceObject resource, int rights) {
        super(resource, rights);
        this.resource = resource;
    }

    @Override
    Handle newHandle(KernelObject object, int rights) {
        return new Resource((ResourceObject) object, rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Resource} handle
     */
    @Override
    public Resource duplicate(int rights) {
        return (Resource) super.duplicate(rights);
    }

    /**
     * {@inheritDoc}
     *
     * @return the new {@code Resource} handle
     */
    @Override
    public Resource replace(int rights) {
        return (Resource) super.replace(rights);
    }

    ResourceObject object() {
        return resource;
    }

    /**
     * BAR {@code bar} of the PCI device {@code bdf} ({@code 0000:00:10.0}), through the first backend
     * that works: VFIO (device bound to {@code vfio-pci}), UIO ({@code uio_pci_generic}, 32-bit
     * non-prefetchable BARs only), the sysfs {@code resourceN} file, then {@code /dev/mem}.
     *
     * @param bdf the device's PCI address, {@code domain:bus:device.function}
     * @param bar the BAR index, 0 to 5
     * @return a resource handle for the BAR's physical range
     * @throws ZxException NOT_FOUND when there is no such device or BAR; NOT_SUPPORTED when no backend
     *                     can map it (the message lists why each one failed) or the device module is missing
     */
    public static Resource pciBar(String bdf, int bar) {
        if (bdf == null) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "resource.pci_bar: bdf is null");
        }
        return wrap(provider("resource.pci_bar(" + bdf + ", " + bar + ")").pciBar(bdf, bar));
    }

    /**
     * Map {@code map} of a UIO device ({@code uio0} or {@code /dev/uio0}), as listed under
     * {@code /sys/class/uio/<device>/maps/}.
     *
     * @param device the UIO device, {@code uio0} or {@code /dev/uio0}
     * @param map    the map index
     * @return a resource handle for the map's physical range
     */
    public static Resource uio(String device, int map) {
        if (device == null) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "resource.uio: device is null");
        }
        return wrap(provider("resource.uio(" + device + ", " + map + ")").uio(device, map));
    }

    /**
     * {@code [base, base+size)} of {@code /dev/mem} (page-aligned; needs root and a kernel that allows it).
     *
     * @param base the page-aligned physical address
     * @param size the length in bytes, page-aligned
     * @return a resource handle for the range
     */
    public static Resource devMem(long base, long size) {
        String op = "resource.dev_mem(base=" + Ranges.hex(base) + ", size=" + Ranges.hex(size) + ")";
        checkRange(op, base, size);
        return wrap(provider(op).devMem(base, size));
    }

    /**
     * {@code size} bytes of simulated physical memory at physical address {@code base}: a shared memory
     * file, zero at first, that every physical VMO and mapping of the resource shows. For tests and
     * device models.
     *
     * @param base the physical address it pretends to be at
     * @param size the length in bytes
     * @return a resource handle for the simulated range
     * @throws ZxException INVALID_ARGS for a zero, unaligned or overflowing range
     */
    public static Resource simulated(long base, long size) {
        String op = "resource.simulated(base=" + Ranges.hex(base) + ", size=" + Ranges.hex(size) + ")";
        checkRange(op, base, size);
        if (size < 0) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "a simulated resource holds less than 2^63 bytes");
        }
        try {
            return wrap(new SimulatedRegion(base, size));
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        }
    }

    private static void checkRange(String op, long base, long size) {
        long page = Pages.size();
        if (size == 0 || !Ranges.aligned(base, page) || !Ranges.aligned(size, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "base and size must be page-aligned and size non-zero");
        }
        if (Ranges.overflows(base, size)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "base + size overflows");
        }
    }

    private static Resource wrap(PhysicalRegion region) {
        return new Resource(new ResourceObject(region), DEFAULT_RIGHTS);
    }

    private static PhysicalProvider provider(String op) {
        Iterator<PhysicalProvider> it = ServiceLoader.load(PhysicalProvider.class, Resource.class.getClassLoader()).iterator();
        if (!it.hasNext()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "no device backends: put module io.zxmem.physical "
                    + "(zxmem-physical) on the module or class path");
        }
        return it.next();
    }

    /** {@return the physical address of the first byte this resource grants} */
    public long base() {
        checkValid("resource.base");
        return resource.region().base();
    }

    /** {@return how many bytes this resource grants} */
    public long size() {
        checkValid("resource.size");
        return resource.region().size();
    }

    /** {@return the backend: {@code vfio}, {@code uio}, {@code sysfs}, {@code devmem} or {@code simulated}} */
    public String backend() {
        checkValid("resource.backend");
        return resource.region().backend();
    }

    @Override
    public String toString() {
        return isValid() ? "Resource[" + backend() + " " + Ranges.hex(base()) + "+" + Ranges.hex(size()) + "]"
                : super.toString();
    }
}
