package io.zxmem.physical;

import io.zxmem.internal.Ranges;
import static io.zxmem.linux.sys.DeviceMemory.PCI_COMMAND;
import static io.zxmem.linux.sys.DeviceMemory.PCI_COMMAND_INTX_DISABLE;
import static io.zxmem.linux.sys.DeviceMemory.PCI_COMMAND_MASTER;
import static io.zxmem.linux.sys.DeviceMemory.PCI_COMMAND_MEMORY;

import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.physical.backend.PciRegion;
import io.zxmem.physical.backend.Sys;
import io.zxmem.physical.vfio.VfioDevice;
import io.zxmem.physical.vfio.VfioRegion;
import io.zxmem.spi.PhysicalRegion;
import io.zxmem.spi.Resources;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A PCI device's configuration space, little endian, read and written with {@code pread}/{@code pwrite}:
 * through the sysfs {@code config} file, or through the VFIO configuration region when the device is
 * held through VFIO (VFIO virtualises parts of it, the command register among them, and keeps its
 * copy in step only with writes that go through it).
 */
public final class ConfigSpace implements AutoCloseable {
    private final String what;
    private final int fd;
    private final long base;
    private final long size;
    private final VfioDevice vfio;
    private volatile boolean closed;

    private ConfigSpace(String what, int fd, long base, long size, VfioDevice vfio) {
        this.what = what;
        this.fd = fd;
        this.base = base;
        this.size = size;
        this.vfio = vfio;
    }

    static ConfigSpace sysfs(PciDevice d) {
        String path = d.sysfsPath().resolve("config").toString();
        int fd;
        try {
            fd = Sys.C.open(path, Linux.O_RDWR | Linux.O_CLOEXEC, 0);
        } catch (LinuxException e) {
            // without root the file opens read-only (and shows only the first 64 bytes)
            fd = Sys.open(path, Linux.O_RDONLY, "config_space(" + d.bdf() + ")");
        }
        long size = java.nio.file.Path.of(path).toFile().length();
        return new ConfigSpace("config space of " + d.bdf(), fd, 0, size == 0 ? 4096 : size, null);
    }

    /** Over the VFIO config region of {@code d}; takes a reference to the device until closed. */
    static ConfigSpace vfio(VfioDevice d) {
        d.retain();
        return new ConfigSpace("VFIO config region of " + d.bdf(), d.fd(), d.configOffset(), d.configSize(), d);
    }

    /**
     * The configuration space of the PCI device behind {@code resource}: the VFIO configuration region
     * for a {@code vfio} resource, the sysfs file otherwise.
     *
     * @param resource a PCI BAR resource ({@code Resource.pciBar})
     * @return the device's configuration space
     * @throws ZxException NOT_SUPPORTED for resources that are not a PCI BAR ({@code simulated}, plain {@code devmem})
     */
    public static ConfigSpace of(Resource resource) {
        String op = "config_space.of(" + resource + ")";
        PhysicalRegion region = Resources.region(resource, op);
        if (region instanceof VfioRegion v) {
            return vfio(v.device());
        }
        if (region instanceof PciRegion p && p.bdf() != null) {
            return PciDevice.of(p.bdf()).config();
        }
        throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "the " + region.backend() + " resource is not a PCI BAR");
    }

    private void check(String op, int offset, int width) {
        if (closed) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": the config space is closed");
        }
        if (offset < 0 || offset > size - width) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, op, "offset " + offset + " is outside the " + size + "-byte " + what);
        }
        if ((offset & (width - 1)) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "offset " + offset + " is not " + width + "-byte aligned");
        }
    }

    private long read(String op, int offset, int width) {
        check(op, offset, width);
        byte[] b = new byte[8];
        try {
            long n = Sys.C.pread(fd, MemorySegment.ofArray(b), width, base + offset);
            if (n != width) {
                throw Ranges.fail(Status.ERR_IO, op, "short read from the " + what);
            }
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        }
        return MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
    }

    private void write(String op, int offset, int width, long value) {
        check(op, offset, width);
        byte[] b = new byte[8];
        MemorySegment.ofArray(b).set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, value);
        try {
            long n = Sys.C.pwrite(fd, MemorySegment.ofArray(b), width, base + offset);
            if (n != width) {
                throw Ranges.fail(Status.ERR_IO, op, "short write to the " + what);
            }
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        }
    }

    /**
     * Reads the byte at {@code offset} of the configuration space.
     *
     * @param offset the byte offset, aligned to the width
     * @return the value, zero-extended
     */
    public int read8(int offset) {
        return (int) read("config.read8(" + offset + ")", offset, 1) & 0xff;
    }

    /**
     * Reads the 16-bit word at {@code offset} of the configuration space.
     *
     * @param offset the byte offset, aligned to the width
     * @return the value, zero-extended
     */
    public int read16(int offset) {
        return (int) read("config.read16(" + offset + ")", offset, 2) & 0xffff;
    }

    /**
     * Reads the 32-bit word at {@code offset} of the configuration space.
     *
     * @param offset the byte offset, aligned to the width
     * @return the value, zero-extended
     */
    public int read32(int offset) {
        return (int) read("config.read32(" + offset + ")", offset, 4);
    }

    /**
     * Writes the byte at {@code offset} of the configuration space.
     *
     * @param offset the byte offset, aligned to the width
     * @param value  the value; bits above the width are ignored
     */
    public void write8(int offset, int value) {
        write("config.write8(" + offset + ")", offset, 1, value);
    }

    /**
     * Writes the 16-bit word at {@code offset} of the configuration space.
     *
     * @param offset the byte offset, aligned to the width
     * @param value  the value; bits above the width are ignored
     */
    public void write16(int offset, int value) {
        write("config.write16(" + offset + ")", offset, 2, value);
    }

    /**
     * Writes the 32-bit word at {@code offset} of the configuration space.
     *
     * @param offset the byte offset, aligned to the width
     * @param value  the value; bits above the width are ignored
     */
    public void write32(int offset, int value) {
        write("config.write32(" + offset + ")", offset, 4, value);
    }

    /** {@return the command register} */
    public int command() {
        return read16(PCI_COMMAND);
    }

    private void commandBit(int bit, boolean on) {
        int c = command();
        int n = on ? c | bit : c & ~bit;
        if (n != c) {
            write16(PCI_COMMAND, n);
        }
    }

    /**
     * Sets or clears Bus Master Enable: a device may only DMA (and send MSIs) while it is set.
     *
     * @param on set or clear
     */
    public void setBusMaster(boolean on) {
        commandBit(PCI_COMMAND_MASTER, on);
    }

    /**
     * Sets or clears Memory Space Enable: while clear, the device ignores accesses to its memory BARs.
     *
     * @param on set or clear
     */
    public void setMemorySpace(boolean on) {
        commandBit(PCI_COMMAND_MEMORY, on);
    }

    /**
     * Sets or clears INTx Disable (UIO's handler sets it when the interrupt fires; clearing re-arms).
     *
     * @param on set or clear
     */
    public void setInterruptDisable(boolean on) {
        commandBit(PCI_COMMAND_INTX_DISABLE, on);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (vfio != null) {
            vfio.release();
        } else {
            Os.closeQuietly(fd);
        }
    }

    @Override
    public String toString() {
        return "ConfigSpace[" + what + "]";
    }
}
