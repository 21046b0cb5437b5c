package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import java.lang.foreign.Arena;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code zx_vmo_read} / {@code zx_vmo_write} of {@code size} bytes at offset 0, next to one C memcpy
 * of the same bytes (same source and destination memory, called through FFM) and next to a plain
 * {@link MemorySegment#copy} through a mapping of the VMO.
 *
 * <p>The VMO's pages are written in setup, so every read finds them resident and zxmem copies
 * through its internal mapping (it uses pread only for pages not known to be resident). The copies
 * are cache-hot on both sides: this measures per-call overhead plus copy speed, not DRAM bandwidth.
 * Names follow {@code bench/report.py}'s convention (see {@link CreateMapBench}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReadWriteBench {
    private static final MethodHandle MEMCPY =
            CHarness.function("zxb_memcpy", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));

    @Param({"4096", "1048576"})
    public int size;

    private Vmo vmo;
    private Mapping mapping;
    /** The mapping's segment (shared arena), for the plain-Java copy. */
    private MemorySegment view;
    /** The mapping's address as a raw pointer, for C. */
    private MemorySegment viewAddress;
    private Arena arena;
    /** Native buffer, page-aligned like a malloc'd buffer of this size would be. */
    private MemorySegment buffer;
    private byte[] array;

    @Setup(Level.Trial)
    public void setUp() {
        vmo = Vmo.create(size);
        arena = Arena.ofShared();
        buffer = arena.allocate(size, 4096);
        for (int i = 0; i < size; i++) {
            buffer.set(JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        array = buffer.toArray(JAVA_BYTE);
        // Commit every page, so reads are served from resident pages through zxmem's internal mapping.
        vmo.write(buffer, 0);
        mapping = Vmar.root().map(Vmar.PERM_READ | Vmar.PERM_WRITE, vmo, 0, size);
        view = mapping.segment();
        viewAddress = MemorySegment.ofAddress(mapping.address());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mapping.close();
        vmo.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment zx_read_segment() {
        vmo.read(buffer, 0);
        return buffer;
    }

    @Benchmark
    public byte[] zx_read_array() {
        vmo.read(array, 0);
        return array;
    }

    @Benchmark
    public MemorySegment zx_write_segment() {
        vmo.write(buffer, 0);
        return buffer;
    }

    @Benchmark
    public byte[] zx_write_array() {
        vmo.write(array, 0);
        return array;
    }

    /** memcpy(buffer, mapping, size) in C. */
    @Benchmark
    public MemorySegment c_read() throws Throwable {
        MEMCPY.invokeExact(buffer, viewAddress, (long) size);
        return buffer;
    }

    /** memcpy(mapping, buffer, size) in C. */
    @Benchmark
    public MemorySegment c_write() throws Throwable {
        MEMCPY.invokeExact(viewAddress, buffer, (long) size);
        return buffer;
    }

    /** What a user who maps the VMO and copies by hand gets (mapping segment to native buffer). */
    @Benchmark
    public MemorySegment java_read_segmentCopy() {
        MemorySegment.copy(view, 0, buffer, 0, size);
        return buffer;
    }

    @Benchmark
    public MemorySegment java_write_segmentCopy() {
        MemorySegment.copy(buffer, 0, view, 0, size);
        return buffer;
    }

    /** Mapping segment to a heap array, the by-hand counterpart of zx_read_array. */
    @Benchmark
    public byte[] java_read_arrayCopy() {
        MemorySegment.copy(view, JAVA_BYTE, 0, array, 0, size);
        return array;
    }

    @Benchmark
    public byte[] java_write_arrayCopy() {
        MemorySegment.copy(array, 0, view, JAVA_BYTE, 0, size);
        return array;
    }
}
