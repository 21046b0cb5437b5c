package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.allZero;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.committed;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * DISCARDABLE VMOs: LOCK / TRY_LOCK / UNLOCK with every check of API.md, and discarding on demand
 * and past a budget. (Discarding under real memory pressure is {@link PressureTest}.)
 */
@Isolated("Zx.reclaimDiscardable and the budget act on every discardable VMO of the process")
class DiscardableTest {
    private static final long MIB = 1 << 20;

    @AfterEach
    void noBudget() {
        Zx.setDiscardableBudget(Long.MAX_VALUE);
    }

    private static LockState lockWithBuffer(Vmo v, MemorySegment buf) {
        return v.opRange(Vmo.OP_LOCK, 0, v.size(), buf);
    }

    private static LockState fromBuffer(MemorySegment buf) {
        return new LockState(buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 8),
                buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 16), buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 24));
    }

    /** A discardable VMO of {@code bytes}, filled with a pattern while locked, then unlocked. */
    private static Vmo filled(long bytes, int seed) {
        Vmo v = Vmo.create(bytes, Vmo.DISCARDABLE);
        v.lock();
        v.write(pattern((int) bytes, seed), 0);
        v.unlock();
        return v;
    }

    @Test
    void lockFillsTheBufferAndReturnsTheState() {
        try (Vmo v = Vmo.create(3 * P, Vmo.DISCARDABLE); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LockState.BYTES);
            buf.fill((byte) 0x55);
            LockState s = lockWithBuffer(v, buf);
            assertEquals(new LockState(0, 3 * P, 0, 0), s);
            assertEquals(s, fromBuffer(buf));
            assertFalse(s.discarded());
            v.unlock();
        }
    }

    @Test
    void lockNeedsABufferOfAtLeast32Bytes() {
        assertEquals(32, LockState.BYTES);
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE); Arena a = Arena.ofConfined()) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> lockWithBuffer(v, MemorySegment.NULL), "LOCK", "32");
            assertStatus(Status.ERR_INVALID_ARGS, () -> lockWithBuffer(v, null), "LOCK");
            assertStatus(Status.ERR_INVALID_ARGS, () -> lockWithBuffer(v, a.allocate(31)), "LOCK");
            assertStatus(Status.ERR_INVALID_ARGS, () -> lockWithBuffer(v, a.allocate(32).asReadOnly()), "LOCK");
            // None of the failed calls locked it.
            assertStatus(Status.ERR_BAD_STATE, v::unlock);
            // A larger buffer is fine; only the first 32 bytes are written.
            MemorySegment big = a.allocate(48);
            big.fill((byte) 0x77);
            lockWithBuffer(v, big);
            assertEquals(new LockState(0, P, 0, 0), fromBuffer(big));
            assertEquals(0x77, big.get(ValueLayout.JAVA_BYTE, 40));
            v.unlock();
            // A heap segment works as a buffer too.
            MemorySegment heap = MemorySegment.ofArray(new long[4]);
            lockWithBuffer(v, heap);
            assertEquals(P, fromBuffer(heap).size());
            v.unlock();
        }
    }

    @Test
    void tryLockAcceptsNullAndFillsABufferWhenGiven() {
        try (Vmo v = Vmo.create(2 * P, Vmo.DISCARDABLE); Arena a = Arena.ofConfined()) {
            assertEquals(new LockState(0, 2 * P, 0, 0), v.opRange(Vmo.OP_TRY_LOCK, 0, 2 * P, MemorySegment.NULL));
            assertEquals(new LockState(0, 2 * P, 0, 0), v.tryLock());
            MemorySegment buf = a.allocate(LockState.BYTES);
            LockState s = v.opRange(Vmo.OP_TRY_LOCK, 0, 2 * P, buf);
            assertEquals(s, fromBuffer(buf));
            v.unlock();
            v.unlock();
            v.unlock();
            assertStatus(Status.ERR_BAD_STATE, v::unlock);
        }
    }

    @Test
    void rangeMustBeExactlyTheWholeVmo() {
        try (Vmo v = Vmo.create(4 * P, Vmo.DISCARDABLE); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LockState.BYTES);
            long[][] bad = {{0, 3 * P}, {0, 5 * P}, {P, 3 * P}, {P, 4 * P}, {0, 0}, {1, 4 * P - 1}, {-P, 5 * P}, {0, -1L}};
            for (long[] r : bad) {
                assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(Vmo.OP_LOCK, r[0], r[1], buf), "LOCK");
                assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(Vmo.OP_TRY_LOCK, r[0], r[1], MemorySegment.NULL), "TRY_LOCK");
                assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(Vmo.OP_UNLOCK, r[0], r[1], MemorySegment.NULL), "UNLOCK");
            }
            assertStatus(Status.ERR_BAD_STATE, v::unlock);
        }
    }

    @Test
    void lockOpsNeedReadOrWrite() {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE);
                Vmo neither = v.duplicate(Rights.DEFAULT_VMO & ~Rights.IO);
                Vmo readOnly = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE);
                Vmo writeOnly = v.duplicate(Rights.DEFAULT_VMO & ~Rights.READ);
                Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LockState.BYTES);
            assertStatus(Status.ERR_ACCESS_DENIED, () -> neither.opRange(Vmo.OP_LOCK, 0, P, buf), "LOCK");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> neither.opRange(Vmo.OP_TRY_LOCK, 0, P, MemorySegment.NULL));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> neither.opRange(Vmo.OP_UNLOCK, 0, P, MemorySegment.NULL));
            readOnly.lock();
            writeOnly.lock();
            readOnly.unlock();
            writeOnly.unlock();
            assertStatus(Status.ERR_BAD_STATE, readOnly::unlock);
        }
    }

    /**
     * Zircon's RangeOp checks the rights, then the LOCK buffer, then VmCowPages::LockRange checks that
     * the VMO is discardable (NOT_SUPPORTED) and then the range (OUT_OF_RANGE).
     */
    @Test
    void validationOrder() {
        try (Vmo d = Vmo.create(P, Vmo.DISCARDABLE); Vmo plain = Vmo.create(P);
                Vmo dNone = d.duplicate(Rights.DUPLICATE); Vmo plainNone = plain.duplicate(Rights.DUPLICATE);
                Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LockState.BYTES);
            // ACCESS_DENIED over INVALID_ARGS, NOT_SUPPORTED and OUT_OF_RANGE
            assertStatus(Status.ERR_ACCESS_DENIED, () -> plainNone.opRange(Vmo.OP_LOCK, 1, 0, MemorySegment.NULL));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> dNone.opRange(Vmo.OP_LOCK, 1, 0, MemorySegment.NULL));
            // Zircon locks (NOT_SUPPORTED, OUT_OF_RANGE) before it checks the buffer (issue 12, item 9)
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> plain.opRange(Vmo.OP_LOCK, 1, 0, MemorySegment.NULL));
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> d.opRange(Vmo.OP_LOCK, 1, 0, a.allocate(8)));
            assertStatus(Status.ERR_INVALID_ARGS, () -> d.opRange(Vmo.OP_LOCK, 0, P, a.allocate(8)));
            assertStatus(Status.ERR_BAD_STATE, () -> d.opRange(Vmo.OP_UNLOCK, 0, P, MemorySegment.NULL));
            // NOT_SUPPORTED over OUT_OF_RANGE
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> plain.opRange(Vmo.OP_LOCK, 1, 0, buf));
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> plain.opRange(Vmo.OP_TRY_LOCK, 1, 0, MemorySegment.NULL));
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> plain.opRange(Vmo.OP_UNLOCK, 1, 0, MemorySegment.NULL));
            // OUT_OF_RANGE over BAD_STATE (UNLOCK of an unlocked VMO)
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> d.opRange(Vmo.OP_UNLOCK, 1, 0, MemorySegment.NULL));
        }
    }

    @Test
    void unlockWhenNotLockedIsBadState() {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            assertStatus(Status.ERR_BAD_STATE, v::unlock, "UNLOCK");
            v.lock();
            v.unlock();
            assertStatus(Status.ERR_BAD_STATE, v::unlock, "UNLOCK");
        }
    }

    @Test
    void locksNestAndOnlyTheLastUnlockMakesItDiscardable() {
        try (Vmo v = filled(4 * P, 1)) {
            v.lock();
            v.tryLock();
            v.lock();
            v.unlock();
            v.unlock();
            Zx.reclaimDiscardable();
            assertArrayEquals(pattern(4 * PI, 1), read(v, 0, 4 * PI), "locked once more: kept");
            assertEquals(new LockState(0, 4 * P, 0, 0), v.tryLock());
            v.unlock();
            v.unlock();
            Zx.reclaimDiscardable();
            assertStatus(Status.ERR_UNAVAILABLE, v::tryLock, "TRY_LOCK");
        }
    }

    @Test
    void reclaimReallyFreesTheMemoryAndLockReportsIt() {
        try (Vmo v = filled(MIB, 2)) {
            assertEquals(MIB, committed(v));
            assertTrue(Zx.reclaimDiscardable() >= 1);
            assertEquals(0, committed(v));
            assertTrue(allZero(read(v, 0, (int) MIB)));
            assertStatus(Status.ERR_UNAVAILABLE, v::tryLock, "TRY_LOCK");
            assertStatus(Status.ERR_UNAVAILABLE, () -> v.opRange(Vmo.OP_TRY_LOCK, 0, MIB, MemorySegment.NULL));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(LockState.BYTES);
                LockState s = lockWithBuffer(v, buf);
                assertEquals(new LockState(0, MIB, 0, MIB), s);
                assertEquals(s, fromBuffer(buf));
                assertTrue(s.discarded());
            }
            // Locked again: usable, and the next LOCK reports nothing discarded.
            v.write(new byte[] {1}, 0);
            assertEquals(new LockState(0, MIB, 0, 0), v.lock());
            v.unlock();
            assertEquals(new LockState(0, MIB, 0, 0), v.tryLock());
            v.unlock();
            v.unlock();
        }
    }

    @Test
    void reclaimLeavesLockedVmosAlone() {
        try (Vmo locked = filled(8 * P, 3); Vmo unlocked = filled(8 * P, 4)) {
            locked.lock();
            Zx.reclaimDiscardable();
            assertEquals(8 * P, committed(locked));
            assertArrayEquals(pattern(8 * PI, 3), read(locked, 0, 8 * PI));
            assertEquals(0, committed(unlocked));
            locked.unlock();
            assertEquals(new LockState(0, 8 * P, 0, 8 * P), unlocked.lock());
            unlocked.unlock();
        }
    }

    @Test
    void aNewDiscardableVmoIsUnlockedAndCanBeDiscarded() {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            v.write(new byte[] {1}, 0);
            Zx.reclaimDiscardable();
            assertEquals(0, read(v, 0, 1)[0]);
            assertTrue(v.lock().discarded());
            v.unlock();
        }
    }

    @Test
    void mappingsOfADiscardedVmoReadZeroLikeRead() {
        try (Vmo v = filled(4 * P, 5); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE | Vmar.ALLOW_FAULTS, 0, 4 * P)) {
            MemorySegment s = m.segment();
            assertEquals(pattern(4 * PI, 5)[3], s.get(ValueLayout.JAVA_BYTE, 3));
            Zx.reclaimDiscardable();
            for (long off = 0; off < 4 * P; off += 256) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, off));
            }
            assertTrue(v.lock().discarded());
            s.set(ValueLayout.JAVA_BYTE, 10, (byte) 9);
            assertEquals(9, read(v, 10, 1)[0]);
            v.unlock();
        }
    }

    @Test
    void budgetDiscardsTheLeastRecentlyUnlockedFirst() {
        Zx.reclaimDiscardable();
        Vmo a = Vmo.create(MIB, Vmo.DISCARDABLE);
        Vmo b = Vmo.create(MIB, Vmo.DISCARDABLE);
        Vmo c = Vmo.create(MIB, Vmo.DISCARDABLE);
        Vmo d = Vmo.create(MIB, Vmo.DISCARDABLE);
        try (a; b; c; d) {
            Vmo[] all = {a, b, c, d};
            for (int i = 0; i < all.length; i++) {
                all[i].lock();
                all[i].write(pattern((int) MIB, 10 + i), 0);
            }
            Zx.setDiscardableBudget(MIB * 5 / 2);
            assertEquals(MIB * 5 / 2, Zx.discardableBudget());
            // Unlock in an order unlike creation: c, a, d, b. Two fit the budget; the third and fourth
            // unlock push out c, then a.
            c.unlock();
            a.unlock();
            assertEquals(MIB, committed(c));
            d.unlock();
            assertEquals(0, committed(c), "c was unlocked first");
            assertEquals(MIB, committed(a));
            b.unlock();
            assertEquals(0, committed(a), "a was unlocked second");
            assertEquals(MIB, committed(d));
            assertEquals(MIB, committed(b));
            assertStatus(Status.ERR_UNAVAILABLE, c::tryLock);
            assertStatus(Status.ERR_UNAVAILABLE, a::tryLock);
            assertEquals(new LockState(0, MIB, 0, 0), d.tryLock());
            assertEquals(new LockState(0, MIB, 0, 0), b.tryLock());
            assertArrayEquals(pattern((int) MIB, 13), read(d, 0, (int) MIB));
            assertArrayEquals(pattern((int) MIB, 11), read(b, 0, (int) MIB));
            d.unlock();
            b.unlock();
        }
    }

    @Test
    void settingALowerBudgetDiscardsAtOnce() {
        Zx.reclaimDiscardable();
        try (Vmo a = filled(MIB, 20); Vmo b = filled(MIB, 21)) {
            Zx.setDiscardableBudget(MIB);
            assertEquals(0, committed(a), "a was unlocked before b");
            assertEquals(MIB, committed(b));
            Zx.setDiscardableBudget(0);
            assertEquals(0, committed(b));
        }
    }

    @Test
    void lockedVmosDoNotCountAgainstTheBudget() {
        Zx.reclaimDiscardable();
        try (Vmo a = filled(MIB, 30); Vmo b = filled(MIB, 31)) {
            a.lock();
            Zx.setDiscardableBudget(MIB);
            assertEquals(MIB, committed(a));
            assertEquals(MIB, committed(b));
            a.unlock();
            // Now a is the most recently unlocked: b goes.
            assertEquals(0, committed(b));
            assertEquals(MIB, committed(a));
        }
    }

    @Test
    void negativeBudgetIsRejected() {
        assertStatus(Status.ERR_INVALID_ARGS, () -> Zx.setDiscardableBudget(-1), "budget");
        assertEquals(Long.MAX_VALUE, Zx.discardableBudget());
    }

    @Test
    void closedDiscardableVmosAreForgotten() {
        Vmo v = filled(MIB, 40);
        v.close();
        // Neither reclaim nor a budget touches a destroyed VMO (no BAD_HANDLE leaks out of them).
        Zx.reclaimDiscardable();
        Zx.setDiscardableBudget(0);
    }

    @Test
    void discardableVmosAreFlaggedInInfo() {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            assertEquals(VmoInfo.DISCARDABLE, v.info().flags() & VmoInfo.DISCARDABLE);
        }
    }

    @Test
    void lockRangeFollowsResizes() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE | Vmo.DISCARDABLE)) {
            v.setSize(4 * P);
            assertEquals(new LockState(0, 4 * P, 0, 0), v.lock());
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(Vmo.OP_UNLOCK, 0, P, MemorySegment.NULL));
            v.unlock();
        }
    }

    @Test
    void aDiscardedVmoIsNotDiscardedAgainAndCannotBeUnlocked() {
        try (Vmo v = filled(2 * P, 50)) {
            Zx.reclaimDiscardable();
            assertEquals(0, Zx.reclaimDiscardable(), "nothing left to discard");
            assertStatus(Status.ERR_BAD_STATE, v::unlock);
            assertTrue(v.lock().discarded());
            v.unlock();
        }
    }
}
