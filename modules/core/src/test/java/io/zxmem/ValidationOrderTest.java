package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Where several checks fail at once, the status is the one current Zircon reports (issue 12, item 9),
 * and public methods throw ZxException rather than raw exceptions (item 7).
 */
class ValidationOrderTest {
    private static final int UNKNOWN_CREATE_BIT = 1 << 30;

    @Test
    void createRoundsTheSizeBeforeLookingAtTheOptions() {
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(-1L, UNKNOWN_CREATE_BIT), "vmo.create");
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(-1L, Vmo.RESIZABLE | Vmo.UNBOUNDED));
        // The unknown bit is still refused once the size is fine.
        assertStatus(Status.ERR_INVALID_ARGS, () -> Vmo.create(P, UNKNOWN_CREATE_BIT));
    }

    @Test
    void unboundedContentSizeCannotExceedTheVmo() {
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(Vmo.MAX_SIZE + 1, Vmo.UNBOUNDED));
        assertStatus(Status.ERR_OUT_OF_RANGE, () -> Vmo.create(-1L, Vmo.UNBOUNDED));
        try (Vmo v = Vmo.create(Vmo.MAX_SIZE, Vmo.UNBOUNDED)) {
            assertEquals(Vmo.MAX_SIZE, v.size());
            assertEquals(Vmo.MAX_SIZE, v.contentSize());
        }
    }

    @Test
    void mapWhoseEndOverflowsIsOutOfRange() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.map(Vmar.PERM_READ, -P, 2 * P), "vmar.map");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.map(Vmar.PERM_READ, 0, -1L), "vmar.map");
        }
    }

    @Test
    void lockOfANonDiscardableVmoIsNotSupportedBeforeAnyBufferCheck() {
        try (Vmo v = Vmo.create(P); Arena a = Arena.ofConfined()) {
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_LOCK, 0, P, MemorySegment.NULL), "LOCK");
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_LOCK, 0, P, a.allocate(1)), "LOCK");
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_LOCK, 0, P, null), "LOCK");
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_TRY_LOCK, 0, P, a.allocate(1)), "TRY_LOCK");
        }
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            // Discardable: the range first, then the buffer.
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(Vmo.OP_LOCK, 0, 2 * P, MemorySegment.NULL));
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(Vmo.OP_LOCK, 0, P, MemorySegment.NULL));
            assertStatus(Status.ERR_BAD_STATE, v::unlock);
        }
    }

    @Test
    void sliceWhoseEndWrapsPast2To64IsNotInsideTheParent() {
        try (Vmo v = Vmo.create(4 * P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.createChild(Vmo.CHILD_SLICE, -P, 2 * P), "create_child");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.createChild(Vmo.CHILD_SLICE, Vmo.MAX_SIZE, 1L << 20));
            assertEquals(0, v.info().numChildren());
        }
    }

    @Test
    void statusOfAnUnknownValueIsInvalidArgs() {
        assertStatus(Status.ERR_INVALID_ARGS, () -> Status.of(12345), "12345");
        assertEquals(Status.ERR_OUT_OF_RANGE, Status.of(-14));
        for (Status s : Status.values()) {
            assertEquals(s, Status.of(s.value()));
        }
    }

    @Test
    void negativeDiscardableBudgetIsInvalidArgsAndChangesNothing() {
        long before = Zx.discardableBudget();
        assertStatus(Status.ERR_INVALID_ARGS, () -> Zx.setDiscardableBudget(-1), "budget");
        assertStatus(Status.ERR_INVALID_ARGS, () -> Zx.setDiscardableBudget(Long.MIN_VALUE));
        assertEquals(before, Zx.discardableBudget());
    }
}
