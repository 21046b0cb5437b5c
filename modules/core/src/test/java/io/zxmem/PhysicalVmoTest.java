package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Every rule of {@code zx_vmo_create_physical} (API.md), on a simulated resource: physical memory
 * emulated by a shared memory file, so the suite runs on any Linux host.
 */
class PhysicalVmoTest {
    static final long P = Zx.pageSize();
    static final long BASE = 0xfe00_0000L;
    static final long SIZE = 16 * P;

    static void status(Status want, org.junit.jupiter.api.function.Executable call) {
        ZxException e = assertThrows(ZxException.class, call);
        assertEquals(want, e.status(), e.getMessage());
    }

    @Test
    void resourceReportsItsRangeAndBackend() {
        try (Resource r = Resource.simulated(BASE, SIZE)) {
            assertEquals(BASE, r.base());
            assertEquals(SIZE, r.size());
            assertEquals("simulated", r.backend());
            assertEquals(Resource.DEFAULT_RIGHTS, r.rights());
            try (Resource d = r.duplicate(Rights.SAME_RIGHTS)) {
                assertEquals(r.koid(), d.koid());
                assertEquals(BASE, d.base());
            }
        }
    }

    @Test
    void simulatedRejectsBadRanges() {
        status(Status.ERR_INVALID_ARGS, () -> Resource.simulated(BASE, 0));
        status(Status.ERR_INVALID_ARGS, () -> Resource.simulated(BASE + 1, P));
        status(Status.ERR_INVALID_ARGS, () -> Resource.simulated(BASE, P + 1));
        status(Status.ERR_INVALID_ARGS, () -> Resource.simulated(-P, 2 * P));
    }

    @Test
    void createsAVmoWithTheDocumentedProperties() {
        try (Resource r = Resource.simulated(BASE, SIZE); Vmo v = Vmo.createPhysical(r, BASE + P, 2 * P)) {
            assertEquals(2 * P, v.size());
            assertEquals(2 * P, v.contentSize());
            assertEquals(Rights.DEFAULT_VMO | Rights.EXECUTE, v.rights());
            VmoInfo info = v.info();
            assertEquals(Vmo.CACHE_UNCACHED, info.cachePolicy());
            assertEquals(0, info.flags() & VmoInfo.TYPE_PAGED, "a physical VMO is not paged");
            assertEquals(0, info.flags() & VmoInfo.RESIZABLE);
            assertEquals(0, info.committedBytes());
            assertTrue((v.signals() & Signals.VMO_ZERO_CHILDREN) != 0);
        }
    }

