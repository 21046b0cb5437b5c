/*
 * LabProof.java - the lab's Java proof: ONE JVM goes through every zxmem backend
 * against the guest's edu and ivshmem devices, rebinding drivers between the
 * cases with $ZXMEM_LAB_BIND_SH, and takes edu interrupts through UIO and VFIO.
 * Java 22+ FFM only (no JNI, no Unsafe). Adapted from shared/hwlab/PciMap.java.
 *
 * Guest:  java --enable-native-access=ALL-UNNAMED -cp DIR LabProof guest
 *         prints one "PASSED java ..." / "FAILED java ..." line per case, then
 *         "java proof: N passed, M failed"; exit 0 only if all passed.
 * Host:   java -cp DIR LabProof host-write FILE     fill the ivshmem backing file
 *         java -cp DIR LabProof host-check FILE NAME...   after power-off: every
 *         NAME (e.g. "J vfio") must have left a reply in the shared memory.
 * ivshmem layout: word 0 = "ZXLABIVS", word i = (i+1)*0x9E3779B97F4A7C15 up to
 * the last 4 KiB, which holds 64 reply slots of 64 bytes ("ZXLAB-REPLY ...").
 *
 * MMIO goes through VarHandle getVolatile/setVolatile, 32-bit and naturally
 * aligned: plain get/set may be merged, reordered or forwarded by the JIT (it
 * could "read back" the value just written instead of asking the device), and
 * edu ignores accesses below 0x80 that are not 4 bytes wide.
 */
import java.io.IOException;
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.*;

