package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code zx_vmo_create}: sizes, options, rights, initial state. */
class VmoCreateTest {

    @Test
    void sizeRoundsUpToPagesAndContentSizeKeepsTheRequest() {
        long[][] cases = {{0, 0}, {1, P}, {P - 1, P}, {P, P}, {P + 1, 2 * P}, {3 * P + 1, 4 * P}};
        for (long[] c : cases) {
            try (Vmo v = Vmo.create(c[0])) {
                assertEquals(c[1], v.size(), "size of create(" + c[0] + ")");
                assertEquals(c[0], v.contentSize(), "content size of create(" + c[0] + ")");
            }
        }
    }

    @Test
    void newVmoReadsZeroAndCommitsNothing() {
        try (Vmo v = Vmo.create(16 * P)) {
            assertTrue(TestSupport.allZero(TestSupport.read(v, 0, (int) (16 * P))));
            assertEquals(0, TestSupport.committed(v));
        }
    }

    @Test
    void defaultRights() {
        assertEquals(0xD0EF, Rights.DEFAULT_VMO);
        try (Vmo v = Vmo.create(P)) {
            assertEquals(Rights.DEFAULT_VMO, v.rights());
        }
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            assertEquals(Rights.DEFAULT_VMO, v.rights());
        }
        try (Vmo v = Vmo.create(P, Vmo.UNBOUNDED)) {
            assertEquals(Rights.DEFAULT_VMO, v.rights());
        }
    }

    @Test
    void resizableAddsTheResizeRight() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            assertEquals(Rights.DEFAULT_VMO | Rights.RESIZE, v.rights());
        }
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE | Vmo.DISCARDABLE)) {
            assertEquals(Rights.DEFAULT_VMO | Rights.RESIZE, v.rights());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1 << 0, 1 << 3, 1 << 5, 1 << 6, 1 << 16, 1 << 31, -1, Vmo.RESIZABLE | 1 << 7})
    void unknownOptionBitsAreInvalidArgs(int options) {
        assertStatus(Status.ERR_INVALID_ARGS, () -> Vmo.create(P, options), "vmo.create", "options");
    }

    @Test
    void resizableAndUnboundedExcludeEachOther() {
        assertStatus(Status.ERR_INVALID_ARGS, () -> Vmo.create(P, Vmo.RESIZABLE | Vmo.UNBOUNDED), "vmo.create");
        assertStatus(Status.ERR_INVALID_ARGS,
                () -> Vmo.create(P, Vmo.RESIZABLE | Vmo.UNBOUNDED | Vmo.DISCARDABLE), "vmo.create");
    }

    @Test
    void sizeAboveMaxIsOutOfRange() {
        long[] bad = {Vmo.MAX_SIZE + 1, Vmo.MAX_SIZE + P, -P, -1L, 0x8000_0000_0000_0000L + Vmo.MAX_SIZE};
        for (long size : bad) {
            if (Long.compareUnsigned(size, Vmo.MAX_SIZE) <= 0) {
                continue;
            }
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(size), "vmo.create", TestSupport.hex(size));
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(size, Vmo.RESIZABLE), "vmo.create");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(size, Vmo.DISCARDABLE), "vmo.create");
        }
    }

    @Test
    void maxSizeIsAccepted() {
        assertEquals(0xFFFF_FFFF_FFFE_0000L, Vmo.MAX_SIZE);
        try (Vmo v = Vmo.create(Vmo.MAX_SIZE)) {
            assertEquals(Vmo.MAX_SIZE, v.size());
            assertEquals(Vmo.MAX_SIZE, v.contentSize());
        }
        // One byte below MAX_SIZE rounds up to it.
        try (Vmo v = Vmo.create(Vmo.MAX_SIZE - 1)) {
            assertEquals(Vmo.MAX_SIZE, v.size());
            assertEquals(Vmo.MAX_SIZE - 1, v.contentSize());
        }
    }

    /**
     * Current Zircon's parse_create_syscall_flags rounds the size (OUT_OF_RANGE) before it looks at the
     * option bits (INVALID_ARGS), so a bad size wins over bad options (issue 12, item 9).
     */
    @Test
    void aBadSizeIsReportedBeforeBadOptions() {
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(-1L, 1 << 9));
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(Vmo.MAX_SIZE + P, Vmo.RESIZABLE | Vmo.UNBOUNDED));
        assertStatus(Status.ERR_INVALID_ARGS, () -> Vmo.create(P, 1 << 9));
        assertStatus(Status.ERR_INVALID_ARGS, () -> Vmo.create(P, Vmo.RESIZABLE | Vmo.UNBOUNDED));
    }

    @Test
    void unboundedHasMaxSizeAndTheArgumentSetsTheContentSize() {
        try (Vmo v = Vmo.create(1000, Vmo.UNBOUNDED)) {
            assertEquals(Vmo.MAX_SIZE, v.size());
            assertEquals(1000, v.contentSize());
            assertEquals(Vmo.MAX_SIZE, v.info().sizeBytes());
            assertEquals(0, v.info().flags() & VmoInfo.RESIZABLE);
            // The whole range is usable, and still sparse.
            v.write(new byte[] {1, 2, 3}, Vmo.MAX_SIZE - 3);
            assertEquals(3, TestSupport.read(v, Vmo.MAX_SIZE - 1, 1)[0]);
            assertEquals(P, TestSupport.committed(v));
        }
        try (Vmo v = Vmo.create(0, Vmo.UNBOUNDED)) {
            assertEquals(Vmo.MAX_SIZE, v.size());
            assertEquals(0, v.contentSize());
        }
    }

    @Test
    void unboundedCannotBeResized() {
        try (Vmo v = Vmo.create(P, Vmo.UNBOUNDED)) {
            assertStatus(Status.ERR_UNAVAILABLE, () -> v.setSize(2 * P), "vmo.set_size");
            assertStatus(Status.ERR_UNAVAILABLE, () -> v.setSize(Vmo.MAX_SIZE), "vmo.set_size");
            assertEquals(Vmo.MAX_SIZE, v.size());
        }
    }

    @Test
    void unboundedDiscardableLocksItsWholeRange() {
        try (Vmo v = Vmo.create(P, Vmo.UNBOUNDED | Vmo.DISCARDABLE)) {
            LockState s = v.lock();
            assertEquals(0, s.offset());
            assertEquals(Vmo.MAX_SIZE, s.size());
            v.unlock();
        }
    }

    @Test
    void everyVmoHasItsOwnKoidAndTheZeroChildrenSignal() {
        try (Vmo a = Vmo.create(P); Vmo b = Vmo.create(P)) {
            assertNotEquals(a.koid(), b.koid());
            assertTrue(a.koid() > 0 && b.koid() > 0);
            assertEquals(Signals.VMO_ZERO_CHILDREN, a.signals());
            assertEquals(Signals.VMO_ZERO_CHILDREN, b.signals());
            assertTrue(a.isValid());
        }
    }

    @Test
    void createdVmoIsCountedLiveUntilClosed() {
        int before = Zx.liveVmoCount();
        Vmo v = Vmo.create(P);
        assertEquals(before + 1, Zx.liveVmoCount());
        v.close();
        assertEquals(before, Zx.liveVmoCount());
    }

    @Test
    void createConvenienceMeansNoOptions() {
        try (Vmo v = Vmo.create(5 * P)) {
            assertEquals(VmoInfo.TYPE_PAGED | VmoInfo.VIA_HANDLE, v.info().flags());
            assertStatus(Status.ERR_UNAVAILABLE, () -> v.setSize(P));
        }
    }
}
