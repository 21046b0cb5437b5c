package io.zxmem.physical.backend;

import io.zxmem.internal.Ranges;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.physical.PciDevice;
import io.zxmem.physical.devmem.DevMemRegion;
import io.zxmem.physical.sysfs.SysfsBar;
import io.zxmem.physical.uio.UioRegion;
import io.zxmem.physical.vfio.VfioDevice;
import io.zxmem.physical.vfio.VfioRegion;
import io.zxmem.spi.PhysicalProvider;
import io.zxmem.spi.PhysicalRegion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The device backends, found by core through {@link java.util.ServiceLoader}. {@link #pciBar} tries
 * VFIO, UIO, sysfs and {@code /dev/mem} in that order and takes the first that can really map the BAR
 * (each candidate maps and unmaps one page before it is chosen).
 */
public final class Backends implements PhysicalProvider {

    /** For ServiceLoader. */
    public Backends() {}

    @Override
    public PhysicalRegion pciBar(String bdf, int bar) {
        String op = "resource.pci_bar(" + bdf + ", " + bar + ")";
        PciDevice dev = PciDevice.of(bdf);
        PciDevice.Bar b = dev.bar(bar);
        if (!b.isMemory()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "BAR " + bar + " is an I/O port range, not memory");
        }
        String driver = dev.driver();
        List<String> why = new ArrayList<>();
        ZxException last = null;
        List<Supplier<PhysicalRegion>> candidates = new ArrayList<>();
        if (driver.equals("vfio-pci")) {
            candidates.add(() -> VfioRegion.open(VfioDevice.open(dev.bdf(), op), bar, b.address(), op));
        } else {
            why.add("vfio: the device is bound to " + driver + ", not vfio-pci");
        }
        Optional<String> uio = dev.uioDevice();
        if (uio.isPresent()) {
            candidates.add(() -> uioMapFor(uio.get(), b, op));
        } else {
            why.add("uio: no UIO driver bound");
        }
        candidates.add(() -> {
            enableMemorySpace(dev, driver);
            return new SysfsBar(dev.bdf(), bar, b.address(), op);
        });
        candidates.add(() -> {
            enableMemorySpace(dev, driver);
            return new DevMemRegion(b.address(), Sys.roundUp(b.size()), dev.bdf(), op);
        });
        for (Supplier<PhysicalRegion> c : candidates) {
            PhysicalRegion r = null;
            try {
                r = c.get();
                Sys.probe(r);
                return r;
            } catch (ZxException | LinuxException e) {
                if (r != null) {
                    why.add(r.backend() + ": " + e.getMessage());
                    r.close();
                } else {
                    why.add(e.getMessage());
                }
                last = e instanceof ZxException z ? z : Os.fail(op, (LinuxException) e);
            }
        }
        throw new ZxException(Status.ERR_NOT_SUPPORTED, op + ": no backend can map the BAR: " + String.join("; ", why), last);
    }

    private static UioRegion uioMapFor(String uio, PciDevice.Bar b, String op) {
        for (int i = 0; i < 5; i++) {
            Path m = Path.of("/sys/class/uio", uio, "maps", "map" + i);
            if (!m.toFile().isDirectory()) {
                break;
            }
            if (Sys.readNumber(m.resolve("addr"), op) == b.address()) {
                return UioRegion.open(uio, i, op);
            }
        }
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, uio + " exposes no map for BAR " + b.index()
                + " (uio_pci_generic lists only 32-bit non-prefetchable BARs)");
    }

    /**
     * An unbound device may have been left with Memory Space Enable clear by the firmware; its BARs
     * then read all ones or zeros. Set it, as a driver's probe would (needs root).
     */
    private static void enableMemorySpace(PciDevice dev, String driver) {
        if (!driver.equals("none")) {
            return;
        }
        try (var cfg = dev.config()) {
            if ((cfg.command() & io.zxmem.linux.sys.DeviceMemory.PCI_COMMAND_MEMORY) == 0) {
                cfg.setMemorySpace(true);
            }
        } catch (ZxException e) {
            // without write access the probe mapping below still decides
        }
    }

    @Override
    public PhysicalRegion uio(String device, int map) {
        String op = "resource.uio(" + device + ", " + map + ")";
        return probed(UioRegion.open(device, map, op), op);
    }

    private static PhysicalRegion probed(PhysicalRegion r, String op) {
        try {
            Sys.probe(r);
        } catch (LinuxException e) {
            r.close();
            throw Os.fail(op, e);
        }
        return r;
    }

    @Override
    public PhysicalRegion devMem(long base, long size) {
        String op = "resource.dev_mem(" + Long.toHexString(base) + ", " + Long.toHexString(size) + ")";
        return probed(new DevMemRegion(base, size, null, op), op);
    }
}