public class LabProof {
    // ------------------------------------------------------------------ libc
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    static MethodHandle fn(String name, FunctionDescriptor fd, Linker.Option... opts) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, opts);
    }

    static final MethodHandle OPEN = fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPT);
    static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle MMAP = fn("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPT);
    static final MethodHandle MUNMAP = fn("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    // ioctl is variadic: one handle per argument type, variadic from index 2
    static final MethodHandle IOCTL_PTR = fn("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            ERRNO_OPT, Linker.Option.firstVariadicArg(2));
    static final MethodHandle IOCTL_LONG = fn("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            ERRNO_OPT, Linker.Option.firstVariadicArg(2));
    static final MethodHandle PREAD = fn("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), ERRNO_OPT);
    static final MethodHandle PWRITE = fn("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), ERRNO_OPT);
    static final MethodHandle READ = fn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO_OPT);
    static final MethodHandle EVENTFD = fn("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_OPT);
    static final MethodHandle POLL = fn("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), ERRNO_OPT);

    static final int O_RDWR = 2, O_SYNC = 0x101000, O_CLOEXEC = 0x80000;
    static final int PROT_RW = 3, MAP_SHARED = 1, EFD_NONBLOCK = 0x800, POLLIN = 1;
    static final int EINVAL = 22, EPERM = 1;
    // <linux/vfio.h>: _IO(';', 100 + n)
    static final long VFIO_GET_API_VERSION = 0x3B64, VFIO_CHECK_EXTENSION = 0x3B65, VFIO_SET_IOMMU = 0x3B66,
            VFIO_GROUP_GET_STATUS = 0x3B67, VFIO_GROUP_SET_CONTAINER = 0x3B68, VFIO_GROUP_GET_DEVICE_FD = 0x3B6A,
            VFIO_DEVICE_GET_REGION_INFO = 0x3B6C, VFIO_DEVICE_GET_IRQ_INFO = 0x3B6D, VFIO_DEVICE_SET_IRQS = 0x3B6E;
    static final long VFIO_TYPE1v2_IOMMU = 3;
    static final int VFIO_PCI_INTX = 0, VFIO_PCI_MSI = 1, VFIO_PCI_CONFIG_REGION = 7;
    static final int IRQ_DATA_NONE = 1, IRQ_DATA_EVENTFD = 4, IRQ_ACTION_UNMASK = 1 << 4, IRQ_ACTION_TRIGGER = 1 << 5;
    // struct vfio_region_info { u32 argsz, flags, index, cap_offset; u64 size, offset; }
    static final long REGION_INFO_SIZE = 32;

    static final VarHandle I32 = JAVA_INT.varHandle();
    static final Arena ARENA = Arena.ofAuto();
    static final MemorySegment CS = ARENA.allocate(CAPTURE);

    static final long MAGIC = 0x53564942414c585aL;   // "ZXLABIVS" little endian

    /** The path is not available (open/ioctl/mmap failed): carries errno. */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int errno;
        Unavailable(String m, int errno) { super(m + " (errno " + errno + ")"); this.errno = errno; }
    }

    static int errno() { return (int) ERRNO.get(CS, 0L); }

    static int open(String path) throws Throwable {
        int fd = (int) OPEN.invokeExact(CS, ARENA.allocateFrom(path), O_RDWR | O_SYNC | O_CLOEXEC);
        if (fd < 0) throw new Unavailable("open " + path, errno());
        return fd;
    }

    static void close(int fd) {
        if (fd < 0) return;
        try {
            int r = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int ioctl(int fd, long req, MemorySegment arg) throws Throwable { return (int) IOCTL_PTR.invokeExact(CS, fd, req, arg); }

    static int ioctl(int fd, long req, long arg) throws Throwable { return (int) IOCTL_LONG.invokeExact(CS, fd, req, arg); }

    static MemorySegment mmap(int fd, long size, long offset, String what) throws Throwable {
        MemorySegment p = (MemorySegment) MMAP.invokeExact(CS, MemorySegment.NULL, size, PROT_RW, MAP_SHARED, fd, offset);
        if (p.address() == -1L) throw new Unavailable("mmap " + what, errno());
        return p.reinterpret(size);          // mmap returns a zero-length segment
    }

    /** wait until fd is readable; milliseconds waited, or -1 on timeout */
    static double waitReadable(int fd, int timeoutMs) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8);    // struct pollfd { int fd; short events, revents; }
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, (short) POLLIN);
            long t0 = System.nanoTime();
            int n = (int) POLL.invokeExact(CS, pfd, 1L, timeoutMs);
            return n == 1 ? (System.nanoTime() - t0) / 1e6 : -1;
        }
    }

    static long readLong(int fd, int bytes) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8);
            long n = (long) READ.invokeExact(CS, fd, buf, (long) bytes);
            if (n != bytes) throw new Unavailable("read " + bytes + " bytes", errno());
            return bytes == 4 ? buf.get(JAVA_INT, 0) & 0xffffffffL : buf.get(JAVA_LONG, 0);
        }
    }

    static int pread16(int fd, long off) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(2);
            if ((long) PREAD.invokeExact(CS, fd, buf, 2L, off) != 2) throw new Unavailable("pread", errno());
            return buf.get(JAVA_SHORT, 0) & 0xffff;
        }
    }

    static void pwrite16(int fd, long off, int v) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(2);
            buf.set(JAVA_SHORT, 0, (short) v);
            if ((long) PWRITE.invokeExact(CS, fd, buf, 2L, off) != 2) throw new Unavailable("pwrite", errno());
        }
    }

    // ------------------------------------------------------------ mappings
    /** A mapped BAR plus what must be released before the device can be rebound. */
    static final class Mapping implements AutoCloseable {
        final MemorySegment bar;
        final int fd;                 // resource/devmem/uio fd, or the VFIO device fd
        int container = -1, group = -1;
        long configOffset = -1;       // VFIO config region offset
        Mapping(MemorySegment bar, int fd) { this.bar = bar; this.fd = fd; }

        @Override public void close() {
            try {
                int r = (int) MUNMAP.invokeExact(bar, bar.byteSize());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            LabProof.close(fd); LabProof.close(group); LabProof.close(container);
        }
    }

    static Path dev(String bdf, String f) { return Path.of("/sys/bus/pci/devices", bdf, f); }

    static long[] barPhys(String bdf, int bar) throws IOException {
        String[] f = Files.readAllLines(dev(bdf, "resource")).get(bar).trim().split("\\s+");
        long s = Long.decode(f[0]), e = Long.decode(f[1]);
        if (s == 0) throw new Unavailable("BAR" + bar + " not assigned", 0);
        return new long[] {s, e - s + 1};
    }

    static Mapping mapSysfs(String bdf, int bar) throws Throwable {
        Path p = dev(bdf, "resource" + bar);
        int fd = open(p.toString());
        try {
            return new Mapping(mmap(fd, Files.size(p), 0, p.toString()), fd);
        } catch (Unavailable u) { close(fd); throw u; }
    }

    static Mapping mapDevmem(String bdf, int bar) throws Throwable {
        long[] b = barPhys(bdf, bar);
        int fd = open("/dev/mem");
        try {
            return new Mapping(mmap(fd, b[1], b[0], "/dev/mem"), fd);
        } catch (Unavailable u) { close(fd); throw u; }
    }

    static String uioName(String bdf) throws IOException {
        Path uioDir = dev(bdf, "uio");
        if (!Files.isDirectory(uioDir)) throw new Unavailable(uioDir + " missing (not bound to a UIO driver?)", 0);
        try (var s = Files.list(uioDir)) { return s.findFirst().orElseThrow().getFileName().toString(); }
    }

    static Mapping mapUio(String bdf, int bar) throws Throwable {
        String uio = uioName(bdf);
        long start = barPhys(bdf, bar)[0];
        for (int i = 0; i < 5; i++) {                       // MAX_UIO_MAPS
            Path m = Path.of("/sys/class/uio", uio, "maps", "map" + i);
            if (!Files.isDirectory(m)) break;
            long addr = Long.decode(Files.readString(m.resolve("addr")).trim());
            long size = Long.decode(Files.readString(m.resolve("size")).trim());
            if (addr == start) {                            // map index != BAR index
                int fd = open("/dev/" + uio);
                return new Mapping(mmap(fd, size, (long) i * 4096, "/dev/" + uio + " map" + i), fd);
            }
        }
        throw new Unavailable(uio + " exposes no map for BAR" + bar + String.format(" at 0x%x", start), 0);
    }

    static long[] regionInfo(int device, int index) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ri = a.allocate(REGION_INFO_SIZE, 8);
            ri.set(JAVA_INT, 0, (int) REGION_INFO_SIZE);
            ri.set(JAVA_INT, 8, index);
            if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, ri) != 0) throw new Unavailable("GET_REGION_INFO " + index, errno());
            return new long[] {ri.get(JAVA_INT, 4), ri.get(JAVA_LONG, 16), ri.get(JAVA_LONG, 24)};   // flags, size, offset
        }
    }

    static Mapping mapVfio(String bdf, int bar) throws Throwable {
        Path g = dev(bdf, "iommu_group");
        if (!Files.exists(g)) throw new Unavailable("no IOMMU group for " + bdf, 0);
        String group = Files.readSymbolicLink(g).getFileName().toString();
        int container = open("/dev/vfio/vfio"), grp = -1, device = -1;
        try {
            if (ioctl(container, VFIO_GET_API_VERSION, 0L) != 0) throw new Unavailable("VFIO API version", errno());
            if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) throw new Unavailable("no TYPE1v2", errno());
            grp = open("/dev/vfio/" + group);
            MemorySegment status = ARENA.allocate(8);       // struct vfio_group_status { argsz, flags }
            status.set(JAVA_INT, 0, 8);
            if (ioctl(grp, VFIO_GROUP_GET_STATUS, status) != 0 || (status.get(JAVA_INT, 4) & 1) == 0)
                throw new Unavailable("group " + group + " not viable", errno());
            if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, ARENA.allocateFrom(JAVA_INT, container)) != 0)
                throw new Unavailable("VFIO_GROUP_SET_CONTAINER", errno());
            if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0) throw new Unavailable("VFIO_SET_IOMMU", errno());
            device = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, ARENA.allocateFrom(bdf));
            if (device < 0) throw new Unavailable("VFIO_GROUP_GET_DEVICE_FD", errno());
            long[] ri = regionInfo(device, bar);
            if ((ri[0] & 4) == 0) throw new Unavailable("region " + bar + " not mmap-able", 0);
            Mapping m = new Mapping(mmap(device, ri[1], ri[2], "vfio region " + bar), device);
            m.container = container; m.group = grp;
            m.configOffset = regionInfo(device, VFIO_PCI_CONFIG_REGION)[2];
            return m;
        } catch (Throwable t) {
            close(device); close(grp); close(container);
            throw t;
        }
    }

    // ------------------------------------------------------------- checks
    static int r32(MemorySegment s, long off) { return (int) I32.getVolatile(s, off); }
    static void w32(MemorySegment s, long off, int v) { I32.setVolatile(s, off, v); }

    static void check(boolean ok, String what, long got, long want) {
        if (!ok) throw new AssertionError(String.format("%s: got 0x%x want 0x%x", what, got, want));
    }

    static void edu(MemorySegment b) throws InterruptedException {
        check(r32(b, 0) == 0x010000ed, "edu id register", r32(b, 0), 0x010000ed);
        w32(b, 4, 0x12345678);
        check(r32(b, 4) == ~0x12345678, "edu liveness (inverse)", r32(b, 4), ~0x12345678);
        w32(b, 8, 10);
        long t0 = System.nanoTime();
        while ((r32(b, 0x20) & 1) != 0 && System.nanoTime() - t0 < 10_000_000_000L) Thread.sleep(0, 100_000);
        check(r32(b, 8) == 3628800, "edu factorial(10)", r32(b, 8), 3628800);
    }

    static long pattern(long i) { return (i + 1) * 0x9E3779B97F4A7C15L; }

    static void ivshmem(MemorySegment b, String reply, int slot) {
        check(b.get(JAVA_LONG, 0) == MAGIC, "ivshmem magic", b.get(JAVA_LONG, 0), MAGIC);
        long words = (b.byteSize() - 4096) / 8, bad = 0;
        for (long i = 1; i < words; i++) if (b.getAtIndex(JAVA_LONG, i) != pattern(i)) bad++;
        check(bad == 0, "ivshmem host pattern, bad words", bad, 0);
        byte[] msg = String.format("ZXLAB-REPLY %s bar2 %d", reply, b.byteSize()).getBytes(StandardCharsets.US_ASCII);
        MemorySegment dst = b.asSlice(b.byteSize() - 4096 + 64L * slot, 64);
        dst.fill((byte) 0);
        MemorySegment.copy(msg, 0, dst, JAVA_BYTE, 0, msg.length);
    }

    // ---------------------------------------------------------- interrupts
    /** UIO: uio_pci_generic has no irqcontrol; user space clears INTx Disable in config space. */
    static String uioIrq(String bdf, Mapping m) throws Throwable {
        MemorySegment b = m.bar;
        int cfg = open(dev(bdf, "config").toString());
        StringBuilder info = new StringBuilder();
        try {
            long last = 0;
            for (int round = 0; round < 3; round++) {
                pwrite16(cfg, 4, pread16(cfg, 4) & ~0x400);      // unmask INTx
                int v = 0x100 << round;
                w32(b, 0x60, v);                                 // edu: raise
                double ms = waitReadable(m.fd, 5000);
                check(ms >= 0, "uio interrupt round " + round + " within 5 s", 0, 1);
                long count = readLong(m.fd, 4);
                check(count > last, "uio event count", count, last + 1);
                check(r32(b, 0x24) == v, "edu interrupt status", r32(b, 0x24), v);
                int cmd = pread16(cfg, 4);
                check((cmd & 0x400) != 0, "kernel handler masked INTx (command)", cmd, cmd | 0x400);
                w32(b, 0x64, v);                                 // edu: acknowledge
                last = count;
                info.append(String.format(" %.2fms", ms));
            }
            pwrite16(cfg, 4, pread16(cfg, 4) & ~0x400);
            check(waitReadable(m.fd, 200) < 0, "no interrupt after ack", 1, 0);
        } finally {
            close(cfg);
        }
        return "latency" + info;
    }

    static int setIrqs(int device, int flags, int index, int count, int eventfd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            // struct vfio_irq_set { u32 argsz, flags, index, start, count; u8 data[]; } + one s32 eventfd
            boolean data = (flags & IRQ_DATA_EVENTFD) != 0;
            MemorySegment s = a.allocate(24, 4);
            s.set(JAVA_INT, 0, data ? 24 : 20);
            s.set(JAVA_INT, 4, flags);
            s.set(JAVA_INT, 8, index);
            s.set(JAVA_INT, 12, 0);
            s.set(JAVA_INT, 16, count);
            s.set(JAVA_INT, 20, eventfd);
            return ioctl(device, VFIO_DEVICE_SET_IRQS, s);
        }
    }

    static void busMaster(Mapping m, boolean on) throws Throwable {
        int cmd = pread16(m.fd, m.configOffset + 4);
        pwrite16(m.fd, m.configOffset + 4, on ? cmd | 4 : cmd & ~4);
    }

    /**
     * VFIO INTx or MSI through an eventfd. The eventfd is waited on by a separate
     * platform thread that is already blocked in poll() when the device raises,
     * as a library's interrupt thread would be.
     */
    static String vfioIrq(Mapping m, int index) throws Throwable {
        MemorySegment b = m.bar;
        int efd = (int) EVENTFD.invokeExact(CS, 0, O_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0) throw new Unavailable("eventfd", errno());
        StringBuilder info = new StringBuilder();
        try {
            if (index == VFIO_PCI_MSI) busMaster(m, true);       // MSI is a DMA write
            if (setIrqs(m.fd, IRQ_DATA_EVENTFD | IRQ_ACTION_TRIGGER, index, 1, efd) != 0)
                throw new Unavailable("VFIO_DEVICE_SET_IRQS", errno());
            for (int round = 0; round < 3; round++) {
                double[] waited = {-2};
                long[] count = {0};
                Thread waiter = Thread.ofPlatform().start(() -> {
                    try {
                        waited[0] = waitReadable(efd, 5000);
                        if (waited[0] >= 0) count[0] = readLong(efd, 8);
                    } catch (Throwable t) { throw new RuntimeException(t); }
                });
                Thread.sleep(20);                                // let it block in poll()
                int v = 0x1000 << round;
                long t0 = System.nanoTime();
                w32(b, 0x60, v);                                 // edu: raise
                waiter.join(10_000);
                double ms = (System.nanoTime() - t0) / 1e6;
                check(waited[0] >= 0, "interrupt round " + round + " within 5 s", 0, 1);
                check(count[0] == 1, "eventfd count", count[0], 1);
                check(r32(b, 0x24) == v, "edu interrupt status", r32(b, 0x24), v);
                w32(b, 0x64, v);                                 // edu: acknowledge
                if (index == VFIO_PCI_INTX)                      // INTx is auto-masked by VFIO
                    setIrqs(m.fd, IRQ_DATA_NONE | IRQ_ACTION_UNMASK, index, 1, -1);
                info.append(String.format(" %.2fms", ms));
            }
        } finally {
            setIrqs(m.fd, IRQ_DATA_NONE | IRQ_ACTION_TRIGGER, index, 0, -1);
            if (index == VFIO_PCI_MSI) busMaster(m, false);
            close(efd);
        }
        return "raise-to-Java-thread" + info;
    }

    // -------------------------------------------------------------- driver
    interface Case { String run() throws Throwable; }

    static int passed, failed;
    static final List<String> failures = new ArrayList<>();

    static void test(String name, Case c) {
        long t0 = System.nanoTime();
        String note;
        boolean ok;
        try {
            note = c.run();
            ok = true;
        } catch (Throwable t) {
            note = t.toString();
            ok = false;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf("%s java %-52s %7.1f ms%s%n", ok ? "PASSED" : "FAILED", name, ms,
                note == null || note.isEmpty() ? "" : "  (" + note + ")");
        if (ok) passed++; else { failed++; failures.add(name); }
    }

    static void bind(String bdf, String driver) throws Exception {
        String sh = System.getenv().getOrDefault("ZXMEM_LAB_BIND_SH", "/run/zxmem-lab/bind.sh");
        Process p = new ProcessBuilder(sh, bdf, driver).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new IllegalStateException("bind.sh hangs"); }
        if (p.exitValue() != 0) throw new IllegalStateException("bind.sh " + bdf + " " + driver + " -> " + p.exitValue() + ": " + out);
        if (!out.isEmpty()) System.out.println("INFO " + out);
    }

    static int bindRc(String bdf, String driver) throws Exception {
        String sh = System.getenv().getOrDefault("ZXMEM_LAB_BIND_SH", "/run/zxmem-lab/bind.sh");
        Process p = new ProcessBuilder(sh, bdf, driver).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    static String expectUnavailable(Case c, int wantErrno) throws Throwable {
        try {
            c.run();
        } catch (Unavailable u) {
            if (wantErrno >= 0 && u.errno != wantErrno) throw new AssertionError("wrong errno: " + u.getMessage());
            return "as expected: " + u.getMessage();
        }
        throw new AssertionError("mapping succeeded, expected it to be refused");
    }

    static void guest() throws Throwable {
        String edu = System.getenv().getOrDefault("ZXMEM_LAB_EDU_BDF", "0000:00:10.0");
        String iv = System.getenv().getOrDefault("ZXMEM_LAB_IVSHMEM_BDF", "0000:00:11.0");

        test("bind edu,ivshmem -> none", () -> { bind(edu, "none"); bind(iv, "none"); return ""; });
        test("sysfs  edu BAR0 id/liveness/factorial", () -> { try (Mapping m = mapSysfs(edu, 0)) { edu(m.bar); } return ""; });
        test("sysfs  ivshmem BAR2 host pattern + reply", () -> { try (Mapping m = mapSysfs(iv, 2)) { ivshmem(m.bar, "J sysfs", 4); } return ""; });
        test("devmem edu BAR0 id/liveness/factorial", () -> { try (Mapping m = mapDevmem(edu, 0)) { edu(m.bar); } return ""; });
        test("devmem ivshmem BAR2 host pattern + reply", () -> { try (Mapping m = mapDevmem(iv, 2)) { ivshmem(m.bar, "J devmem", 5); } return ""; });

        test("bind edu,ivshmem -> uio_pci_generic", () -> { bind(edu, "uio_pci_generic"); bind(iv, "uio_pci_generic"); return ""; });
        test("uio    edu BAR0 id/liveness/factorial", () -> { try (Mapping m = mapUio(edu, 0)) { edu(m.bar); } return ""; });
        test("uio    edu INTx interrupt x3 (poll /dev/uioN)", () -> { try (Mapping m = mapUio(edu, 0)) { return uioIrq(edu, m); } });
        test("uio    ivshmem BAR2 refused (64-bit prefetchable)", () -> expectUnavailable(() -> { mapUio(iv, 2).close(); return ""; }, -1));
        test("sysfs  ivshmem BAR2 while bound to uio", () -> { try (Mapping m = mapSysfs(iv, 2)) { ivshmem(m.bar, "J sysfs-uio", 6); } return ""; });

        test("bind edu,ivshmem -> vfio-pci", () -> { bind(edu, "vfio-pci"); bind(iv, "vfio-pci"); return ""; });
        test("vfio   edu BAR0 id/liveness/factorial", () -> { try (Mapping m = mapVfio(edu, 0)) { edu(m.bar); } return ""; });
        test("vfio   edu INTx interrupt x3 (eventfd)", () -> { try (Mapping m = mapVfio(edu, 0)) { return vfioIrq(m, VFIO_PCI_INTX); } });
        test("vfio   edu MSI interrupt x3 (eventfd, bus master)", () -> { try (Mapping m = mapVfio(edu, 0)) { return vfioIrq(m, VFIO_PCI_MSI); } });
        test("vfio   ivshmem BAR2 host pattern + reply", () -> { try (Mapping m = mapVfio(iv, 2)) { ivshmem(m.bar, "J vfio", 7); } return ""; });
        test("strict devmem: sysfs/devmem refused while VFIO holds edu", () -> {
            try (Mapping held = mapVfio(edu, 0)) {
                String a = expectUnavailable(() -> { mapSysfs(edu, 0).close(); return ""; }, EINVAL);
                String d = expectUnavailable(() -> { mapDevmem(edu, 0).close(); return ""; }, EPERM);
                int rc = bindRc(edu, "none");
                check(rc == 3, "bind.sh refuses to unbind an open VFIO device (exit 3)", rc, 3);
                return "sysfs EINVAL, /dev/mem EPERM, bind.sh exit 3";
            }
        });

        test("bind edu,ivshmem -> none (after VFIO)", () -> { bind(edu, "none"); bind(iv, "none"); return ""; });
        test("sysfs  edu BAR0 again after VFIO released it", () -> { try (Mapping m = mapSysfs(edu, 0)) { edu(m.bar); } return ""; });

        System.out.println("java proof: " + passed + " passed, " + failed + " failed");
        if (failed > 0) System.out.println("java proof failures: " + failures);
    }

    // ----------------------------------------------------------------- host
    static void hostWrite(Path file) throws IOException {
        long size = Files.size(file);
        try (Arena a = Arena.ofConfined(); var ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            MemorySegment m = ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, size, a);
            m.fill((byte) 0);
            m.set(JAVA_LONG, 0, MAGIC);
            for (long i = 1; i < (size - 4096) / 8; i++) m.setAtIndex(JAVA_LONG, i, pattern(i));
            m.force();
        }
    }

    static int hostCheck(Path file, List<String> want) throws IOException {
        byte[] data = Files.readAllBytes(file);
        List<String> found = new ArrayList<>();
        for (int s = 0; s < 64; s++) {
            int off = data.length - 4096 + 64 * s, end = off;
            while (end < off + 64 && data[end] != 0) end++;
            if (end > off) found.add(new String(data, off, end - off, StandardCharsets.US_ASCII));
        }
        int bad = 0;
        for (String w : want) {
            boolean ok = found.stream().anyMatch(r -> r.startsWith("ZXLAB-REPLY " + w + " "));
            System.out.println((ok ? "PASSED" : "FAILED") + " host   ivshmem reply from \"" + w + "\" read back after power-off");
            if (!ok) bad++;
        }
        return bad;
    }

    public static void main(String[] a) throws Throwable {
        switch (a.length == 0 ? "" : a[0]) {
            case "guest" -> {
                var start = ProcessHandle.current().info().startInstant();
                start.ifPresent(t -> System.out.printf("TIME java process start to main %d ms%n",
                        java.time.Duration.between(t, java.time.Instant.now()).toMillis()));
                long t0 = System.nanoTime();
                guest();
                System.out.printf("TIME java proof main() %.1f s%n", (System.nanoTime() - t0) / 1e9);
                System.exit(failed == 0 ? 0 : 1);
            }
            case "host-write" -> hostWrite(Path.of(a[1]));
            case "host-check" -> System.exit(hostCheck(Path.of(a[1]), List.of(a).subList(2, a.length)) == 0 ? 0 : 1);
            default -> {
                System.err.println("usage: LabProof guest | host-write FILE | host-check FILE NAME...");
                System.exit(2);
            }
        }
    }
}
