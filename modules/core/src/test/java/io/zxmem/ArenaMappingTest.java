package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.pattern;
import static io.zxmem.TestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Mappings whose lifetime is a caller's arena ({@code Vmar.map(..., Arena)}, {@code Vmo.map(..., Arena)}). */
class ArenaMappingTest {
    private static final int R = Vmar.PERM_READ;
    private static final int W = Vmar.PERM_WRITE;

    private static Arena arena(String kind) {
        return switch (kind) {
            case "confined" -> Arena.ofConfined();
            case "shared" -> Arena.ofShared();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static List<VmoSnapshot.Mapped> listed(Vmo v) {
        long koid = v.koid();
        return Zx.inspect().stream().filter(s -> s.koid() == koid).findFirst().orElseThrow().mappings();
    }

    @ParameterizedTest
    @ValueSource(strings = {"confined", "shared"})
    void theSegmentIsCoherentWithReadWriteAndOtherMappingsUntilTheArenaCloses(String kind) {
        try (Vmo v = Vmo.create(4 * P)) {
            MemorySegment s;
            try (Arena a = arena(kind); Mapping other = v.map(R | W, P, P)) {
                s = v.map(R | W, P, 3 * P, a);
                assertEquals(3 * P, s.byteSize());
                assertFalse(s.isReadOnly());
                assertEquals(2, v.info().numMappings());
                // write through the segment, see it in read and in the other mapping
                s.set(ValueLayout.JAVA_INT, 8, 0x12345678);
                assertEquals(0x12345678, other.segment().get(ValueLayout.JAVA_INT, 8));
                byte[] b = read(v, P + 8, 4);
                assertEquals(0x78, b[0] & 0xFF);
                // write through vmo.write and the other mapping, see it in the segment
                byte[] p = pattern(PI, 3);
                v.write(p, 2 * P);
                assertArrayEquals(p, s.asSlice(P, P).toArray(ValueLayout.JAVA_BYTE));
                other.segment().set(ValueLayout.JAVA_BYTE, 100, (byte) 77);
                assertEquals(77, s.get(ValueLayout.JAVA_BYTE, 100));
                List<VmoSnapshot.Mapped> maps = listed(v);
                assertEquals(2, maps.size());
                assertTrue(maps.stream().anyMatch(m -> m.address() == s.address() && m.length() == 3 * P
                        && m.vmoOffset() == P && m.perms() == (R | W)), maps::toString);
            }
            assertEquals(0, v.info().numMappings());
            assertEquals(List.of(), listed(v));
            assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> s.asSlice(P).set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertThrows(IllegalStateException.class, () -> MemorySegment.copy(s, 0, MemorySegment.ofArray(new byte[8]), 0, 8));
            // what was written through the segment stays in the VMO
            assertEquals(77, read(v, P + 100, 1)[0]);
        }
    }

    @Test
    void vmoMapIsVmarRootMap() {
        try (Vmo v = Vmo.create(P); Arena a = Arena.ofConfined()) {
            MemorySegment s = Vmar.root().map(R | W, v, 0, 1, a);
            assertEquals(P, s.byteSize(), "the length is rounded up to pages");
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 9);
            assertEquals(9, read(v, 0, 1)[0]);
        }
    }

    @Test
    void withoutWritePermissionTheSegmentIsReadOnly() {
        try (Vmo v = Vmo.create(P); Arena a = Arena.ofConfined()) {
            v.write(new byte[] {5}, 0);
            MemorySegment s = v.map(R, 0, P, a);
            assertTrue(s.isReadOnly());
            assertEquals(5, s.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalArgumentException.class, () -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1)); // the JDK's "read-only segment"
        }
    }

