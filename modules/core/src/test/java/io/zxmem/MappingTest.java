package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.pattern;
import static io.zxmem.TestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code zx_vmar_map} and mappings: the perms x rights matrix, coherence, lifetime, protect. */
class MappingTest {
    private static final int R = Vmar.PERM_READ;
    private static final int W = Vmar.PERM_WRITE;
    private static final int X = Vmar.PERM_EXECUTE;

    static Stream<Arguments> permsTimesRights() {
        List<Arguments> l = new ArrayList<>();
        int[] rightSets = {0, Rights.READ, Rights.WRITE, Rights.READ | Rights.WRITE, Rights.READ | Rights.EXECUTE};
        for (int rights : rightSets) {
            for (int perms = 0; perms < 8; perms++) {
                l.add(Arguments.of(perms, rights));
            }
        }
        return l.stream();
    }

    /**
     * Every combination of mapping permissions and handle rights: write or execute without read is
     * INVALID_ARGS; then any permission the rights do not cover is ACCESS_DENIED; else it maps.
     * (Anonymous VMO handles never carry EXECUTE, so READ|EXECUTE rights are asked for and refused
     * at duplicate time; the row stays to show that.)
     */
    @ParameterizedTest(name = "perms={0} rights={1}")
    @MethodSource("permsTimesRights")
    void permsTimesRightsMatrix(int perms, int ioRights) {
        try (Vmo v = Vmo.create(2 * P)) {
            int rights = Rights.MAP | Rights.DUPLICATE | Rights.INSPECT | ioRights;
            if ((ioRights & ~v.rights()) != 0) {
                assertStatus(Status.ERR_INVALID_ARGS, () -> v.duplicate(rights));
                return;
            }
            try (Vmo h = v.duplicate(rights)) {
                int allowed = ((ioRights & Rights.READ) != 0 ? R : 0) | ((ioRights & Rights.WRITE) != 0 ? W : 0);
                if ((perms & (W | X)) != 0 && (perms & R) == 0) {
                    assertStatus(Status.ERR_INVALID_ARGS, () -> h.map(perms, 0, P), "vmar.map");
                } else if ((perms & ~allowed) != 0) {
                    assertStatus(Status.ERR_ACCESS_DENIED, () -> h.map(perms, 0, P), "vmar.map");
                } else {
                    try (Mapping m = h.map(perms, 0, P)) {
                        assertEquals(perms, m.perms());
                        if ((perms & R) == 0) {
                            // A mapping without read permission hands out no segment: touching it would crash.
                            assertStatus(Status.ERR_ACCESS_DENIED, m::segment);
                        } else {
                            MemorySegment s = m.segment();
                            assertEquals((perms & W) == 0, s.isReadOnly());
                            v.write(new byte[] {11}, 0);
                            assertEquals(11, s.get(ValueLayout.JAVA_BYTE, 0));
                            if ((perms & W) != 0) {
                                s.set(ValueLayout.JAVA_BYTE, 1, (byte) 12);
                                assertEquals(12, read(v, 1, 1)[0]);
                            } else {
                                assertThrows(RuntimeException.class, () -> s.set(ValueLayout.JAVA_BYTE, 1, (byte) 12));
                                assertEquals(0, read(v, 1, 1)[0]);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void inspectionListsTheMappingsLeftAfterClosesInAnyOrder() {
        List<Mapping> m = new ArrayList<>();
        try (Vmo v = Vmo.create(4 * P)) {
            for (int i = 0; i < 4; i++) {
                m.add(v.map(Vmar.PERM_READ, i * P, P));
            }
            m.get(1).close(); // a middle one
            m.get(3).close(); // the newest
            assertEquals(addresses(m.get(0), m.get(2)), listedAddresses(v));
            assertEquals(2, v.info().numMappings());
            assertStatus(Status.ERR_BAD_STATE, () -> v.setCachePolicy(Vmo.CACHE_UNCACHED), "mapped");
            m.get(0).close(); // the oldest
            m.get(0).close(); // again: nothing more is unlisted
            assertEquals(addresses(m.get(2)), listedAddresses(v));
            m.get(2).close();
            assertEquals(List.of(), listedAddresses(v));
            assertEquals(0, v.info().numMappings());
            v.setCachePolicy(Vmo.CACHE_UNCACHED);
        } finally {
            m.forEach(Mapping::close);
        }
    }

    private static List<Long> addresses(Mapping... m) {
        return Arrays.stream(m).map(Mapping::address).sorted(Long::compareUnsigned).toList();
    }

    private static List<Long> listedAddresses(Vmo v) {
        long koid = v.koid();
        return Zx.inspect().stream().filter(s -> s.koid() == koid).findFirst().orElseThrow().mappings().stream()
                .map(VmoSnapshot.Mapped::address).sorted(Long::compareUnsigned).toList();
    }

    @Test
    void mapNeedsTheMapRightBeforeAnythingElse() {
        try (Vmo v = Vmo.create(P); Vmo noMap = v.duplicate(Rights.DEFAULT_VMO & ~Rights.MAP)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noMap.map(R, 0, P), "vmar.map", "MAP");
            // Before the permission combination, the length and the offset:
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noMap.map(W, 0, P));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noMap.map(R, 1, 0));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noMap.map(1 << 20, 0, P));
        }
    }

    @Test
    void permissionCombinationIsCheckedBeforeTheRights() {
        try (Vmo v = Vmo.create(P); Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE)) {
            // W without R: INVALID_ARGS even though WRITE is also missing from the rights.
            assertStatus(Status.ERR_INVALID_ARGS, () -> ro.map(W, 0, P));
            // Rights before length and offset.
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.map(R | W, 0, 0));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.map(R | W, 1, P));
        }
    }

