package io.zxmem.physical;

import io.zxmem.internal.Ranges;
import static io.zxmem.linux.sys.Vfio.VFIO_IRQ_SET_ACTION_TRIGGER;
import static io.zxmem.linux.sys.Vfio.VFIO_IRQ_SET_ACTION_UNMASK;
import static io.zxmem.linux.sys.Vfio.VFIO_PCI_INTX_IRQ_INDEX;
import static io.zxmem.linux.sys.Vfio.VFIO_PCI_MSI_IRQ_INDEX;

import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.Sys;
import io.zxmem.physical.uio.UioRegion;
import io.zxmem.physical.vfio.VfioDevice;
import io.zxmem.physical.vfio.VfioRegion;
import io.zxmem.spi.PhysicalRegion;
import io.zxmem.spi.Resources;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

/**
 * The interrupt of the PCI device behind a resource, delivered to a Java thread.
 *
 * <ul>
 *   <li><b>VFIO</b>: {@code VFIO_DEVICE_SET_IRQS} points the device's MSI (when it has one, with Bus
 *       Master Enable set, since an MSI is a memory write by the device) or its INTx line at an
 *       eventfd. VFIO masks INTx in its handler; {@link #ack()} unmasks it.</li>
 *   <li><b>UIO</b> ({@code uio_pci_generic}): a read of {@code /dev/uioN} returns the interrupt count.
 *       The kernel's handler sets INTx Disable in the command register; {@link #ack()} clears it through
 *       the configuration space, which re-arms the line.</li>
 * </ul>
 *
 * <p>A driver's loop: {@code await}, handle the device (acknowledge its own interrupt status so that a
 * level-triggered line drops), then {@code ack()}. {@link #close()} from another thread wakes a waiting
 * {@code await} with {@link Status#ERR_CANCELED}.
 */
public final class Interrupt implements AutoCloseable {
    /** Which interrupt to use. */
    public enum Mode {
        /** MSI when the device has it (VFIO), otherwise INTx. */
        AUTO,
        /** The legacy level-triggered line. */
        INTX,
        /** Message-signalled (VFIO only). */
        MSI
    }

    private interface Source {
        int fd();

        /** {@return interrupts since the previous call, after fd became readable} */
        long take();

        void ack();

        void close();
    }

    private final Source source;
    private final String kind;
    private final int cancel;
    private final Object lock = new Object();
    private int waiters;
    private boolean closed;

    private Interrupt(Source source, String kind) {
        int c;
        try {
            c = Sys.C.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        } catch (LinuxException e) {
            source.close();
            throw Os.fail("interrupt.open", e);
        }
        this.source = source;
        this.kind = kind;
        this.cancel = c;
    }

    /**
     * {@code open(resource, Mode.AUTO)}.
     *
     * @param resource a resource of the device
     * @return the interrupt; close it to release it
     */
    public static Interrupt open(Resource resource) {
        return open(resource, Mode.AUTO);
    }

