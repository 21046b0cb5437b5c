/**
 * zxmem: Fuchsia Zircon virtual memory objects on Linux. The public API is the package
 * {@code io.zxmem}; {@code io.zxmem.internal} (the VM objects) and {@code io.zxmem.internal.store}
 * (where the bytes live) are implementation; {@code io.zxmem.spi} is what zxmem's own modules
 * (children, sharing, physical memory, pagers) implement and exchange. modules/core/README.md
 * describes the layers.
 */
module io.zxmem {
    requires transitive io.zxmem.linux;

    exports io.zxmem;
    exports io.zxmem.spi to io.zxmem.cow, io.zxmem.share, io.zxmem.physical, io.zxmem.pager;
    // The errno table and failure helper (Os), unsigned range arithmetic and the page size: shared
    // with the physical backends and the channel transport, so there is one of each.
    exports io.zxmem.internal to io.zxmem.physical, io.zxmem.share;
    exports io.zxmem.internal.store to io.zxmem.cow, io.zxmem.pager;

    uses io.zxmem.spi.ChildEngine;
    // Channels between processes: the transport comes from io.zxmem.share.
    uses io.zxmem.spi.ChannelTransport;
    // Physical memory backends (VFIO, UIO, sysfs, /dev/mem) come from io.zxmem.physical.
    uses io.zxmem.spi.PhysicalProvider;
    // User pagers (Pager) come from io.zxmem.pager.
    uses io.zxmem.spi.PagerProvider;
}
