package io.zxmem.physical.vfio;

import io.zxmem.Status;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.Vfio;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import java.lang.foreign.MemorySegment;

/**
 * A BAR mapped through VFIO: the device descriptor, mmap'ed at the region's offset (VFIO places
 * region {@code i} at {@code i << 40}). The kernel maps BARs uncached; the cache policy cannot change that.
 */
public final class VfioRegion implements PciRegion {
    private final VfioDevice device;
    private final int bar;
    private final long base;
    private final long size;
    private final long regionOffset;
    private boolean closed;

    /** Takes over one reference to {@code device} (released by {@link #close()}, also when this throws). */
    public VfioRegion(VfioDevice device, int bar, long physicalAddress, String op) {
        try {
            long[] info = device.regionInfo(Vfio.VFIO_PCI_BAR0_REGION_INDEX + bar);
            if ((info[0] & Vfio.VFIO_REGION_INFO_FLAG_MMAP) == 0 || info[1] == 0) {
                throw Sys.fail(Status.ERR_NOT_SUPPORTED, op, "VFIO cannot mmap BAR " + bar + " of " + device.bdf());
            }
            this.device = device;
            this.bar = bar;
            this.base = physicalAddress;
            this.size = Sys.roundUp(info[1]);
            this.regionOffset = info[2];
        } catch (LinuxException e) {
            device.release();
            throw Sys.fail(op, e);
        } catch (RuntimeException e) {
            device.release();
            throw e;
        }
    }

    public VfioDevice device() {
        return device;
    }

    public int bar() {
        return bar;
    }

    @Override
    public String bdf() {
        return device.bdf();
    }

    @Override
    public String backend() {
        return "vfio";
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        int flags = Linux.MAP_SHARED | (at.address() != 0 ? Linux.MAP_FIXED : 0);
        return Sys.C.mmap(at, length, prot, flags, device.fd(), regionOffset + offset);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            device.release();
        }
    }
}
