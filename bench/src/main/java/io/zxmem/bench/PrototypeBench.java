package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.NativeAccess;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Design prototypes, not zxmem, that price the fixes proposed in bench/RESULTS.md; raw table only
 * (no zx_/c_/java_ name).
 *
 * <p>{@code proto_segment*}: three ways to give a memfd mapping a {@link MemorySegment}, each around
 * the same memfd cycle with one byte written through the segment (compare with
 * {@code CreateMapBench.c_cycle_touch} and {@code zx_cycle_touch}): the options for
 * {@code Mapping.segment()}'s lifetime. {@code proto_recycledMemfd}: the cycle of
 * {@code CreateMapBench.c_cycle} with a memfd kept from one VMO to the next (compare with
 * {@code java_cycle_ffmSyscalls}).
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PrototypeBench extends BenchDefaults {
    private static final LibC C = LibC.get();
    private static final int RW = Linux.PROT_READ | Linux.PROT_WRITE;

    @Param({"4096"})
    public long size;

    /** A memfd kept across operations, for proto_recycledMemfd. */
    private int pooled = -1;

    private int memfd() {
        int fd = C.memfd_create("zxmem-vmo", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        C.ftruncate(fd, size);
        return fd;
    }

    /** What zxmem does today: a shared arena per mapping, closed (a handshake) before munmap. */
    @Benchmark
    public long proto_segmentSharedArena() {
        int fd = memfd();
        MemorySegment p = C.mmap(MemorySegment.NULL, size, RW, Linux.MAP_SHARED, fd, 0);
        Arena arena = Arena.ofShared();
        NativeAccess.segment(p, size, arena, null).set(JAVA_BYTE, 0, (byte) 1);
        arena.close();
        C.munmap(p, size);
        C.close(fd);
        return p.address();
    }

    /**
     * No handshake: the segment belongs to an automatic arena; closing swaps the VMO's pages for
     * anonymous scratch memory (mmap MAP_FIXED over the range), so a stale segment can neither crash
     * nor reach the VMO, and the garbage collector unmaps the range once no segment is reachable.
     * A stale segment then reads zero instead of throwing.
     */
    @Benchmark
    public long proto_segmentAutoArenaPlaceholder() {
        int fd = memfd();
        MemorySegment p = C.mmap(MemorySegment.NULL, size, RW, Linux.MAP_SHARED, fd, 0);
        long address = p.address();
        long length = size;
        MemorySegment s = NativeAccess.segment(p, size, Arena.ofAuto(),
                unused -> C.munmap(MemorySegment.ofAddress(address), length));
        s.set(JAVA_BYTE, 0, (byte) 1);
        C.mmap(p, size, RW, Linux.MAP_FIXED | Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS | Linux.MAP_NORESERVE, -1, 0);
        C.close(fd);
        return address;
    }

    /** No lifetime at all (unsafe after munmap): the floor for a segment-based touch from Java. */
    @Benchmark
    public long proto_segmentNoArena() {
        int fd = memfd();
        MemorySegment p = C.mmap(MemorySegment.NULL, size, RW, Linux.MAP_SHARED, fd, 0);
        NativeAccess.segment(p, size).set(JAVA_BYTE, 0, (byte) 1);
        C.munmap(p, size);
        C.close(fd);
        return p.address();
    }

    /**
     * A small-VMO pool: instead of memfd_create + close, size a kept memfd up, map, unmap, and truncate
     * it to 0 (which frees its pages, so the next user starts from zeros).
     */
    @Benchmark
    public long proto_recycledMemfd() {
        if (pooled < 0) {
            pooled = C.memfd_create("zxmem-vmo", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        }
        C.ftruncate(pooled, size);
        MemorySegment p = C.mmap(MemorySegment.NULL, size, RW, Linux.MAP_SHARED, pooled, 0);
        C.munmap(p, size);
        C.ftruncate(pooled, 0);
        return p.address();
    }

    @TearDown
    public void closePool() {
        if (pooled >= 0) {
            C.close(pooled);
            pooled = -1;
        }
    }
}
