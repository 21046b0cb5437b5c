package io.zxmem.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What the device backends do on a host without the lab's devices: they are found through the
 * service loader and fail with the right status; PCI enumeration reads the host's own devices.
 * (The backends themselves are proven on real devices by {@code LabTest}.)
 */
class BackendsTest {
    static final long P = Zx.pageSize();

    static void status(Status want, Executable call) {
        ZxException e = assertThrows(ZxException.class, call);
        assertEquals(want, e.status(), e.getMessage());
    }

    @Test
    void factoriesReachTheBackendsAndReportMissingThings() {
        status(Status.ERR_NOT_FOUND, () -> Resource.pciBar("0000:fe:1f.7", 0));
        status(Status.ERR_INVALID_ARGS, () -> Resource.pciBar("not-a-bdf", 0));
        status(Status.ERR_NOT_FOUND, () -> Resource.uio("uio97", 0));
        status(Status.ERR_NOT_FOUND, () -> Resource.uio("/dev/uio97", 0));
        if (!Files.exists(Path.of("/dev/mem"))) {
            status(Status.ERR_NOT_FOUND, () -> Resource.devMem(0xfe00_0000L, P));
        }
    }

    @Test
    void pciBarChecksTheBarIndex() {
        List<PciDevice> all = PciDevice.list();
        if (all.isEmpty()) {
            return;   // no PCI bus here; LabTest covers it
        }
        String bdf = all.getFirst().bdf();
        status(Status.ERR_INVALID_ARGS, () -> Resource.pciBar(bdf, 6));
        status(Status.ERR_INVALID_ARGS, () -> Resource.pciBar(bdf, -1));
    }

    @Test
    void enumerationMatchesConfigSpace() {
        List<PciDevice> all = PciDevice.list();
        assertEquals(Files.isDirectory(PciDevice.SYSFS), !all.isEmpty() || isEmptyDir(PciDevice.SYSFS));
        for (PciDevice d : all) {
            assertEquals(d, PciDevice.of(d.bdf()));
            try (ConfigSpace c = d.config()) {
                assertEquals(d.vendorId(), c.read16(0), d + " vendor");
                assertEquals(d.deviceId(), c.read16(2), d + " device");
                assertEquals(d.vendorId() | (d.deviceId() << 16), c.read32(0));
                assertEquals(d.classCode(), c.read32(8) >>> 8, d + " class");
                status(Status.ERR_INVALID_ARGS, () -> c.read16(1));
                status(Status.ERR_OUT_OF_RANGE, () -> c.read32(1 << 20));
                status(Status.ERR_OUT_OF_RANGE, () -> c.read8(-1));
            }
            for (PciDevice.Bar b : d.bars()) {
                assertTrue(b.size() > 0);
                assertNotEquals(b.isMemory(), b.isIo(), d + " " + b);
                assertEquals(b, d.bar(b.index()));
            }
        }
        status(Status.ERR_NOT_FOUND, () -> PciDevice.of("0000:fe:1f.7"));
        status(Status.ERR_INVALID_ARGS, () -> PciDevice.of("00:10.0"));
        assertTrue(PciDevice.find(0xffff, 0xffff).isEmpty());
    }

    private static boolean isEmptyDir(Path p) {
        try (var s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void simulatedMemoryHasNoInterruptsOrConfigSpace() {
        try (Resource r = Resource.simulated(0xfeb0_0000L, P)) {
            status(Status.ERR_NOT_SUPPORTED, () -> Interrupt.open(r));
            status(Status.ERR_NOT_SUPPORTED, () -> ConfigSpace.of(r));
            status(Status.ERR_INVALID_ARGS, () -> DmaBuffer.allocate(r, 0));
        }
        Resource closed = Resource.simulated(0xfeb0_0000L, P);
        closed.close();
        status(Status.ERR_BAD_HANDLE, () -> Interrupt.open(closed));
        status(Status.ERR_BAD_HANDLE, () -> DmaBuffer.allocate(closed, P));
    }

    @Test
    void dmaMemoryWithoutAnIommuNeverHasAddressZero() {
        try (Resource r = Resource.simulated(0xfeb0_0000L, P)) {
            DmaBuffer b;
            try {
                b = DmaBuffer.allocate(r, P);
            } catch (ZxException e) {
                // no huge pages reserved, or frame numbers hidden: a clear status, never a bogus address
                assertTrue(e.status() == Status.ERR_NO_MEMORY || e.status() == Status.ERR_ACCESS_DENIED
                        || e.status() == Status.ERR_NOT_SUPPORTED, e.toString());
                return;
            }
            try (b) {
                assertEquals("hugepage-physical", b.kind());
                assertNotEquals(0, b.deviceAddress());
                assertEquals(0, b.deviceAddress() % P);
                b.segment().fill((byte) 1);
            }
            status(Status.ERR_BAD_HANDLE, b::deviceAddress);
            assertFalse(false);
        }
    }
}
