package io.zxmem.physical;

import io.zxmem.internal.Ranges;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.physical.backend.Sys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * A PCI device as Linux's sysfs describes it ({@code /sys/bus/pci/devices/<bdf>}): identity, bound
 * driver, memory BARs, IOMMU group, UIO node, and its configuration space. Values are read when asked,
 * so they follow rebinding.
 */
public final class PciDevice {
    /** Where Linux lists PCI devices. */
    public static final Path SYSFS = Path.of("/sys/bus/pci/devices");

    // include/linux/ioport.h (kernel-internal, so not in any user-space header): resource flags
    private static final long IORESOURCE_IO = 0x100;
    private static final long IORESOURCE_MEM = 0x200;
    private static final long IORESOURCE_PREFETCH = 0x2000;
    private static final long IORESOURCE_MEM_64 = 0x100000;

    /**
     * One base address register.
     *
     * @param index   0..5
     * @param address the physical (bus) address the firmware or kernel assigned
     * @param size    its size in bytes
     * @param flags   the kernel's resource flags (third column of {@code resource})
     */
    public record Bar(int index, long address, long size, long flags) {
        /** {@return whether it is a memory BAR (MMIO), not an I/O port range} */
        public boolean isMemory() {
            return (flags & IORESOURCE_MEM) != 0;
        }

        /** {@return whether it is an I/O port BAR} */
        public boolean isIo() {
            return (flags & IORESOURCE_IO) != 0;
        }

        /** {@return whether it is a 64-bit memory BAR} */
        public boolean is64Bit() {
            return (flags & IORESOURCE_MEM_64) != 0;
        }

        /** {@return whether it is prefetchable memory} */
        public boolean isPrefetchable() {
            return (flags & IORESOURCE_PREFETCH) != 0;
        }
    }

    private final String bdf;
    private final Path dir;

    private PciDevice(String bdf) {
        this.bdf = bdf;
        this.dir = SYSFS.resolve(bdf);
    }

    /**
     * The device at a PCI address.
     *
     * @param bdf domain:bus:device.function, {@code 0000:00:10.0}
     * @return the device
     * @throws ZxException NOT_FOUND when there is no such device; INVALID_ARGS for a malformed address
     */
    public static PciDevice of(String bdf) {
        String op = "pci_device(" + bdf + ")";
        if (bdf == null || !bdf.matches("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]")) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "not a PCI address of the form 0000:00:10.0");
        }
        PciDevice d = new PciDevice(bdf.toLowerCase());
        if (!Files.isDirectory(d.dir)) {
            throw Ranges.fail(Status.ERR_NOT_FOUND, op, "no such device under " + SYSFS);
        }
        return d;
    }

    /** {@return every PCI device, sorted by address (empty when the system has no PCI sysfs)} */
    public static List<PciDevice> list() {
        if (!Files.isDirectory(SYSFS)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(SYSFS)) {
            return s.map(p -> new PciDevice(p.getFileName().toString())).sorted((a, b) -> a.bdf.compareTo(b.bdf)).toList();
        } catch (IOException e) {
            throw new ZxException(Status.ERR_IO, "pci_device.list: reading " + SYSFS + " failed", e);
        }
    }

    /**
     * {@return the devices with this vendor and device ID}
     *
     * @param vendorId the vendor ID
     * @param deviceId the device ID
     */
    public static List<PciDevice> find(int vendorId, int deviceId) {
        return list().stream().filter(d -> d.vendorId() == vendorId && d.deviceId() == deviceId).toList();
    }

    /** {@return the PCI address, {@code domain:bus:device.function}} */
    public String bdf() {
        return bdf;
    }

    /** {@return the device's sysfs directory} */
    public Path sysfsPath() {
        return dir;
    }

    /** {@return the vendor ID} */
    public int vendorId() {
        return (int) Sys.readNumber(dir.resolve("vendor"), "pci_device.vendor");
    }

    /** {@return the device ID} */
    public int deviceId() {
        return (int) Sys.readNumber(dir.resolve("device"), "pci_device.device");
    }

    /** {@return the 24-bit class code (base class, subclass, programming interface)} */
    public int classCode() {
        return (int) Sys.readNumber(dir.resolve("class"), "pci_device.class");
    }

    /** {@return the bound driver's name ({@code vfio-pci}, {@code uio_pci_generic}, ...) or {@code none}} */
    public String driver() {
        Path link = dir.resolve("driver");
        try {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : "none";
        } catch (IOException e) {
            return "none";
        }
    }

    /** {@return the IOMMU group number, if the device sits behind an IOMMU} */
    public OptionalInt iommuGroup() {
        Path link = dir.resolve("iommu_group");
        try {
            return Files.exists(link) ? OptionalInt.of(Integer.parseInt(Files.readSymbolicLink(link).getFileName().toString()))
                    : OptionalInt.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** {@return the UIO device ({@code uio0}) when a UIO driver is bound} */
    public Optional<String> uioDevice() {
        Path uio = dir.resolve("uio");
        if (!Files.isDirectory(uio)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(uio)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("uio")).sorted().findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@return the assigned BARs among 0..5 (unassigned ones, size 0, are left out)} */
    public List<Bar> bars() {
        String text = Sys.read(dir.resolve("resource"), "pci_device.bars");
        String[] lines = text.split("\n");
        List<Bar> bars = new ArrayList<>();
        for (int i = 0; i < Math.min(6, lines.length); i++) {
            String[] f = lines[i].trim().split("\\s+");
            long start = Long.decode(f[0]);
            long end = Long.decode(f[1]);
            long flags = Long.decode(f[2]);
            if (start != 0 || end != 0) {
                bars.add(new Bar(i, start, end - start + 1, flags));
            }
        }
        return bars;
    }

    /**
     * {@return BAR {@code index}}
     * @param index the BAR index, 0 to 5
     * @throws ZxException INVALID_ARGS for an index outside 0..5; NOT_FOUND when it is not assigned
     */
    public Bar bar(int index) {
        String op = "pci_device(" + bdf + ").bar(" + index + ")";
        if (index < 0 || index > 5) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "BAR indexes are 0..5");
        }
        return bars().stream().filter(b -> b.index() == index).findFirst()
                .orElseThrow(() -> Ranges.fail(Status.ERR_NOT_FOUND, op, "BAR " + index + " is not assigned"));
    }

    /**
     * {@return the configuration space through sysfs ({@code config}); writes need root. A device held
     *         through VFIO is better reached with {@link ConfigSpace#of(io.zxmem.Resource)}.}
     */
    public ConfigSpace config() {
        return ConfigSpace.sysfs(this);
    }

    @Override
    public String toString() {
        return "PciDevice[" + bdf + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PciDevice d && d.bdf.equals(bdf);
    }

    @Override
    public int hashCode() {
        return bdf.hashCode();
    }
}
