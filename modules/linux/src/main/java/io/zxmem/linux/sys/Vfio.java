package io.zxmem.linux.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The VFIO user-space device interface, {@code <linux/vfio.h>}: container, group and device ioctls,
 * region and interrupt descriptions, and the type1 IOMMU's DMA mapping. Names are the C names, so the
 * header test checks every value and struct layout against the system header.
 */
@HeaderChecked
public final class Vfio {
    private Vfio() {}

    public static final int VFIO_API_VERSION = 0;
    public static final int VFIO_TYPE1_IOMMU = 1;
    public static final int VFIO_TYPE1v2_IOMMU = 3;

    // ioctl requests: _IO(VFIO_TYPE ';', VFIO_BASE 100 + n); arguments are argsz-prefixed structs
    public static final long VFIO_GET_API_VERSION = 0x3B64;
    public static final long VFIO_CHECK_EXTENSION = 0x3B65;
    public static final long VFIO_SET_IOMMU = 0x3B66;
    public static final long VFIO_GROUP_GET_STATUS = 0x3B67;
    public static final long VFIO_GROUP_SET_CONTAINER = 0x3B68;
    public static final long VFIO_GROUP_UNSET_CONTAINER = 0x3B69;
    public static final long VFIO_GROUP_GET_DEVICE_FD = 0x3B6A;
    public static final long VFIO_DEVICE_GET_INFO = 0x3B6B;
    public static final long VFIO_DEVICE_GET_REGION_INFO = 0x3B6C;
    public static final long VFIO_DEVICE_GET_IRQ_INFO = 0x3B6D;
    public static final long VFIO_DEVICE_SET_IRQS = 0x3B6E;
    public static final long VFIO_DEVICE_RESET = 0x3B6F;
    public static final long VFIO_IOMMU_MAP_DMA = 0x3B71;
    public static final long VFIO_IOMMU_UNMAP_DMA = 0x3B72;

    public static final int VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
    public static final int VFIO_DEVICE_FLAGS_PCI = 1 << 1;
    public static final int VFIO_REGION_INFO_FLAG_READ = 1 << 0;
    public static final int VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
    public static final int VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;

    // PCI region and interrupt indexes (enums in C)
    public static final int VFIO_PCI_BAR0_REGION_INDEX = 0;
    public static final int VFIO_PCI_BAR5_REGION_INDEX = 5;
    public static final int VFIO_PCI_CONFIG_REGION_INDEX = 7;
    public static final int VFIO_PCI_INTX_IRQ_INDEX = 0;
    public static final int VFIO_PCI_MSI_IRQ_INDEX = 1;
    public static final int VFIO_PCI_MSIX_IRQ_INDEX = 2;

    public static final int VFIO_IRQ_INFO_EVENTFD = 1 << 0;
    public static final int VFIO_IRQ_INFO_MASKABLE = 1 << 1;
    public static final int VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;
    public static final int VFIO_IRQ_SET_DATA_NONE = 1 << 0;
    public static final int VFIO_IRQ_SET_DATA_BOOL = 1 << 1;
    public static final int VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
    public static final int VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
    public static final int VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
    public static final int VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;

    public static final int VFIO_DMA_MAP_FLAG_READ = 1 << 0;
    public static final int VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;

    /** {@code struct vfio_group_status}. */
    public static final StructLayout GROUP_STATUS = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags")).withName("vfio_group_status");

    /** {@code struct vfio_device_info} (without the capability chain that may follow). */
    public static final StructLayout DEVICE_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"), JAVA_INT.withName("num_regions"),
            JAVA_INT.withName("num_irqs"), JAVA_INT.withName("cap_offset"))
            .withName("vfio_device_info");

    /** {@code struct vfio_region_info}. */
    public static final StructLayout REGION_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"), JAVA_INT.withName("index"),
            JAVA_INT.withName("cap_offset"), JAVA_LONG.withName("size"), JAVA_LONG.withName("offset"))
            .withName("vfio_region_info");

    /** {@code struct vfio_irq_info}. */
    public static final StructLayout IRQ_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"), JAVA_INT.withName("index"),
            JAVA_INT.withName("count")).withName("vfio_irq_info");

    /** {@code struct vfio_irq_set}; its {@code data[]} (here: eventfds, one s32 each) follows the header. */
    public static final StructLayout IRQ_SET = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"), JAVA_INT.withName("index"),
            JAVA_INT.withName("start"), JAVA_INT.withName("count")).withName("vfio_irq_set");

    /** {@code struct vfio_iommu_type1_dma_map}. */
    public static final StructLayout DMA_MAP = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"), JAVA_LONG.withName("vaddr"),
            JAVA_LONG.withName("iova"), JAVA_LONG.withName("size")).withName("vfio_iommu_type1_dma_map");

    /** {@code struct vfio_iommu_type1_dma_unmap} (without the optional bitmap data). */
    public static final StructLayout DMA_UNMAP = MemoryLayout.structLayout(
            JAVA_INT.withName("argsz"), JAVA_INT.withName("flags"), JAVA_LONG.withName("iova"),
            JAVA_LONG.withName("size")).withName("vfio_iommu_type1_dma_unmap");
}
