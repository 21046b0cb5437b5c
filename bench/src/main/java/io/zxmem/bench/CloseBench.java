package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What ending a mapping costs, on one 4 KiB VMO made once (so no create or close of the VMO is timed):
 * map, write one byte, unmap. A {@link Mapping} that gave out a segment closes that segment's shared
 * arena (a JVM-wide handshake) and then waits for a second handshake before {@code munmap}
 * ({@code io.zxmem.internal.Handshakes}: a thread caught inside a non-inlined JDK access helper can
 * still finish its load after the first one); a mapping used only through its address has no arena
 * to close; a segment mapped into the caller's confined arena is unmapped by that arena's cleanup with
 * no handshake at all. {@code java_unmap_*} are the same steps with raw FFM on a memfd of the same
 * size; {@code java_handshake} is one shared arena closed, the unit the {@code Mapping} path pays twice.
 * The cost of {@code Mapping.close} with a segment is {@code zx_unmap_mappingSegment} minus
 * {@code zx_unmap_mappingAddress} plus the store (measured apart by the arena rows).
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CloseBench extends BenchDefaults {
    static final long SIZE = 4096;
    private static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;
    private static final LibC LIBC = LibC.get();

    private Vmo vmo;
    private int fd = -1;

    @Setup
    public void setUp() {
        vmo = Vmo.create(SIZE);
        fd = LIBC.memfd_create(Arena.global().allocateFrom("zxmem-closebench"), Linux.MFD_CLOEXEC);
        LIBC.ftruncate(fd, SIZE);
    }

    @TearDown
    public void tearDown() {
        vmo.close();
        LIBC.close(fd);
    }

    /** map, {@code segment()}, one store, {@code close()}: the segment's arena closed, a second handshake, munmap. */
    @Benchmark
    public long zx_unmap_mappingSegment() {
        Mapping m = vmo.map(RW, 0, SIZE);
        m.segment().set(JAVA_BYTE, 0, (byte) 1);
        m.close();
        return m.address();
    }

    /** map and {@code close()} with no segment ever made: no arena, no handshake. */
    @Benchmark
    public long zx_unmap_mappingAddress() {
        Mapping m = vmo.map(RW, 0, SIZE);
        long a = m.address();
        m.close();
        return a;
    }

    /** The arena-bound path: map into a confined arena, one store, close the arena (which unmaps). */
    @Benchmark
    public long zx_unmap_arenaConfined() {
        try (Arena arena = Arena.ofConfined()) {
            return zxStore(arena);
        }
    }

    /** As {@link #zx_unmap_arenaConfined} with a shared arena: one handshake, the caller's choice. */
    @Benchmark
    public long zx_unmap_arenaShared() {
        try (Arena arena = Arena.ofShared()) {
            return zxStore(arena);
        }
    }

    /** Raw FFM: mmap, the segment in a confined arena whose cleanup unmaps, one store, close. */
    @Benchmark
    public long java_unmap_confinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            return ffmStore(arena);
        }
    }

    /** Raw FFM with a shared arena: what a JDK user who wants a segment usable from any thread pays. */
    @Benchmark
    public long java_unmap_sharedArena() {
        try (Arena arena = Arena.ofShared()) {
            return ffmStore(arena);
        }
    }

    private long zxStore(Arena arena) {
        MemorySegment s = vmo.map(RW, 0, SIZE, arena);
        s.set(JAVA_BYTE, 0, (byte) 1);
        return s.address();
    }

    private long ffmStore(Arena arena) {
        MemorySegment p = LIBC.mmap(MemorySegment.NULL, SIZE, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0);
        MemorySegment s = p.reinterpret(SIZE, arena, seg -> LIBC.munmap(seg, seg.byteSize()));
        s.set(JAVA_BYTE, 0, (byte) 1);
        return p.address();
    }

    /** One JVM-wide handshake alone (an empty shared arena closed). */
    @Benchmark
    public void java_handshake() {
        Arena.ofShared().close();
    }
}