    @Test
    void lengthZeroOrUnalignedOffsetIsInvalidArgs() {
        try (Vmo v = Vmo.create(4 * P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R, 0, 0), "vmar.map", "len");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R, 1, P), "vmar.map");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R, P / 2, P), "vmar.map");
        }
    }

    @Test
    void unknownOptionsAreInvalidArgs() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R | 1 << 20, 0, P), "vmar.map");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.map(R | 8, 0, P), "vmar.map");
        }
    }

    @Test
    void lengthRoundsUpToPages() {
        try (Vmo v = Vmo.create(4 * P); Mapping m = v.map(R, 0, P + 1)) {
            assertEquals(2 * P, m.length());
            assertEquals(2 * P, m.segment().byteSize());
            assertEquals(0, m.address() % P);
            assertEquals(m.address(), m.segment().address());
        }
    }

    @Test
    void requireNonResizable() {
        try (Vmo resizable = Vmo.create(P, Vmo.RESIZABLE); Vmo fixed = Vmo.create(P)) {
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> resizable.map(R | Vmar.REQUIRE_NON_RESIZABLE, 0, P),
                    "REQUIRE_NON_RESIZABLE");
            // State is checked last: bad arguments win.
            assertStatus(Status.ERR_INVALID_ARGS, () -> resizable.map(R | Vmar.REQUIRE_NON_RESIZABLE, 0, 0));
            fixed.map(R | Vmar.REQUIRE_NON_RESIZABLE, 0, P).close();
            resizable.map(R, 0, P).close();
        }
    }

    @Test
    void discardableVmosNeedAllowFaults() {
        try (Vmo d = Vmo.create(P, Vmo.DISCARDABLE); Vmo plain = Vmo.create(P)) {
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> d.map(R | W, 0, P), "ALLOW_FAULTS");
            assertStatus(Status.ERR_INVALID_ARGS, () -> d.map(R | W, 1, P));
            d.map(R | W | Vmar.ALLOW_FAULTS, 0, P).close();
            plain.map(R | W | Vmar.ALLOW_FAULTS, 0, P).close();
        }
    }

    @Test
    void mapRangeIsAHintThatMapsAsUsual() {
        try (Vmo v = Vmo.create(4 * P)) {
            v.write(new byte[] {1}, 0);
            try (Mapping m = v.map(R | Vmar.MAP_RANGE, 0, 4 * P)) {
                assertEquals(1, m.segment().get(ValueLayout.JAVA_BYTE, 0));
                assertEquals(P, v.info().committedBytes(), "MAP_RANGE commits nothing new");
            }
        }
    }

    @Test
    void mapRangeOfAWindowPastTheEndOrAcrossBackingFiles() {
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R | Vmar.MAP_RANGE, 0, 4 * P)) {
            assertEquals(0, m.segment().get(ValueLayout.JAVA_BYTE, 0));
        }
        try (Vmo v = Vmo.create(HugeSparseTest.HUGE);
                Mapping m = v.map(R | W | Vmar.MAP_RANGE, HugeSparseTest.TWO_63 - 2 * P, 4 * P)) {
            m.segment().set(ValueLayout.JAVA_BYTE, 2 * P, (byte) 1);
            assertEquals(1, read(v, HugeSparseTest.TWO_63, 1)[0]);
        }
    }

    @Test
    void mappingPastTheEndIsAllowedAndTheTailFaultsWithoutACrash() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE); Mapping m = v.map(R | W, 0, 3 * P)) {
            MemorySegment s = m.segment();
            assertEquals(3 * P, s.byteSize());
            s.set(ValueLayout.JAVA_BYTE, P - 1, (byte) 4);
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, P));
            assertThrows(InternalError.class, () -> s.set(ValueLayout.JAVA_BYTE, 3 * P - 1, (byte) 1));
            v.setSize(3 * P);
            s.set(ValueLayout.JAVA_BYTE, 3 * P - 1, (byte) 5);
            assertEquals(5, read(v, 3 * P - 1, 1)[0]);
            assertEquals(4, s.get(ValueLayout.JAVA_BYTE, P - 1));
        }
        // Entirely past the end, at an offset the VMO never reaches.
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R, 8 * P, P)) {
            assertThrows(InternalError.class, () -> m.segment().get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void everyMappingAndReadAgreeAtAllTimes() {
        Random r = new Random(42);
        int size = 8 * PI;
        try (Vmo v = Vmo.create(size, Vmo.RESIZABLE);
                Mapping a = v.map(R | W, 0, size);
                Mapping b = v.map(R | W, 0, size);
                Mapping c = v.map(R, 2 * P, 4 * P)) {
            byte[] model = new byte[size];
            int cur = size;
            for (int step = 0; step < 400; step++) {
                int off = r.nextInt(cur + 1);
                int len = r.nextInt(cur - off + 1);
                switch (r.nextInt(8)) {
                    case 0, 1 -> {
                        byte[] d = pattern(len, step);
                        v.write(d, off);
                        System.arraycopy(d, 0, model, off, len);
                    }
                    case 2, 3 -> {
                        byte[] d = pattern(len, step);
                        MemorySegment.copy(d, 0, (step % 2 == 0 ? a : b).segment(), ValueLayout.JAVA_BYTE, off, len);
                        System.arraycopy(d, 0, model, off, len);
                    }
                    case 4 -> {
                        v.zero(off, len);
                        Arrays.fill(model, off, off + len, (byte) 0);
                    }
                    case 5 -> {
                        int p0 = off / PI;
                        int pages = len / PI;
                        v.decommit((long) p0 * P, (long) pages * P);
                        Arrays.fill(model, p0 * PI, (p0 + pages) * PI, (byte) 0);
                    }
                    case 6 -> v.commit(off, len);
                    default -> {
                        int newSize = (1 + r.nextInt(8)) * PI - (r.nextBoolean() ? r.nextInt(100) : 0);
                        v.setSize(newSize);
                        int rounded = (int) ((newSize + P - 1) / P * P);
                        Arrays.fill(model, newSize, size, (byte) 0);
                        cur = rounded;
                    }
                }
                byte[] viaRead = read(v, 0, cur);
                assertArrayEquals(Arrays.copyOf(model, cur), viaRead, "read at step " + step);
                assertArrayEquals(viaRead, a.segment().asSlice(0, cur).toArray(ValueLayout.JAVA_BYTE), "mapping a, step " + step);
                assertArrayEquals(viaRead, b.segment().asSlice(0, cur).toArray(ValueLayout.JAVA_BYTE), "mapping b, step " + step);
                int cEnd = Math.min(cur, 6 * PI);
                if (cEnd > 2 * PI) {
                    assertArrayEquals(Arrays.copyOfRange(viaRead, 2 * PI, cEnd),
                            c.segment().asSlice(0, cEnd - 2 * PI).toArray(ValueLayout.JAVA_BYTE), "mapping c, step " + step);
                }
            }
        }
    }

    @Test
    void segmentIsReadOnlyWithoutPermWrite() {
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R, 0, P)) {
            MemorySegment s = m.segment();
            assertTrue(s.isReadOnly());
            assertThrows(IllegalArgumentException.class, () -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertThrows(IllegalArgumentException.class, () -> s.fill((byte) 1));
            assertThrows(IllegalArgumentException.class, () -> MemorySegment.copy(MemorySegment.ofArray(new byte[1]), 0, s, 0, 1));
            assertEquals(0, read(v, 0, 1)[0]);
        }
    }

    @Test
    void segmentThrowsAfterCloseInEveryThread() throws Exception {
        try (Vmo v = Vmo.create(P)) {
            Mapping m = v.map(R | W, 0, P);
            MemorySegment s = m.segment();
            MemorySegment slice = s.asSlice(8, 8);
            MemorySegment ro = s.asReadOnly();
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            m.close();
            m.close();
            assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertThrows(IllegalStateException.class, () -> slice.get(ValueLayout.JAVA_LONG, 0));
            assertThrows(IllegalStateException.class, () -> ro.get(ValueLayout.JAVA_BYTE, 0));
            // zxmem's own calls report the closed segment as ZxException INVALID_ARGS (issue 12, item 7).
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.read(s, 0), "closed");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.write(s, 0), "closed");
            assertThrows(IllegalStateException.class, m::segment);
            Throwable[] other = new Throwable[1];
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    s.get(ValueLayout.JAVA_BYTE, 0);
                } catch (Throwable e) {
                    other[0] = e;
                }
            });
            t.join();
            assertTrue(other[0] instanceof IllegalStateException, "other thread got " + other[0]);
            // The VMO lives on; its content is intact.
            assertEquals(1, read(v, 0, 1)[0]);
        }
    }

    @Test
    void mappingsKeepTheVmoAliveAfterItsLastHandleCloses() {
        int before = Zx.liveVmoCount();
        Vmo v = Vmo.create(P);
        Mapping m = v.map(R | W, 0, P);
        v.close();
        assertEquals(before + 1, Zx.liveVmoCount());
        m.segment().set(ValueLayout.JAVA_INT, 0, 99);
        assertEquals(99, m.segment().get(ValueLayout.JAVA_INT, 0));
        m.close();
        assertEquals(before, Zx.liveVmoCount());
    }

    @Test
    void segmentsAreUsableFromAnyThread() throws Exception {
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R | W, 0, P)) {
            MemorySegment s = m.segment();
            Thread t = Thread.ofPlatform().start(() -> s.set(ValueLayout.JAVA_INT, 0, 1234));
            t.join();
            assertEquals(1234, s.get(ValueLayout.JAVA_INT, 0));
            assertEquals(s, m.segment());
        }
    }

    @Test
    void infoCountsMappings() {
        try (Vmo v = Vmo.create(P)) {
            assertEquals(0, v.info().numMappings());
            Mapping a = v.map(R, 0, P);
            Mapping b = v.map(R, 0, P);
            assertEquals(2, v.info().numMappings());
            assertNotEquals(a.address(), b.address());
            a.close();
            assertEquals(1, v.info().numMappings());
            b.close();
            assertEquals(0, v.info().numMappings());
        }
    }

    @Test
    void protectToReadOnlyRevokesOldSegmentsAndGivesReadOnlyOnes() {
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R | W, 0, P)) {
            MemorySegment rw = m.segment();
            rw.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            m.protect(R);
            assertEquals(R, m.perms());
            assertThrows(IllegalStateException.class, () -> rw.set(ValueLayout.JAVA_BYTE, 0, (byte) 2));
            MemorySegment ro = m.segment();
            assertTrue(ro.isReadOnly());
            assertEquals(1, ro.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalArgumentException.class, () -> ro.set(ValueLayout.JAVA_BYTE, 0, (byte) 2));
            // Back to read-write: the old read-only segment stays valid (no permission was removed).
            m.protect(R | W);
            assertEquals(1, ro.get(ValueLayout.JAVA_BYTE, 0));
            MemorySegment rw2 = m.segment();
            assertFalse(rw2.isReadOnly());
            rw2.set(ValueLayout.JAVA_BYTE, 0, (byte) 3);
            assertEquals(3, read(v, 0, 1)[0]);
        }
    }

    @Test
    void protectToNoAccessHandsOutNoSegment() {
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R | W, 0, P)) {
            MemorySegment s = m.segment();
            m.protect(0);
            assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            assertStatus(Status.ERR_ACCESS_DENIED, m::segment);
            m.protect(R);
            assertEquals(0, m.segment().get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void protectBeyondTheRightsIsAccessDenied() {
        try (Vmo v = Vmo.create(P); Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE); Mapping m = ro.map(R, 0, P)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> m.protect(R | W), "mapping.protect");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> m.protect(R | X), "mapping.protect");
            assertEquals(R, m.perms());
            assertTrue(m.segment().isReadOnly());
        }
    }

    @Test
    void protectRightsComeFromTheHandleAtMapTimeNotItsLaterFate() {
        Vmo v = Vmo.create(P);
        Mapping m = v.map(R, 0, P);
        v.close();
        try (m) {
            m.protect(R | W);
            m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            assertEquals(1, m.segment().get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void protectArgumentChecks() {
        try (Vmo v = Vmo.create(P); Mapping m = v.map(R | W, 0, P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> m.protect(W), "mapping.protect");
            assertStatus(Status.ERR_INVALID_ARGS, () -> m.protect(X), "mapping.protect");
            assertStatus(Status.ERR_INVALID_ARGS, () -> m.protect(R | 8), "mapping.protect");
            assertEquals(R | W, m.perms());
            m.close();
            assertStatus(Status.ERR_NOT_FOUND, () -> m.protect(R), "mapping.protect");
        }
    }

    @Test
    void closingTheVmoHandleDoesNotUnmap() {
        Vmo v = Vmo.create(P);
        try (Mapping m = v.map(R | W, 0, P)) {
            MemorySegment s = m.segment();
            v.close();
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 5);
            assertEquals(5, s.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void mappingToStringAndAccessors() {
        try (Vmo v = Vmo.create(4 * P); Mapping m = v.map(R, P, 2 * P)) {
            assertEquals(P, m.vmoOffset());
            assertEquals(2 * P, m.length());
            assertTrue(m.toString().contains(Long.toString(v.koid())), m.toString());
            v.write(pattern(PI, 3), P);
            assertArrayEquals(pattern(PI, 3), m.segment().asSlice(0, P).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
