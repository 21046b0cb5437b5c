package io.zxmem.spi;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.MemorySegment;

/**
 * A range of physical (device) memory that a backend can map: a PCI BAR through VFIO, UIO, the sysfs
 * {@code resourceN} file or {@code /dev/mem}, or memory that only simulates a device.
 *
 * <p>A region belongs to one {@code Resource} object and is closed once, when the last handle,
 * physical VMO and mapping of that resource are gone. {@link #map} may run on several threads at once.
 */
public interface PhysicalRegion {

    /** @return which backend maps the region: {@code vfio}, {@code uio}, {@code sysfs}, {@code devmem} or {@code simulated} */
    String backend();

    /** @return the physical address of the region's first byte */
    long base();

    /** @return the region's size in bytes (a multiple of the page size) */
    long size();

    /**
     * Maps {@code [offset, offset+length)} of the region (relative to {@link #base()}, page-aligned and
     * inside the region) {@code MAP_SHARED}.
     *
     * @param at          where to map: {@link MemorySegment#NULL} for anywhere, else a fixed address
     *                    inside a reservation the caller owns ({@code MAP_FIXED})
     * @param cachePolicy the VMO's {@code Vmo.CACHE_*} policy, honoured where the backend can
     * @return the start address (a zero-length segment)
     */
    MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy);

    /** Releases the region's descriptors. Called once, after every mapping of it is gone. */
    void close();

    /**
     * What most {@link #map} implementations do: {@code mmap(at, length, prot, MAP_SHARED, fd, offset)},
     * with {@code MAP_FIXED} when {@code at} is an address.
     */
    static MemorySegment mmapShared(MemorySegment at, long length, int prot, int fd, long offset) {
        int flags = Linux.MAP_SHARED | (at.address() != 0 ? Linux.MAP_FIXED : 0);
        return LibC.get().mmap(at, length, prot, flags, fd, offset);
    }
}
