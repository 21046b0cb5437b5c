package io.zxmem.linux.sys;

/**
 * Constants for driving devices from user space: the PCI configuration header,
 * {@code <linux/pci_regs.h>}, and the {@code mmap} flags for pinned huge-page DMA memory,
 * {@code <sys/mman.h>}. Names are the C names, checked by the header test.
 */
@HeaderChecked
public final class DeviceMemory {
    private DeviceMemory() {}

    // <linux/pci_regs.h>: type 0 configuration header
    public static final int PCI_VENDOR_ID = 0x00;
    public static final int PCI_DEVICE_ID = 0x02;
    public static final int PCI_COMMAND = 0x04;
    public static final int PCI_COMMAND_IO = 0x1;
    public static final int PCI_COMMAND_MEMORY = 0x2;
    public static final int PCI_COMMAND_MASTER = 0x4;
    public static final int PCI_COMMAND_INTX_DISABLE = 0x400;
    public static final int PCI_STATUS = 0x06;
    public static final int PCI_STATUS_INTERRUPT = 0x08;
    public static final int PCI_CLASS_REVISION = 0x08;
    public static final int PCI_HEADER_TYPE = 0x0e;
    public static final int PCI_BASE_ADDRESS_0 = 0x10;
    public static final int PCI_INTERRUPT_LINE = 0x3c;
    public static final int PCI_INTERRUPT_PIN = 0x3d;
    public static final int PCI_STD_HEADER_SIZEOF = 64;

    // <sys/mman.h>
    public static final int MAP_LOCKED = 0x2000;
    public static final int MAP_HUGETLB = 0x40000;
}
