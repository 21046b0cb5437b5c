package io.zxmem.physical.lab;

import io.zxmem.Mapping;
import io.zxmem.Resource;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.physical.ConfigSpace;
import io.zxmem.physical.DmaBuffer;
import io.zxmem.physical.Interrupt;
import io.zxmem.physical.Mmio;
import io.zxmem.physical.PciDevice;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The in-guest half of {@code LabTest}: ONE JVM that goes through every backend against the lab's
 * edu and ivshmem devices, rebinding drivers between cases with the lab's {@code bind.sh}. A plain main
 * rather than JUnit, because JVM work under TCG is 20-40x slower than on the host.
 *
 * <p>Output, one line per case: {@code CASE <name> PASS|FAIL <detail>}, then {@code HARNESS DONE ...}.
 * The host side asserts on these lines and on the replies left in the ivshmem memory.
 */
public final class LabHarness {
    static final String EDU = env("ZXMEM_LAB_EDU_BDF", "0000:00:10.0");
    static final String IVSHMEM = env("ZXMEM_LAB_IVSHMEM_BDF", "0000:00:11.0");
    static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;
    static int passed;
    static int failed;

    interface Case {
        String run() throws Exception;
    }

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null ? d : v;
    }

    static void test(String name, Case c) {
        long t0 = System.nanoTime();
        String detail;
        boolean ok;
        try {
            detail = c.run();
            ok = true;
        } catch (Throwable t) {
            detail = t.toString().replace('\n', ' ');
            ok = false;
        }
        System.out.printf("CASE %s %s %.0fms %s%n", name, ok ? "PASS" : "FAIL", (System.nanoTime() - t0) / 1e6,
                detail == null ? "" : detail);
        System.out.flush();
        if (ok) {
            passed++;
        } else {
            failed++;
        }
    }

    static void check(boolean ok, String what, long got, long want) {
        if (!ok) {
            throw new AssertionError(String.format("%s: got 0x%x, want 0x%x", what, got, want));
        }
    }

    static void bind(String bdf, String driver) throws Exception {
        Process p = new ProcessBuilder(env("ZXMEM_LAB_BIND_SH", "/run/zxmem-lab/bind.sh"), bdf, driver)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bind.sh hangs");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("bind.sh " + bdf + " " + driver + " exit " + p.exitValue() + ": " + out);
        }
    }

    // ------------------------------------------------------------------ edu

    static void waitClear(Mmio m, long reg, int bit, String what) throws InterruptedException {
        long t0 = System.nanoTime();
        while ((m.getIntVolatile(reg) & bit) != 0) {
            if (System.nanoTime() - t0 > 20_000_000_000L) {
                throw new AssertionError(what + " did not finish in 20 s");
            }
            Thread.sleep(0, 200_000);
        }
    }

    /** Identification, liveness and factorial through a physical VMO of BAR0. */
    static String eduRegisters(Resource r) throws Exception {
        try (Vmo v = Vmo.createPhysical(r, r.base(), r.size()); Mapping map = v.map(RW, 0, r.size())) {
            Mmio m = Mmio.of(map);
            int id = m.getIntVolatile(0x00);
            check(id == 0x010000ed, "edu identification", id, 0x010000ed);
            m.putIntVolatile(0x04, 0x12345678);
            int live = m.getIntVolatile(0x04);
            check(live == ~0x12345678, "edu liveness", live, ~0x12345678);
            m.putIntRelease(0x04, 0x0badcafe);
            check(m.getIntAcquire(0x04) == ~0x0badcafe, "edu liveness (release/acquire)", m.getIntAcquire(0x04), ~0x0badcafe);
            m.putIntVolatile(0x08, 10);
            waitClear(m, 0x20, 1, "factorial");
            int f = m.getIntVolatile(0x08);
            check(f == 3628800, "edu factorial(10)", f, 3628800);
            return "backend=" + r.backend() + " base=0x" + Long.toHexString(r.base()) + " id=0x" + Integer.toHexString(id)
                    + " 10!=" + f;
        }
    }

    /** Three rounds of raise (0x60) -> Java thread woken -> status (0x24) -> acknowledge (0x64) -> re-arm. */
    static String eduInterrupts(Resource r, Interrupt.Mode mode, String wantKind) throws Exception {
        StringBuilder info = new StringBuilder();
        try (Vmo v = Vmo.createPhysical(r, r.base(), r.size()); Mapping map = v.map(RW, 0, r.size());
             Interrupt irq = Interrupt.open(r, mode)) {
            Mmio m = Mmio.of(map);
            if (!irq.kind().equals(wantKind)) {
                throw new AssertionError("interrupt kind " + irq.kind() + ", want " + wantKind);
            }
            for (int round = 0; round < 3; round++) {
                int value = 0x1000 << round;
                long[] got = {-1};
                Throwable[] err = {null};
                // a separate thread already blocked in await when the device raises, as a driver's would be
                Thread waiter = Thread.ofPlatform().start(() -> {
                    try {
                        got[0] = irq.await(Duration.ofSeconds(20));
                    } catch (Throwable t) {
                        err[0] = t;
                    }
                });
                Thread.sleep(50);
                long t0 = System.nanoTime();
                m.putIntVolatile(0x60, value);
                waiter.join(30_000);
                double ms = (System.nanoTime() - t0) / 1e6;
                if (err[0] != null) {
                    throw new AssertionError("round " + round + ": " + err[0], err[0]);
                }
                check(got[0] >= 1, "interrupts counted", got[0], 1);
                int status = m.getIntVolatile(0x24);
                check(status == value, "edu interrupt status", status, value);
                m.putIntVolatile(0x64, value);
                irq.ack();
                info.append(String.format(" %.1fms", ms));
            }
            // acknowledged and re-armed: nothing more arrives
            try {
                long n = irq.await(Duration.ofMillis(300));
                throw new AssertionError("spurious interrupt, count " + n);
            } catch (io.zxmem.ZxException e) {
                if (e.status() != io.zxmem.Status.ERR_TIMED_OUT) {
                    throw e;
                }
            }
        }
        return "kind=" + wantKind + " raise-to-wake" + info;
    }

    /** The edu DMA engine copies a zxmem buffer to its own memory and back, through the VFIO IOMMU. */
    static String eduDma(Resource r) throws Exception {
        try (Vmo v = Vmo.createPhysical(r, r.base(), r.size()); Mapping map = v.map(RW, 0, r.size());
             ConfigSpace cfg = ConfigSpace.of(r); DmaBuffer buf = DmaBuffer.allocate(r, 8192);
             Interrupt irq = Interrupt.open(r, Interrupt.Mode.MSI)) {
            Mmio m = Mmio.of(map);
            cfg.setBusMaster(true);
            check(buf.kind().equals("vfio-iommu"), "DMA kind " + buf.kind(), 0, 1);
            long iova = buf.deviceAddress();
            check(iova != 0 && iova < (1L << 28), "IOVA inside edu's 28-bit DMA mask", iova, 1);
            MemorySegment s = buf.segment();
            // QEMU 7.2's edu rejects (and aborts the VM on) a transfer that fills its whole 4 KiB buffer
            // (an off-by-one in its bounds check), so the copy is one byte short of that
            int len = 4095;
            for (int i = 0; i < len; i++) {
                s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
            }
            // RAM -> edu buffer (0x40000)
            m.putLongVolatile(0x80, iova);
            m.putLongVolatile(0x88, 0x40000);
            m.putLongVolatile(0x90, len);
            m.putLongVolatile(0x98, 1);
            waitClear(m, 0x98, 1, "DMA to the device");
            // edu buffer -> RAM at iova + 4096, raising an interrupt (MSI) when done
            m.putLongVolatile(0x80, 0x40000);
            m.putLongVolatile(0x88, iova + 4096);
            m.putLongVolatile(0x90, len);
            m.putLongVolatile(0x98, 1 | 2 | 4);
            long n = irq.await(Duration.ofSeconds(20));
            int status = m.getIntVolatile(0x24);
            check(status == 0x100, "edu DMA-done interrupt status", status, 0x100);
            m.putIntVolatile(0x64, status);
            int bad = 0;
            for (int i = 0; i < len; i++) {
                if (s.get(ValueLayout.JAVA_BYTE, 4096 + i) != (byte) (i * 7 + 1)) {
                    bad++;
                }
            }
            check(bad == 0, "bytes differing after the round trip", bad, 0);
            // the buffer is a zxmem VMO: read() sees what the device wrote
            byte[] back = new byte[4096];
            buf.vmo().orElseThrow().read(back, 4096);
            check(back[len - 1] == (byte) ((len - 1) * 7 + 1), "Vmo.read of the last DMA'd byte", back[len - 1], (byte) ((len - 1) * 7 + 1));
            check(back[len] == 0, "the byte after the transfer is untouched", back[len], 0);
            cfg.setBusMaster(false);
            return "iova=0x" + Long.toHexString(iova) + " " + len + " bytes RAM->edu->RAM, done-interrupt count " + n;
        }
    }

    // -------------------------------------------------------------- ivshmem

    static final long MAGIC = 0x5359485020585a5aL;   // "ZZX PHYS" little endian, written by LabTest

    static long pattern(long i) {
        return (i + 1) * 0x9E3779B97F4A7C15L;
    }

    /** Checks the host's pattern through a physical VMO of BAR2, then writes a reply into {@code slot}. */
    static String ivshmem(Resource r, String reply, int slot, int cachePolicy) throws Exception {
        try (Vmo v = Vmo.createPhysical(r, r.base(), r.size())) {
            v.setCachePolicy(cachePolicy);
            try (Mapping map = v.map(RW, 0, r.size())) {
                MemorySegment b = map.segment();
                long magic = b.get(ValueLayout.JAVA_LONG, 0);
                check(magic == MAGIC, "ivshmem magic from the host", magic, MAGIC);
                long words = (b.byteSize() - 4096) / 8;
                long bad = 0;
                for (long i = 1; i < words; i++) {
                    if (b.getAtIndex(ValueLayout.JAVA_LONG, i) != pattern(i)) {
                        bad++;
                    }
                }
                check(bad == 0, "words differing from the host's pattern", bad, 0);
                byte[] msg = ("ZXMEM-PHYS " + reply).getBytes(StandardCharsets.US_ASCII);
                MemorySegment dst = b.asSlice(b.byteSize() - 4096 + 64L * slot, 64);
                dst.fill((byte) 0);
                MemorySegment.copy(msg, 0, dst, ValueLayout.JAVA_BYTE, 0, msg.length);
                return "backend=" + r.backend() + " " + b.byteSize() + " bytes checked, reply in slot " + slot;
            }
        }
    }

    static String sized(Resource r, String want) {
        if (!r.backend().equals(want)) {
            throw new AssertionError("pciBar chose " + r.backend() + ", want " + want);
        }
        return "";
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        PciDevice edu = PciDevice.of(EDU);
        PciDevice iv = PciDevice.of(IVSHMEM);
        long eduBar0 = edu.bar(0).address();
        long eduSize = edu.bar(0).size();

        test("bind.none", () -> {
            bind(EDU, "none");
            bind(IVSHMEM, "none");
            return edu.driver() + "," + iv.driver();
        });
        test("pci.enumerate", () -> {
            check(edu.vendorId() == 0x1234 && edu.deviceId() == 0x11e8, "edu id", edu.vendorId(), 0x1234);
            check(PciDevice.find(0x1af4, 0x1110).contains(iv), "ivshmem found", 0, 1);
            try (ConfigSpace c = edu.config()) {
                check(c.read16(0) == 0x1234, "config vendor", c.read16(0), 0x1234);
            }
            return edu.bars() + " " + iv.bars();
        });
        test("sysfs.edu.registers", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return sized(r, "sysfs") + eduRegisters(r);
            }
        });
        test("sysfs.ivshmem.pattern", () -> {
            try (Resource r = Resource.pciBar(IVSHMEM, 2)) {
                return sized(r, "sysfs") + ivshmem(r, "sysfs", 0, Vmo.CACHE_UNCACHED);
            }
        });
        test("sysfs.ivshmem.write-combining", () -> {
            check(Files.exists(Path.of("/sys/bus/pci/devices", IVSHMEM, "resource2_wc")), "resource2_wc exists", 0, 1);
            try (Resource r = Resource.pciBar(IVSHMEM, 2)) {
                return ivshmem(r, "sysfs-wc", 1, Vmo.CACHE_WRITE_COMBINING);
            }
        });
        test("devmem.edu.registers", () -> {
            try (Resource r = Resource.devMem(eduBar0, eduSize)) {
                return sized(r, "devmem") + eduRegisters(r);
            }
        });
        test("devmem.ivshmem.pattern", () -> {
            PciDevice.Bar b = iv.bar(2);
            try (Resource r = Resource.devMem(b.address(), b.size())) {
                return sized(r, "devmem") + ivshmem(r, "devmem", 2, Vmo.CACHE_UNCACHED);
            }
        });
        test("devmem.window", () -> {
            // a physical VMO of one page inside a bigger resource maps exactly that page
            PciDevice.Bar b = iv.bar(2);
            try (Resource r = Resource.devMem(b.address(), b.size());
                 Vmo v = Vmo.createPhysical(r, b.address() + 8192, 4096); Mapping m = v.map(Vmar.PERM_READ, 0, 4096)) {
                long w = m.segment().get(ValueLayout.JAVA_LONG, 0);
                check(w == pattern(1024), "word 1024 through a one-page window", w, pattern(1024));
                return "ok";
            }
        });
        test("bind.uio", () -> {
            bind(EDU, "uio_pci_generic");
            bind(IVSHMEM, "uio_pci_generic");
            return edu.driver() + " " + edu.uioDevice().orElse("?");
        });
        test("uio.edu.registers", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return sized(r, "uio") + eduRegisters(r);
            }
        });
        test("uio.edu.by-name", () -> {
            try (Resource r = Resource.uio(edu.uioDevice().orElseThrow(), 0)) {
                check(r.base() == eduBar0, "uio map0 is BAR0", r.base(), eduBar0);
                return sized(r, "uio") + eduRegisters(r);
            }
        });
        test("uio.edu.interrupt", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return eduInterrupts(r, Interrupt.Mode.AUTO, "uio-intx");
            }
        });
        test("uio.ivshmem.falls-back-to-sysfs", () -> {
            // uio_pci_generic exposes no map for the 64-bit prefetchable BAR2; sysfs still works
            try (Resource r = Resource.pciBar(IVSHMEM, 2)) {
                return sized(r, "sysfs") + ivshmem(r, "uio-then-sysfs", 3, Vmo.CACHE_UNCACHED);
            }
        });
        test("hugepage.dma.address", () -> {
            Files.writeString(Path.of("/proc/sys/vm/nr_hugepages"), "2");
            try (Resource r = Resource.pciBar(EDU, 0); DmaBuffer b = DmaBuffer.allocate(r, 4096)) {
                check(b.kind().equals("hugepage-physical"), "kind " + b.kind(), 0, 1);
                check(b.deviceAddress() != 0, "physical address non-zero", b.deviceAddress(), 1);
                b.segment().set(ValueLayout.JAVA_LONG, 0, 42);
                return "physical 0x" + Long.toHexString(b.deviceAddress());
            }
        });
        test("bind.vfio", () -> {
            bind(EDU, "vfio-pci");
            bind(IVSHMEM, "vfio-pci");
            return edu.driver() + " group " + edu.iommuGroup().orElse(-1);
        });
        test("vfio.edu.registers", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return sized(r, "vfio") + eduRegisters(r);
            }
        });
        test("vfio.edu.interrupt.msi", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return eduInterrupts(r, Interrupt.Mode.AUTO, "vfio-msi");
            }
        });
        test("vfio.edu.interrupt.intx", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return eduInterrupts(r, Interrupt.Mode.INTX, "vfio-intx");
            }
        });
        test("vfio.edu.dma", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return eduDma(r);
            }
        });
        test("vfio.interrupt.close-wakes-waiter", () -> {
            try (Resource r = Resource.pciBar(EDU, 0)) {
                Interrupt irq = Interrupt.open(r);
                io.zxmem.Status[] got = {null};
                Thread waiter = Thread.ofPlatform().start(() -> {
                    try {
                        irq.await(Duration.ofSeconds(30));
                    } catch (io.zxmem.ZxException e) {
                        got[0] = e.status();
                    }
                });
                Thread.sleep(200);
                long closedAt = System.nanoTime();
                irq.close();
                waiter.join(10_000);
                check(got[0] == io.zxmem.Status.ERR_CANCELED, "waiter's status " + got[0], 0, 1);
                try {
                    irq.await(Duration.ZERO);
                    throw new AssertionError("await after close returned");
                } catch (io.zxmem.ZxException e) {
                    check(e.status() == io.zxmem.Status.ERR_BAD_HANDLE, "await after close: " + e.status(), 0, 1);
                }
                return String.format("CANCELED after %.1f ms", (System.nanoTime() - closedAt) / 1e6);
            }
        });
        test("vfio.ivshmem.pattern", () -> {
            try (Resource r = Resource.pciBar(IVSHMEM, 2)) {
                return sized(r, "vfio") + ivshmem(r, "vfio", 4, Vmo.CACHE_UNCACHED);
            }
        });
        test("vfio.released", () -> {
            // bind.sh refuses (exit 3) while a VFIO descriptor or mapping is still open: so this proves
            // that closing resources, VMOs, mappings, interrupts and DMA buffers let go of the device
            bind(EDU, "none");
            bind(IVSHMEM, "none");
            try (Resource r = Resource.pciBar(EDU, 0)) {
                return sized(r, "sysfs") + eduRegisters(r);
            }
        });
        System.out.printf("HARNESS DONE passed=%d failed=%d seconds=%.1f%n", passed, failed, (System.nanoTime() - t0) / 1e9);
        System.exit(failed == 0 ? 0 : 1);
    }
}