    @Test
    void overflowIsInvalidArgsBeforeTheResourceIsLookedAt() {
        try (Vmo notAResource = Vmo.create(P)) {
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(notAResource, -P, 2 * P));
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(null, 1, -1L));
        }
        Resource closed = Resource.simulated(BASE, SIZE);
        closed.close();
        status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(closed, -P, 2 * P));
    }

    @Test
    void aHandleThatIsNotAResourceIsWrongType() {
        try (Vmo v = Vmo.create(P)) {
            status(Status.ERR_WRONG_TYPE, () -> Vmo.createPhysical(v, BASE, P));
            // WRONG_TYPE comes before the range and alignment checks
            status(Status.ERR_WRONG_TYPE, () -> Vmo.createPhysical(v, 1, 0));
        }
    }

    @Test
    void nullOrClosedHandlesAreBadHandle() {
        status(Status.ERR_BAD_HANDLE, () -> Vmo.createPhysical(null, BASE, P));
        Resource r = Resource.simulated(BASE, SIZE);
        r.close();
        status(Status.ERR_BAD_HANDLE, () -> Vmo.createPhysical(r, BASE, P));
        status(Status.ERR_BAD_HANDLE, r::base);
    }

    @Test
    void rangesOutsideTheResourceAreAccessDenied() {
        try (Resource r = Resource.simulated(BASE, SIZE)) {
            status(Status.ERR_ACCESS_DENIED, () -> Vmo.createPhysical(r, BASE - P, P));
            status(Status.ERR_ACCESS_DENIED, () -> Vmo.createPhysical(r, BASE - P, 2 * P));
            status(Status.ERR_ACCESS_DENIED, () -> Vmo.createPhysical(r, BASE + SIZE - P, 2 * P));
            status(Status.ERR_ACCESS_DENIED, () -> Vmo.createPhysical(r, BASE + SIZE, P));
            status(Status.ERR_ACCESS_DENIED, () -> Vmo.createPhysical(r, 0, P));
            // outside wins over misalignment: the range check comes first
            status(Status.ERR_ACCESS_DENIED, () -> Vmo.createPhysical(r, BASE + SIZE + 1, 7));
            // exactly the whole resource is fine
            Vmo.createPhysical(r, BASE, SIZE).close();
        }
    }

    @Test
    void unalignedOrEmptyRangesAreInvalidArgs() {
        try (Resource r = Resource.simulated(BASE, SIZE)) {
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(r, BASE + 1, P));
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(r, BASE, P - 1));
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(r, BASE, P + 8));
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(r, BASE, 0));
            status(Status.ERR_INVALID_ARGS, () -> Vmo.createPhysical(r, BASE + SIZE, 0));
        }
    }

    @Test
    void readAndWriteAreNotSupportedAndTheVmoIsNotResizable() {
        try (Resource r = Resource.simulated(BASE, SIZE); Vmo v = Vmo.createPhysical(r, BASE, P)) {
            status(Status.ERR_NOT_SUPPORTED, () -> v.read(new byte[4], 0));
            status(Status.ERR_NOT_SUPPORTED, () -> v.write(new byte[4], 0));
            status(Status.ERR_NOT_SUPPORTED, () -> v.read(MemorySegment.ofArray(new byte[4]), 0));
            status(Status.ERR_UNAVAILABLE, () -> v.setSize(2 * P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.commit(0, P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.zero(0, P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.decommit(0, P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_CACHE_CLEAN, 0, P, MemorySegment.NULL));
            status(Status.ERR_NOT_SUPPORTED, () -> v.lock());
            // not resizable, so REQUIRE_NON_RESIZABLE maps
            v.map(Vmar.PERM_READ | Vmar.REQUIRE_NON_RESIZABLE, 0, P).close();
        }
    }

    @Test
    void everyMappingShowsTheSameMemory() {
        try (Resource r = Resource.simulated(BASE, SIZE);
             Vmo whole = Vmo.createPhysical(r, BASE, SIZE);
             Vmo page3 = Vmo.createPhysical(r, BASE + 3 * P, P);
             Mapping mw = whole.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, SIZE);
             Mapping m3 = page3.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P)) {
            MemorySegment w = mw.segment();
            MemorySegment s = m3.segment();
            assertEquals(0, s.get(ValueLayout.JAVA_INT, 0), "simulated memory starts zero");
            w.set(ValueLayout.JAVA_INT, 3 * P + 8, 0x010000ed);
            assertEquals(0x010000ed, s.get(ValueLayout.JAVA_INT, 8));
            s.set(ValueLayout.JAVA_LONG, P - 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, w.get(ValueLayout.JAVA_LONG, 4 * P - 8));
            assertEquals(1, whole.info().numMappings());
            assertEquals(1, page3.info().numMappings());
        }
    }

    @Test
    void theVmoKeepsTheResourceAliveAfterItsHandleIsClosed() {
        Resource r = Resource.simulated(BASE, SIZE);
        Vmo v = Vmo.createPhysical(r, BASE, P);
        Mapping m1 = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P);
        m1.segment().set(ValueLayout.JAVA_INT, 0, 42);
        r.close();
        try (Mapping m2 = v.map(Vmar.PERM_READ, 0, P)) {
            assertEquals(42, m2.segment().get(ValueLayout.JAVA_INT, 0));
        }
        v.close();
        assertEquals(42, m1.segment().get(ValueLayout.JAVA_INT, 0), "the mapping keeps VMO and resource alive");
        m1.close();
    }

    @Test
    void mappingPastTheEndNeverShowsMemoryOutsideTheVmo() {
        try (Resource r = Resource.simulated(BASE, SIZE);
             Vmo whole = Vmo.createPhysical(r, BASE, SIZE);
             Mapping mw = whole.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, SIZE);
             Vmo one = Vmo.createPhysical(r, BASE, P);
             Mapping m = one.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 3 * P)) {
            mw.segment().set(ValueLayout.JAVA_INT, P, 7);   // the resource's second page
            MemorySegment s = m.segment();
            s.set(ValueLayout.JAVA_INT, 0, 5);
            assertEquals(5, mw.segment().get(ValueLayout.JAVA_INT, 0));
            // the second page of this mapping is past the VMO: it must fault, not show the device's page
            assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_INT, P));
            assertEquals(7, mw.segment().get(ValueLayout.JAVA_INT, P));
            // a window that starts past the end is all fault
            try (Mapping past = one.map(Vmar.PERM_READ, 2 * P, P)) {
                assertThrows(InternalError.class, () -> past.segment().get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }

    @Test
    void mapRightsAndPermsFollowTheHandle() {
        try (Resource r = Resource.simulated(BASE, SIZE); Vmo v = Vmo.createPhysical(r, BASE, P)) {
            v.map(Vmar.PERM_READ | Vmar.PERM_WRITE | Vmar.PERM_EXECUTE, 0, P).close();
            try (Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE)) {
                status(Status.ERR_ACCESS_DENIED, () -> ro.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P));
                try (Mapping m = ro.map(Vmar.PERM_READ, 0, P)) {
                    assertTrue(m.segment().isReadOnly());
                }
            }
        }
    }

    @Test
    void cachePolicyCanChangeOnlyWhileUnmapped() {
        try (Resource r = Resource.simulated(BASE, SIZE); Vmo v = Vmo.createPhysical(r, BASE, P)) {
            v.setCachePolicy(Vmo.CACHE_WRITE_COMBINING);
            assertEquals(Vmo.CACHE_WRITE_COMBINING, v.info().cachePolicy());
            try (Mapping m = v.map(Vmar.PERM_READ, 0, P)) {
                status(Status.ERR_BAD_STATE, () -> v.setCachePolicy(Vmo.CACHE_UNCACHED));
            }
            v.setCachePolicy(Vmo.CACHE_UNCACHED_DEVICE);
            assertEquals(Vmo.CACHE_UNCACHED_DEVICE, v.info().cachePolicy());
        }
    }

    @Test
    void onlySliceChildren() {
        try (Resource r = Resource.simulated(BASE, SIZE); Vmo v = Vmo.createPhysical(r, BASE, 4 * P)) {
            status(Status.ERR_NOT_SUPPORTED, () -> v.createChild(Vmo.CHILD_SNAPSHOT, 0, P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.createChild(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, 0, P));
            try (Vmo slice = v.createChild(Vmo.CHILD_SLICE, 2 * P, P);
                 Mapping whole = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P);
                 Mapping part = slice.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P)) {
                assertEquals(0, v.signals() & Signals.VMO_ZERO_CHILDREN);
                whole.segment().set(ValueLayout.JAVA_INT, 2 * P + 4, 0x5a5a);
                assertEquals(0x5a5a, part.segment().get(ValueLayout.JAVA_INT, 4), "a slice maps the same device memory");
                part.segment().set(ValueLayout.JAVA_INT, 8, 77);
                assertEquals(77, whole.segment().get(ValueLayout.JAVA_INT, 2 * P + 8));
                status(Status.ERR_NOT_SUPPORTED, () -> slice.read(new byte[1], 0));
                status(Status.ERR_NOT_SUPPORTED, () -> slice.createChild(Vmo.CHILD_SNAPSHOT, 0, P));
            }
        }
    }

    @Test
    void theDeviceBackendsNeedTheDeviceModule() {
        // core's own tests run without io.zxmem.physical: the factories say what is missing
        status(Status.ERR_NOT_SUPPORTED, () -> Resource.pciBar("0000:00:10.0", 0));
        status(Status.ERR_NOT_SUPPORTED, () -> Resource.uio("uio0", 0));
        status(Status.ERR_NOT_SUPPORTED, () -> Resource.devMem(0xfe000000L, P));
        status(Status.ERR_INVALID_ARGS, () -> Resource.devMem(1, P));
    }

    @Test
    void closingEverythingReleasesTheMemfd() throws Exception {
        long before = openFds();
        for (int i = 0; i < 20; i++) {
            try (Resource r = Resource.simulated(BASE, SIZE); Vmo v = Vmo.createPhysical(r, BASE, P);
                 Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P)) {
                m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) i);
            }
        }
        assertEquals(before, openFds(), "descriptors leaked");
        assertFalse(Files.readString(Path.of("/proc/self/maps")).contains("zxmem-simulated-phys"), "a mapping leaked");
    }

    private static long openFds() throws Exception {
        Zx.releasePooledMemfds(); // recycled memfds are not leaks
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
