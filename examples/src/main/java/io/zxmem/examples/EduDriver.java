package io.zxmem.examples;

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
import java.time.Duration;
import java.util.Arrays;

/**
 * A user-space driver for QEMU's {@code edu} teaching device (vendor 1234, device 11e8), written only
 * against zxmem's public API: a {@link Resource} for BAR0, a physical {@link Vmo} of it, a mapping, and
 * typed register access; an {@link Interrupt}; and a {@link DmaBuffer} for its DMA engine.
 *
 * <p>Run it in the device lab, with the device bound to vfio-pci (for DMA and MSI) or uio_pci_generic
 * (interrupts, no DMA), or unbound (registers only):
 * <pre>
 * lab/lab.sh run --bind edu=vfio-pci -- java --enable-native-access=ALL-UNNAMED \
 *     -cp modules/linux/target/classes:modules/core/target/classes:modules/physical/target/classes:examples/target/classes \
 *     io.zxmem.examples.EduDriver
 * </pre>
 */
public final class EduDriver implements AutoCloseable {
    // The register map (QEMU docs/specs/edu.txt). Below 0x80 only 32-bit accesses work.
    static final int ID = 0x00;              // 0xRRrr00ed: version RR.rr, then 0xed
    static final int LIVENESS = 0x04;        // reads back the bitwise inverse of what was written
    static final int FACTORIAL = 0x08;       // write n, read n! once STATUS_COMPUTING clears
    static final int STATUS = 0x20;
    static final int INTERRUPT_STATUS = 0x24;
    static final int INTERRUPT_RAISE = 0x60;
    static final int INTERRUPT_ACK = 0x64;
    static final int DMA_SOURCE = 0x80;      // 64-bit registers from here on
    static final int DMA_DESTINATION = 0x88;
    static final int DMA_COUNT = 0x90;
    static final int DMA_COMMAND = 0x98;

    static final int STATUS_COMPUTING = 0x01;
    static final int DMA_START = 0x1;
    static final int DMA_TO_RAM = 0x2;       // direction: device buffer -> RAM (else RAM -> device)
    static final int DMA_RAISE_INTERRUPT = 0x4;
    static final int DMA_DONE_INTERRUPT = 0x100;
    /** Where edu's 4 KiB DMA buffer sits in the device's own address space. */
    static final long DEVICE_BUFFER = 0x40000;

    private final Resource bar0;
    private final Vmo registersVmo;
    private final Mapping registersMapping;
    private final Mmio regs;

    private EduDriver(Resource bar0) {
        this.bar0 = bar0;
        this.registersVmo = Vmo.createPhysical(bar0, bar0.base(), bar0.size());
        this.registersMapping = registersVmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, bar0.size());
        this.regs = Mmio.of(registersMapping);
    }

    /** Opens the first edu device, through whichever backend its driver binding allows. */
    public static EduDriver open() {
        PciDevice dev = PciDevice.find(0x1234, 0x11e8).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no edu device (run this in the zxmem device lab)"));
        return new EduDriver(Resource.pciBar(dev.bdf(), 0));
    }

    /** @return {@code vfio}, {@code uio}, {@code sysfs} or {@code devmem} */
    public String backend() {
        return bar0.backend();
    }

    public int id() {
        return regs.getIntVolatile(ID);
    }

    /** Writes a value and checks that the device answers with its inverse. */
    public boolean alive() {
        int probe = 0x5a5a1234;
        regs.putIntVolatile(LIVENESS, probe);
        return regs.getIntVolatile(LIVENESS) == ~probe;
    }

    /** Computes {@code n!} on the device (32 bits, so n <= 12). */
    public int factorial(int n) throws InterruptedException {
        regs.putIntVolatile(FACTORIAL, n);
        while ((regs.getIntVolatile(STATUS) & STATUS_COMPUTING) != 0) {
            Thread.sleep(0, 100_000);
        }
        return regs.getIntVolatile(FACTORIAL);
    }

    /**
     * Asks the device to interrupt with {@code value} as its status, waits for the interrupt on this
     * thread, acknowledges it on the device and re-arms.
     *
     * @return the interrupt status the device reported
     */
    public int interruptRoundTrip(Interrupt irq, int value) {
        regs.putIntVolatile(INTERRUPT_RAISE, value);
        irq.await(Duration.ofSeconds(10));
        int status = regs.getIntVolatile(INTERRUPT_STATUS);
        regs.putIntVolatile(INTERRUPT_ACK, status);   // lower the device's line first...
        irq.ack();                                    // ...then let the next interrupt through
        return status;
    }

    /**
     * Copies {@code data} (at most 4095 bytes) into the device's buffer by DMA and back into a second
     * part of the same buffer, waiting for the completion interrupt. Needs the IOMMU (vfio-pci).
     *
     * @return what came back
     */
    public byte[] dmaRoundTrip(Interrupt irq, byte[] data) {
        try (ConfigSpace config = ConfigSpace.of(bar0); DmaBuffer buffer = DmaBuffer.allocate(bar0, 8192)) {
            config.setBusMaster(true);   // without it the device may not touch memory
            MemorySegment.copy(data, 0, buffer.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
            long ram = buffer.deviceAddress();
            dma(ram, DEVICE_BUFFER, data.length, DMA_START);
            while ((regs.getIntVolatile(DMA_COMMAND) & DMA_START) != 0) {
                Thread.onSpinWait();
            }
            dma(DEVICE_BUFFER, ram + 4096, data.length, DMA_START | DMA_TO_RAM | DMA_RAISE_INTERRUPT);
            irq.await(Duration.ofSeconds(10));
            int status = regs.getIntVolatile(INTERRUPT_STATUS);
            regs.putIntVolatile(INTERRUPT_ACK, status);
            irq.ack();
            if (status != DMA_DONE_INTERRUPT) {
                throw new IllegalStateException("unexpected interrupt status 0x" + Integer.toHexString(status));
            }
            config.setBusMaster(false);
            return buffer.segment().asSlice(4096, data.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    private void dma(long source, long destination, long count, int command) {
        regs.putLongVolatile(DMA_SOURCE, source);
        regs.putLongVolatile(DMA_DESTINATION, destination);
        regs.putLongVolatile(DMA_COUNT, count);
        regs.putLongVolatile(DMA_COMMAND, command);
    }

    @Override
    public void close() {
        registersMapping.close();
        registersVmo.close();
        bar0.close();
    }

    public static void main(String[] args) throws Exception {
        try (EduDriver edu = open()) {
            System.out.println("backend: " + edu.backend());
            System.out.printf("id: 0x%08x%n", edu.id());
            System.out.println("alive: " + edu.alive());
            System.out.println("10! = " + edu.factorial(10));
            if (edu.backend().equals("vfio") || edu.backend().equals("uio")) {
                try (Interrupt irq = Interrupt.open(edu.bar0)) {
                    int status = edu.interruptRoundTrip(irq, 0xcafe);
                    System.out.printf("interrupt (%s): status 0x%x%n", irq.kind(), status);
                    if (edu.backend().equals("vfio")) {
                        byte[] data = "hello from zxmem, copied by the edu DMA engine".getBytes();
                        byte[] back = edu.dmaRoundTrip(irq, data);
                        System.out.println("dma: " + (Arrays.equals(data, back) ? "round trip ok: " + new String(back) : "MISMATCH"));
                    }
                }
            }
        }
    }
}
