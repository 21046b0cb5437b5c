package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Mapping;
import io.zxmem.Resource;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.physical.Mmio;
import io.zxmem.physical.PciDevice;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One 32-bit register read or write through a mapped PCI BAR: zxmem's {@link Mmio} (a physical VMO
 * mapped by {@link Vmar}, {@code getIntVolatile} / {@code putIntVolatile}) next to a C loop of
 * volatile loads/stores on the same mapping. Runs only where there is a PCI device to map: in the
 * device lab (QEMU guest), see bench/RESULTS.md.
 *
 * <p>Targets: {@code edu} is BAR0 register 0x04 of QEMU's edu device (every access traps into the
 * emulator: the cost of a real device register); {@code ivshmem} is the first word of ivshmem's BAR2,
 * which QEMU backs with RAM (no trap: it exposes the CPU-side cost of the access path itself);
 * {@code simulated} is a {@code Resource.simulated} page (a memfd), which runs on any host with the
 * real CPU and JIT, outside the emulator.
 * Both sides do {@value #N} accesses per call, so C's one downcall per call is spread thin. Method
 * names follow bench/report.py's pairing: {@code zx_*} against {@code c_*} and {@code java_*}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsPrepend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@OperationsPerInvocation(MmioBench.N)
public class MmioBench {
    static final int N = 1000;

    private static final MethodHandle READ32 =
            CHarness.function("zxb_mmio_read32", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE32 =
            CHarness.function("zxb_mmio_write32", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_LONG));

    @Param({"edu", "ivshmem", "simulated"})
    public String target;

    private Resource resource;
    private Vmo vmo;
    private Mapping mapping;
    private Mmio regs;
    private long offset;
    private MemorySegment register;
    private MemorySegment segment;
    private static final java.lang.invoke.VarHandle INT = JAVA_INT.varHandle();

    @Setup(Level.Trial)
    public void setUp() {
        if (target.equals("simulated")) {
            // memory standing in for a device (a memfd): runs anywhere, real CPU, no emulator in the way
            resource = Resource.simulated(0xfe00_0000L, 4096);
            vmo = Vmo.createPhysical(resource, resource.base(), resource.size());
            mapping = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, resource.size());
            regs = Mmio.of(mapping);
            offset = 0;
            register = MemorySegment.ofAddress(mapping.address());
            segment = mapping.segment();
            return;
        }
        boolean edu = target.equals("edu");
        PciDevice dev = PciDevice.find(edu ? 0x1234 : 0x1af4, edu ? 0x11e8 : 0x1110).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + target + " device: run MmioBench in the device lab"));
        resource = Resource.pciBar(dev.bdf(), edu ? 0 : 2);
        vmo = Vmo.createPhysical(resource, resource.base(), resource.size());
        mapping = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, resource.size());
        regs = Mmio.of(mapping);
        offset = edu ? 0x04 : 0x00;
        register = MemorySegment.ofAddress(mapping.address() + offset);
        segment = mapping.segment();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mapping.close();
        vmo.close();
        resource.close();
    }

    @Benchmark
    public int zx_read32() {
        int sum = 0;
        for (int i = 0; i < N; i++) {
            sum += regs.getIntVolatile(offset);
        }
        return sum;
    }

    /**
     * As {@link #zx_read32} with the view and the offset in locals, as a driver's polling loop holds
     * them: the JIT still reloads the view's segment after every access (a volatile read orders every
     * later load), so this shows what holding them in locals does and does not save.
     */
    @Benchmark
    public int zx_read32_local() {
        Mmio r = regs;
        long o = offset;
        int sum = 0;
        for (int i = 0; i < N; i++) {
            sum += r.getIntVolatile(o);
        }
        return sum;
    }

    /**
     * Opaque is the Java ordering that matches a C {@code volatile} store (performed, in order for that
     * address, no fence); {@code putIntVolatile} adds a full fence (a locked instruction on x86).
     */
    @Benchmark
    public void zx_write32_opaque() {
        for (int i = 0; i < N; i++) {
            regs.putIntOpaque(offset, 0x5a5a0000 + i);
        }
    }

    @Benchmark
    public int zx_read32_opaque() {
        int sum = 0;
        for (int i = 0; i < N; i++) {
            sum += regs.getIntOpaque(offset);
        }
        return sum;
    }

    @Benchmark
    public int c_read32() throws Throwable {
        return (int) READ32.invokeExact(register, (long) N);
    }

    @Benchmark
    public void zx_write32() {
        for (int i = 0; i < N; i++) {
            regs.putIntVolatile(offset, 0x5a5a0000 + i);
        }
    }

    @Benchmark
    public void c_write32() throws Throwable {
        WRITE32.invokeExact(register, 0x5a5a0000, (long) N);
    }

    /** The same read with a bare VarHandle on the mapping's segment: what Mmio's checks cost. */
    @Benchmark
    public int java_read32_varHandle() {
        MemorySegment s = segment;
        int sum = 0;
        for (int i = 0; i < N; i++) {
            sum += (int) INT.getVolatile(s, offset);
        }
        return sum;
    }

    @Benchmark
    public void java_write32_varHandle() {
        MemorySegment s = segment;
        for (int i = 0; i < N; i++) {
            INT.setVolatile(s, offset, 0x5a5a0000 + i);
        }
    }
}