    /**
     * Enables the interrupt of the device behind {@code resource} and routes it here.
     *
     * @param resource a resource of the device
     * @param mode     which kind of interrupt to use
     * @return the interrupt; close it to release it
     * @throws ZxException NOT_SUPPORTED for backends without interrupts (sysfs, devmem, simulated) or a
     *                     mode the device lacks
     */
    public static Interrupt open(Resource resource, Mode mode) {
        String op = "interrupt.open(" + resource + ", " + mode + ")";
        PhysicalRegion region = Resources.region(resource, op);
        try {
            if (region instanceof VfioRegion v) {
                return vfio(v.device(), mode, op);
            }
            if (region instanceof UioRegion u) {
                if (mode == Mode.MSI) {
                    throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "UIO delivers INTx only");
                }
                return uio(u, op);
            }
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        }
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "the " + region.backend()
                + " backend cannot deliver interrupts; bind the device to vfio-pci or uio_pci_generic");
    }

    private static Interrupt vfio(VfioDevice d, Mode mode, String op) {
        boolean msi = mode == Mode.MSI || (mode == Mode.AUTO && d.irqInfo(VFIO_PCI_MSI_IRQ_INDEX)[1] > 0);
        int index = msi ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_INTX_IRQ_INDEX;
        if (d.irqInfo(index)[1] == 0) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "the device has no " + (msi ? "MSI" : "INTx"));
        }
        d.retain();
        int efd = -1;
        ConfigSpace cfg = null;
        boolean masterWasOn = true;
        try {
            efd = Sys.C.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
            if (msi) {
                cfg = configOf(d);
                masterWasOn = (cfg.command() & io.zxmem.linux.sys.DeviceMemory.PCI_COMMAND_MASTER) != 0;
                cfg.setBusMaster(true);
            }
            d.setIrqs(VFIO_IRQ_SET_ACTION_TRIGGER, index, 1, efd);
        } catch (RuntimeException e) {
            Os.closeQuietly(efd);
            if (cfg != null) {
                cfg.close();
            }
            d.release();
            throw e;
        }
        int fd = efd;
        ConfigSpace config = cfg;
        boolean restoreMaster = msi && !masterWasOn;
        Source s = new Source() {
            @Override
            public int fd() {
                return fd;
            }

            @Override
            public long take() {
                return readCounter(fd, 8);
            }

            @Override
            public void ack() {
                if (index == VFIO_PCI_INTX_IRQ_INDEX) {   // VFIO auto-masks INTx in its handler
                    d.setIrqs(VFIO_IRQ_SET_ACTION_UNMASK, index, 1, -1);
                }
            }

            @Override
            public void close() {
                try {
                    d.setIrqs(VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, -1);
                    if (restoreMaster) {
                        config.setBusMaster(false);
                    }
                } finally {
                    if (config != null) {
                        config.close();
                    }
                    Os.closeQuietly(fd);
                    d.release();
                }
            }
        };
        return new Interrupt(s, msi ? "vfio-msi" : "vfio-intx");
    }

    private static ConfigSpace configOf(VfioDevice d) {
        return ConfigSpace.vfio(d);
    }

    private static Interrupt uio(UioRegion u, String op) {
        if (u.bdf() == null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, u.device() + " is not a PCI device");
        }
        int fd = Sys.open("/dev/" + u.device(), Linux.O_RDWR, op);
        ConfigSpace cfg;
        try {
            cfg = PciDevice.of(u.bdf()).config();
            cfg.setInterruptDisable(false);   // arm the line
        } catch (RuntimeException e) {
            Os.closeQuietly(fd);
            throw e;
        }
        Source s = new Source() {
            long last = -1;

            @Override
            public int fd() {
                return fd;
            }

            @Override
            public long take() {
                long count = readCounter(fd, 4);   // UIO: the total event count so far
                long n = last < 0 ? 1 : count - last;
                last = count;
                return Math.max(1, n);
            }

            @Override
            public void ack() {
                cfg.setInterruptDisable(false);
            }

            @Override
            public void close() {
                cfg.close();
                Os.closeQuietly(fd);
            }
        };
        return new Interrupt(s, "uio-intx");
    }

    private static long readCounter(int fd, int bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8);
            long n = Sys.C.read(fd, buf, bytes);
            if (n != bytes) {
                throw new ZxException(Status.ERR_IO, "interrupt: short read of the event counter");
            }
            return bytes == 4 ? buf.get(ValueLayout.JAVA_INT, 0) & 0xffffffffL : buf.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** {@return {@code vfio-msi}, {@code vfio-intx} or {@code uio-intx}} */
    public String kind() {
        return kind;
    }

    /**
     * Blocks until the device interrupts (or has interrupted since the last call).
     *
     * @param timeout how long to wait at most
     * @return how many interrupts arrived since the previous {@code await} (at least 1)
     * @throws ZxException TIMED_OUT when none arrived in time; CANCELED when closed meanwhile;
     *                     BAD_HANDLE when already closed
     */
    public long await(Duration timeout) {
        long ms = timeout == null ? 0 : Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis()));
        synchronized (lock) {
            if (closed) {
                throw new ZxException(Status.ERR_BAD_HANDLE, "interrupt.await: the interrupt is closed");
            }
            waiters++;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(Linux.POLLFD, 2);
            long size = Linux.POLLFD.byteSize();
            fds.set(ValueLayout.JAVA_INT, 0, source.fd());
            fds.set(ValueLayout.JAVA_SHORT, 4, Linux.POLLIN);
            fds.set(ValueLayout.JAVA_INT, size, cancel);
            fds.set(ValueLayout.JAVA_SHORT, size + 4, Linux.POLLIN);
            int n = Sys.C.poll(fds, 2, (int) ms);
            if (fds.get(ValueLayout.JAVA_SHORT, size + 6) != 0) {
                throw new ZxException(Status.ERR_CANCELED, "interrupt.await: the interrupt was closed while waiting");
            }
            if (n == 0) {
                throw new ZxException(Status.ERR_TIMED_OUT, "interrupt.await(" + timeout + "): no " + kind + " interrupt");
            }
            return source.take();
        } catch (LinuxException e) {
            throw Os.fail("interrupt.await", e);
        } finally {
            synchronized (lock) {
                waiters--;
                lock.notifyAll();
            }
        }
    }

    /** Re-arms the interrupt after the device's own interrupt status was acknowledged. */
    public void ack() {
        synchronized (lock) {
            if (closed) {
                throw new ZxException(Status.ERR_BAD_HANDLE, "interrupt.ack: the interrupt is closed");
            }
        }
        try {
            source.ack();
        } catch (LinuxException e) {
            throw Os.fail("interrupt.ack", e);
        }
    }

    /** Disables the interrupt and releases the descriptors; wakes a waiting {@link #await}. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try (Arena a = Arena.ofConfined()) {
                Sys.C.write(cancel, a.allocateFrom(ValueLayout.JAVA_LONG, 1L), 8);
            }
            while (waiters > 0) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        try {
            source.close();
        } finally {
            Os.closeQuietly(cancel);
        }
    }

    @Override
    public String toString() {
        return "Interrupt[" + kind + "]";
    }
}
