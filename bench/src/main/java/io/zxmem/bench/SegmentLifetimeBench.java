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

/**
 * Design prototypes, not zxmem: three ways to give a memfd mapping a {@link MemorySegment}, each
 * around the same memfd cycle with one byte written through the segment (compare with
 * {@code CreateMapBench.c_cycle_touch} and {@code zx_cycle_touch}). They price the options for
 * {@code Mapping.segment()}'s lifetime; see bench/RESULTS.md. Raw table only (no zx_/c_/java_ name).
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SegmentLifetimeBench extends BenchDefaults {
    private static final LibC C = LibC.get();
    private static final int RW = Linux.PROT_READ | Linux.PROT_WRITE;

    @Param({"4096"})
    public long size;

    private int memfd() {
        int fd = C.memfd_create("zxmem-vmo", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        C.ftruncate(fd, size);
        return fd;
    }

    /** What zxmem does today: a shared arena per mapping, closed (a handshake) before munmap. */
    @Benchmark
    public long proto_sharedArena() {
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
    public long proto_autoArenaPlaceholder() {
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
    public long proto_noArena() {
        int fd = memfd();
        MemorySegment p = C.mmap(MemorySegment.NULL, size, RW, Linux.MAP_SHARED, fd, 0);
        NativeAccess.segment(p, size).set(JAVA_BYTE, 0, (byte) 1);
        C.munmap(p, size);
        C.close(fd);
        return p.address();
    }
}
