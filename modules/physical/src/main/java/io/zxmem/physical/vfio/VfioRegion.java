package io.zxmem.physical.vfio;

import io.zxmem.internal.Ranges;
import io.zxmem.Status;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.Vfio;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import io.zxmem.spi.AbstractRegion;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;

/**
 * A BAR mapped through VFIO: the device descriptor, mmap'ed at the region's offset (VFIO places
 * region {@code i} at {@code i << 40}). The kernel maps BARs uncached; the cache policy cannot change that.
 */
public final class VfioRegion extends AbstractRegion implements PciRegion {
    private final VfioDevice device;
    private final int bar;
    private final long regionOffset;
    private boolean closed;

    private VfioRegion(VfioDevice device, int bar, long physicalAddress, long[] info) {
        super("vfio", physicalAddress, Sys.roundUp(info[1]));
        this.device = device;
        this.bar = bar;
        this.regionOffset = info[2];
    }

    /** Takes over one reference to {@code device} (released by {@link #close()}, also when this throws). */
    public static VfioRegion open(VfioDevice device, int bar, long physicalAddress, String op) {
        try {
            long[] info = device.regionInfo(Vfio.VFIO_PCI_BAR0_REGION_INDEX + bar);
            if ((info[0] & Vfio.VFIO_REGION_INFO_FLAG_MMAP) == 0 || info[1] == 0) {
                throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "VFIO cannot mmap BAR " + bar + " of " + device.bdf());
            }
            return new VfioRegion(device, bar, physicalAddress, info);
        } catch (LinuxException e) {
            device.release();
            throw Os.fail(op, e);
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
    public MemorySegment map(MemorySegment at, long offset, long length, int prot, int cachePolicy) {
        return PhysicalRegion.mmapShared(at, length, prot, device.fd(), regionOffset + offset);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            device.release();
        }
    }
}
