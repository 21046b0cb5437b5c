package io.zxmem.spi;

/**
 * The device backends behind {@code Resource.pciBar}, {@code Resource.uio} and {@code Resource.devMem}.
 * Core finds the one implementation with {@link java.util.ServiceLoader}; module {@code io.zxmem.physical}
 * provides it. Every method throws {@code ZxException} with the Zircon status that fits the failure.
 */
public interface PhysicalProvider {

    /**
     * Opens BAR {@code bar} of PCI device {@code bdf} through the first backend that works: VFIO, then
     * UIO, then the sysfs {@code resourceN} file, then {@code /dev/mem}.
     */
    PhysicalRegion pciBar(String bdf, int bar);

    /** Opens map {@code map} of UIO device {@code device} ({@code uio0} or {@code /dev/uio0}). */
    PhysicalRegion uio(String device, int map);

    /** Opens {@code [base, base+size)} of {@code /dev/mem}. */
    PhysicalRegion devMem(long base, long size);
}
