package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One VMO's life: create, map, unmap, close ({@code zx_vmo_create} + {@code zx_vmar_map} +
 * {@code zx_vmar_unmap} + {@code zx_handle_close}), next to the same system calls made by C in one
 * downcall and next to the plain-Java ways of getting {@code size} bytes of off-heap memory.
 *
 * <p>Method names follow the report's convention ({@code bench/report.py}): {@code zx_OP[_VARIANT]}
 * is zxmem, compared with {@code c_OP[_VARIANT]} (or {@code c_OP}) and with every {@code java_OP_*}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CreateMapBench {
    private static final MethodHandle C_CYCLE =
            CHarness.function("zxb_memfd_cycle", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle C_CYCLE_TOUCH =
            CHarness.function("zxb_memfd_cycle_touch", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final LibC LIBC = LibC.get();
    private static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;

    @Param({"4096", "65536", "1048576", "16777216"})
    public long size;

    /** Variant A: the mapping is used by address only (handed to native code), no segment. */
    @Benchmark
    public long zx_cycle() {
        Vmo vmo = Vmo.create(size);
        Mapping m = Vmar.root().map(RW, vmo, 0, size);
        long address = m.address();
        m.close();
        vmo.close();
        return address;
    }

    /**
     * Variant B: also takes the mapping's segment and writes one byte through it. The segment lives in
     * a shared arena that {@code close()} closes before unmapping, so stale segments throw instead of
     * crashing; that close is what this variant adds to A (besides the page fault).
     */
    @Benchmark
    public long zx_cycle_touch() {
        Vmo vmo = Vmo.create(size);
        Mapping m = Vmar.root().map(RW, vmo, 0, size);
        m.segment().set(JAVA_BYTE, 0, (byte) 1);
        long address = m.address();
        m.close();
        vmo.close();
        return address;
    }

    /** memfd_create + ftruncate + mmap(MAP_SHARED) + munmap + close, all in C. */
    @Benchmark
    public void c_cycle() throws Throwable {
        CHarness.check("zxb_memfd_cycle", (int) C_CYCLE.invokeExact(size));
    }

    /** As {@link #c_cycle}, writing one byte of the mapping before unmapping it. */
    @Benchmark
    public void c_cycle_touch() throws Throwable {
        CHarness.check("zxb_memfd_cycle_touch", (int) C_CYCLE_TOUCH.invokeExact(size));
    }

    /**
     * The same five system calls from Java through zxmem's own libc bindings (one downcall each, with
     * errno capture): what zxmem's bookkeeping costs on top of its native layer is zx_cycle minus this.
     */
    @Benchmark
    public long java_cycle_ffmSyscalls() {
        int fd = LIBC.memfd_create("zxmem-vmo", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        LIBC.ftruncate(fd, size);
        MemorySegment p = LIBC.mmap(MemorySegment.NULL, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0);
        LIBC.munmap(p, size);
        LIBC.close(fd);
        return p.address();
    }

    /** malloc + zeroing + free: the plain-Java choice for scratch memory of one thread. */
    @Benchmark
    public void java_cycle_arenaConfined(Blackhole bh) {
        try (Arena arena = Arena.ofConfined()) {
            bh.consume(arena.allocate(size));
        }
    }

    /** Zeroed direct memory, freed by the garbage collector (which this cost includes, amortised). */
    @Benchmark
    public void java_cycle_allocateDirect(Blackhole bh) {
        bh.consume(ByteBuffer.allocateDirect((int) size));
    }
}
