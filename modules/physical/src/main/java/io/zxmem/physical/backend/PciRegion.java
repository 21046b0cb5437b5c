package io.zxmem.physical.backend;

import io.zxmem.spi.PhysicalRegion;

/** A region that is a BAR of a PCI device, so helpers can find its configuration space. */
public interface PciRegion extends PhysicalRegion {
    /** @return the device's address, {@code 0000:00:10.0}, or null when unknown */
    String bdf();
}
