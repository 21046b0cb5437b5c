package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs every benchmark body once, outside JMH, so a broken benchmark or C harness fails the build
 * rather than a benchmark run; and checks that the C side really does its work (a C baseline that
 * silently did nothing would make every ratio look bad for zxmem).
 */
class BenchmarksRunTest {
    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @ValueSource(longs = {4096, 65536, 1 << 20})
    void createMapBenchmarksRun(long size) throws Throwable {
        CreateMapBench b = new CreateMapBench();
        b.size = size;
        assertNotEquals(0L, b.zx_cycle());
        assertNotEquals(0L, b.zx_cycle_touch());
        assertNotEquals(0L, b.java_cycle_ffmSyscalls());
        b.c_cycle();
        b.c_cycle_touch();
        b.java_cycle_arenaConfined(BH);
        b.java_cycle_allocateDirect(BH);
        assertNotEquals(0L, b.zx_touch_arenaConfined());
        assertNotEquals(0L, b.zx_touch_arenaShared());
        assertNotEquals(0L, b.zx_touch_mapping());
        assertNotEquals(0L, b.java_touch_ffmSyscalls());
        assertNotEquals(0L, b.java_touch_ffmConfinedArena());
        b.c_touch();
    }

    @Test
    void closeBenchmarksRun() {
        CloseBench b = new CloseBench();
        b.setUp();
        try {
            assertNotEquals(0L, b.zx_unmap_mappingSegment());
            assertNotEquals(0L, b.zx_unmap_mappingAddress());
            assertNotEquals(0L, b.zx_unmap_arenaConfined());
            assertNotEquals(0L, b.zx_unmap_arenaShared());
            assertNotEquals(0L, b.java_unmap_confinedArena());
            assertNotEquals(0L, b.java_unmap_sharedArena());
            b.java_handshake();
        } finally {
            b.tearDown();
        }
    }

    /** The RAM-backed register benchmarks: C and every Java variant read the same register. */
    @Test
    void mmioBenchmarksReadTheSameRegister() throws Throwable {
        MmioBench b = new MmioBench();
        b.target = "simulated";
        b.setUp();
        try {
            b.zx_write32_opaque();
            int last = 0x5a5a0000 + MmioBench.N - 1;
            int expected = last * MmioBench.N;
            assertEquals(expected, b.c_read32());
            assertEquals(expected, b.zx_read32());
            assertEquals(expected, b.zx_read32_local());
            assertEquals(expected, b.zx_read32_opaque());
            assertEquals(expected, b.java_read32_varHandle());
            b.c_write32();
            assertEquals(expected, b.zx_read32());
            b.zx_write32();
            b.java_write32_varHandle();
            assertEquals(expected, b.zx_read32_local());
        } finally {
            b.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 1 << 20})
    void readWriteBenchmarksMoveTheBytes(int size) throws Throwable {
        ReadWriteBench b = new ReadWriteBench();
        b.size = size;
        b.setUp();
        try {
            byte[] written = b.zx_read_array().clone();
            assertEquals((byte) 7, written[0]);
            // Every read variant sees what setup wrote; every write variant leaves it in place.
            assertArrayEquals(written, b.zx_read_segment().toArray(JAVA_BYTE));
            assertArrayEquals(written, b.c_read().toArray(JAVA_BYTE));
            assertArrayEquals(written, b.java_read_segmentCopy().toArray(JAVA_BYTE));
            assertArrayEquals(written, b.java_read_arrayCopy());
            b.zx_write_segment();
            b.zx_write_array();
            b.c_write();
            b.java_write_segmentCopy();
            b.java_write_arrayCopy();
            assertArrayEquals(written, b.zx_read_array());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void floorBenchmarksRun() throws Throwable {
        FloorBench b = new FloorBench();
        b.c_nop();
        b.java_arena_sharedOpenClose(BH);
        b.java_arena_sharedTouchClose();
        b.java_arena_confinedOpenClose(BH);
    }

    @Test
    void prototypesRun() {
        PrototypeBench b = new PrototypeBench();
        b.size = 4096;
        assertNotEquals(0L, b.proto_segmentSharedArena());
        assertNotEquals(0L, b.proto_segmentAutoArenaPlaceholder());
        assertNotEquals(0L, b.proto_segmentNoArena());
        assertNotEquals(0L, b.proto_recycledMemfd());
        assertNotEquals(0L, b.proto_recycledMemfd());
        b.closePool();
    }

    @Test
    void cHarnessReportsErrnoInsteadOfPretendingSuccess() throws Throwable {
        MethodHandle cycle = CHarness.function("zxb_memfd_cycle", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        assertEquals(0, (int) cycle.invokeExact(4096L));
        // A size ftruncate refuses (negative as off_t) must come back as -EINVAL, not 0.
        int rc = (int) cycle.invokeExact(-1L);
        assertEquals(-22, rc);
        assertThrows(IllegalStateException.class, () -> CHarness.check("zxb_memfd_cycle", rc));
    }

    @Test
    void cMemcpyCopies() throws Throwable {
        MethodHandle memcpy = CHarness.function("zxb_memcpy", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(JAVA_BYTE, new byte[] {1, 2, 3, 4, 5});
            MemorySegment dst = a.allocate(5);
            memcpy.invokeExact(dst, src, 5L);
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, dst.toArray(JAVA_BYTE));
        }
    }
}