    @Test
    void theChecksAndStatusesAreThoseOfAMapping() {
        try (Vmo v = Vmo.create(P); Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE);
             Vmo noMap = v.duplicate(Rights.DEFAULT_VMO & ~Rights.MAP); Vmo res = Vmo.create(P, Vmo.RESIZABLE);
             Vmo disc = Vmo.create(P, Vmo.DISCARDABLE); Arena a = Arena.ofConfined()) {
            int before = Zx.liveVmoCount();
            assertStatus(Status.ERR_BAD_HANDLE, () -> Vmar.root().map(R, null, 0, P, a));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noMap.map(R, 0, P, a), "vmar.map");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.map(R | W, 0, P, a), "vmar.map");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(W, 0, P, a), "vmar.map");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R | (1 << 20), 0, P, a), "unknown option");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R, 0, 0, a), "length is 0");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R, 1, P, a), "page-aligned");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.map(R, -P, 2 * P, a), "overflows");
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> res.map(R | Vmar.REQUIRE_NON_RESIZABLE, 0, P, a));
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> disc.map(R, 0, P, a));
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R, 0, P, null), "arena is null");
            Vmo closed = v.duplicate(Rights.SAME_RIGHTS);
            closed.close();
            assertStatus(Status.ERR_BAD_HANDLE, () -> closed.map(R, 0, P, a));
            // Nothing was mapped by any of the failures.
            assertEquals(0, v.info().numMappings());
            assertEquals(before, Zx.liveVmoCount());
            MemorySegment s = disc.map(R | Vmar.ALLOW_FAULTS, 0, P, a);
            assertEquals(P, s.byteSize());
        }
    }

    @Test
    void aClosedArenaIsRefusedAndNothingStaysMapped() {
        try (Vmo v = Vmo.create(P)) {
            Arena a = Arena.ofConfined();
            a.close();
            int maps = TestSupport.vmoMapCount();
            assertThrows(IllegalStateException.class, () -> v.map(R | W, 0, P, a));
            assertEquals(0, v.info().numMappings());
            assertEquals(maps, TestSupport.vmoMapCount());
        }
    }

    @Test
    void theVmoOutlivesItsHandleWhileTheArenaMapsIt() {
        int live = Zx.liveVmoCount();
        Arena a = Arena.ofShared();
        Vmo v = Vmo.create(2 * P);
        v.write(pattern(PI, 1), 0);
        long koid = v.koid();
        MemorySegment s = v.map(R | W, 0, 2 * P, a);
        v.close();
        assertEquals(live + 1, Zx.liveVmoCount(), "the mapping keeps the VMO alive");
        assertArrayEquals(pattern(PI, 1), s.asSlice(0, P).toArray(ValueLayout.JAVA_BYTE));
        s.set(ValueLayout.JAVA_BYTE, P, (byte) 3);
        assertEquals(3, s.get(ValueLayout.JAVA_BYTE, P));
        assertTrue(Zx.inspect().stream().anyMatch(x -> x.koid() == koid && x.mappings().size() == 1));
        a.close();
        assertEquals(live, Zx.liveVmoCount(), "closing the arena released the last reference");
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void aConfinedArenasSegmentRefusesOtherThreads() throws Exception {
        try (Vmo v = Vmo.create(P); Arena a = Arena.ofConfined()) {
            MemorySegment s = v.map(R | W, 0, P, a);
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            CompletableFuture<Object> f = CompletableFuture.supplyAsync(() -> s.get(ValueLayout.JAVA_BYTE, 0));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof WrongThreadException, e.getCause().toString());
            // Mapping into a confined arena from another thread is refused, and nothing stays mapped.
            CompletableFuture<Object> g = CompletableFuture.supplyAsync(() -> v.map(R, 0, P, a));
            e = assertThrows(ExecutionException.class, () -> g.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof WrongThreadException, e.getCause().toString());
            assertEquals(1, v.info().numMappings());
        }
    }

    @Test
    void aSharedArenasSegmentWorksFromAnotherThread() throws Exception {
        try (Vmo v = Vmo.create(P); Arena a = Arena.ofShared()) {
            MemorySegment s = v.map(R | W, 0, P, a);
            CompletableFuture.runAsync(() -> s.set(ValueLayout.JAVA_BYTE, 7, (byte) 42)).get(10, TimeUnit.SECONDS);
            assertEquals(42, read(v, 7, 1)[0]);
        }
    }

    @Test
    void touchingPastAShrunkVmoRaisesInternalErrorNotACrash() {
        try (Vmo v = Vmo.create(3 * P, Vmo.RESIZABLE); Arena a = Arena.ofConfined()) {
            MemorySegment s = v.map(R | W, 0, 3 * P, a);
            s.set(ValueLayout.JAVA_BYTE, 2 * P, (byte) 1);
            v.setSize(P);
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, 2 * P));
            assertThrows(InternalError.class, () -> s.set(ValueLayout.JAVA_BYTE, 3 * P - 1, (byte) 1));
            s.set(ValueLayout.JAVA_BYTE, P - 1, (byte) 6);
            assertEquals(6, read(v, P - 1, 1)[0]);
            v.setSize(3 * P);
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 2 * P), "a range that grew back reads zero");
        }
    }

    @Test
    void aChildMappedThroughAnArenaKeepsZeroChildrenClear() {
        try (Vmo parent = Vmo.create(2 * P)) {
            assertTrue((parent.signals() & Signals.VMO_ZERO_CHILDREN) != 0);
            Arena a = Arena.ofConfined();
            Vmo child = parent.createChild(Vmo.CHILD_SLICE, 0, P);
            MemorySegment s = child.map(R | W, 0, P, a);
            child.close();
            assertEquals(0, parent.signals() & Signals.VMO_ZERO_CHILDREN, "the mapped child is alive");
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 8);
            assertEquals(8, read(parent, 0, 1)[0]);
            a.close();
            assertTrue((parent.signals() & Signals.VMO_ZERO_CHILDREN) != 0, "unmapped and closed: the child is gone");
        }
    }

    @Test
    void anAutomaticArenaUnmapsWhenTheSegmentIsCollected() throws Exception {
        int live = Zx.liveVmoCount();
        Vmo v = Vmo.create(P);
        v.map(R | W, 0, P, Arena.ofAuto()).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        v.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Zx.liveVmoCount() != live && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(live, Zx.liveVmoCount(), "the collected segment's arena unmapped the window");
    }

    @Test
    void manyCyclesLeaveDescriptorsMappingsAndVmosWhereTheyWere() {
        for (int i = 0; i < 200; i++) { // warm up: class loading, the handle cleaner's thread
            cycle(i);
        }
        int fds = TestSupport.fdCount();
        int maps = TestSupport.mapCount();
        int vmoMaps = TestSupport.vmoMapCount();
        int live = Zx.liveVmoCount();
        for (int i = 0; i < 20_000; i++) {
            cycle(i);
        }
        assertEquals(live, Zx.liveVmoCount(), "VMO objects leaked");
        assertEquals(vmoMaps, TestSupport.vmoMapCount(), "VMO mappings leaked");
        // The JVM maps and unmaps its own memory meanwhile (thread stacks, heap regions): only growth is a leak.
        int mapsAfter = TestSupport.mapCount();
        assertTrue(mapsAfter <= maps, "mappings leaked: " + maps + " before, " + mapsAfter + " after");
        assertEquals(fds, TestSupport.fdCount(), "descriptors leaked");
    }

    private static void cycle(int i) {
        long size = i % 2 == 0 ? P : 16 * P;
        try (Vmo v = Vmo.create(size); Arena a = i % 10 == 0 ? Arena.ofShared() : Arena.ofConfined()) {
            MemorySegment s = v.map(R | W, 0, size, a);
            if (s.get(ValueLayout.JAVA_INT, size - 4) != 0) {
                throw new AssertionError("a new VMO must read zero, cycle " + i);
            }
            s.set(ValueLayout.JAVA_INT, size - 4, i + 1);
            if (i % 3 == 0) {
                v.map(R, 0, P, a); // a second window in the same arena
            }
        }
    }
}
