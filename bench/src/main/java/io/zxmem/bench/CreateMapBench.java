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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
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
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CreateMapBench extends BenchDefaults {
    private static final MethodHandle C_CYCLE =
            CHarness.function("zxb_memfd_cycle", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle C_CYCLE_TOUCH =
            CHarness.function("zxb_memfd_cycle_touch", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final LibC LIBC = LibC.get();
    private static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;
    /** The memfd name, encoded once (as zxmem does), so the raw FFM rows pay no per-call encoding either. */
    private static final MemorySegment NAME = Arena.global().allocateFrom("zxmem-vmo");

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

    /**
     * The natural Java path (issue 10): create, map into a confined arena, write one byte through the
     * segment, close the arena (which unmaps), close the VMO. Compared with {@link #c_touch} and with
     * {@link #java_touch_ffmSyscalls}, the same system calls made with raw FFM.
     */
    @Benchmark
    public long zx_touch_arenaConfined() {
        try (Vmo vmo = Vmo.create(size); Arena arena = Arena.ofConfined()) {
            MemorySegment s = vmo.map(RW, 0, size, arena);
            s.set(JAVA_BYTE, 0, (byte) 1);
            return s.address();
        }
    }

    /** As {@link #zx_touch_arenaConfined} with a shared arena: its close is a JVM-wide handshake. */
    @Benchmark
    public long zx_touch_arenaShared() {
        try (Vmo vmo = Vmo.create(size); Arena arena = Arena.ofShared()) {
            MemorySegment s = vmo.map(RW, 0, size, arena);
            s.set(JAVA_BYTE, 0, (byte) 1);
            return s.address();
        }
    }

    /** As {@link #zx_cycle_touch} (a {@code Mapping}, whose segment lives in a shared arena of its own). */
    @Benchmark
    public long zx_touch_mapping() {
        return zx_cycle_touch();
    }

    /** memfd_create + ftruncate + mmap + one byte written + munmap + close, all in C (= c_cycle_touch). */
    @Benchmark
    public void c_touch() throws Throwable {
        CHarness.check("zxb_memfd_cycle_touch", (int) C_CYCLE_TOUCH.invokeExact(size));
    }

    /**
     * The same system calls as C's touch cycle from Java with raw FFM (zxmem's libc bindings, errno
     * captured) and a segment with no lifetime at all: the floor for any Java path, and unsafe (a
     * stale segment would crash the JVM).
     */
    @Benchmark
    public long java_touch_ffmSyscalls() {
        int fd = LIBC.memfd_create(NAME, Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        LIBC.ftruncate(fd, size);
        MemorySegment p = LIBC.mmap(MemorySegment.NULL, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0);
        p.reinterpret(size).set(JAVA_BYTE, 0, (byte) 1);
        LIBC.munmap(p, size);
        LIBC.close(fd);
        return p.address();
    }

    /** As {@link #java_touch_ffmSyscalls}, the segment in a confined arena whose cleanup unmaps (safe). */
    @Benchmark
    public long java_touch_ffmConfinedArena() {
        int fd = LIBC.memfd_create(NAME, Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        try (Arena arena = Arena.ofConfined()) {
            LIBC.ftruncate(fd, size);
            MemorySegment p = LIBC.mmap(MemorySegment.NULL, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0);
            MemorySegment s = p.reinterpret(size, arena, seg -> LIBC.munmap(seg, seg.byteSize()));
            s.set(JAVA_BYTE, 0, (byte) 1);
            return p.address();
        } finally {
            LIBC.close(fd);
        }
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
        int fd = LIBC.memfd_create(NAME, Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
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
