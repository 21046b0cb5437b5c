/**
 * zxmem's device side: the backends behind {@link io.zxmem.Resource#pciBar}, {@link io.zxmem.Resource#uio}
 * and {@link io.zxmem.Resource#devMem} (VFIO, UIO, PCI sysfs {@code resourceN}, {@code /dev/mem}), and
 * what a driver prototype needs next to a mapped BAR: PCI enumeration and configuration space
 * ({@link io.zxmem.physical.PciDevice}, {@link io.zxmem.physical.ConfigSpace}), typed register access
 * with explicit memory ordering ({@link io.zxmem.physical.Mmio}), interrupts
 * ({@link io.zxmem.physical.Interrupt}) and DMA memory with a known device address
 * ({@link io.zxmem.physical.DmaBuffer}).
 */
module io.zxmem.physical {
    requires transitive io.zxmem;

    exports io.zxmem.physical;

    provides io.zxmem.spi.PhysicalProvider with io.zxmem.physical.backend.Backends;
}
