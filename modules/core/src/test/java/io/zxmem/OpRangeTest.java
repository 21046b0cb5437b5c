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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code zx_vmo_op_range} for non-discardable VMOs, and what it does to committed memory. */
class OpRangeTest {
    private static final int[] RANGE_OPS = {Vmo.OP_COMMIT, Vmo.OP_DECOMMIT, Vmo.OP_ZERO, Vmo.OP_CACHE_SYNC,
        Vmo.OP_CACHE_CLEAN, Vmo.OP_CACHE_CLEAN_INVALIDATE, Vmo.OP_DONT_NEED, Vmo.OP_ALWAYS_NEED, Vmo.OP_PREFETCH};

    @Test
    void writesCommitWholePagesAndReadsCommitNothing() {
        try (Vmo v = Vmo.create(64 * P)) {
            assertEquals(0, committed(v));
            v.read(new byte[(int) (64 * P)], 0);
            try (Arena a = Arena.ofConfined()) {
                v.read(a.allocate(64 * P), 0);
            }
            assertEquals(0, committed(v));
            v.write(new byte[] {1}, 3 * P + 5);
            assertEquals(P, committed(v));
            v.write(new byte[2], 10 * P - 1);
            assertEquals(3 * P, committed(v));
            v.read(new byte[(int) (64 * P)], 0);
            assertEquals(3 * P, committed(v));
        }
    }

    @Test
    void commitRoundsOutToPagesAndKeepsTheContent() {
        try (Vmo v = Vmo.create(16 * P)) {
            v.write(new byte[] {9}, 0);
            v.commit(P - 1, 2);
            assertEquals(2 * P, committed(v));
            v.commit(5 * P + 1, P);
            assertEquals(4 * P, committed(v));
            assertEquals(9, read(v, 0, 1)[0]);
            assertTrue(allZero(read(v, 1, (int) (16 * P) - 1)));
            v.commit(0, 16 * P);
            assertEquals(16 * P, committed(v));
            assertEquals(9, read(v, 0, 1)[0]);
            assertNull(v.opRange(Vmo.OP_COMMIT, 0, P, MemorySegment.NULL));
        }
    }

    @Test
    void emptyRangesAreAcceptedAndChangeNothing() {
        try (Vmo v = Vmo.create(4 * P)) {
            v.commit(P, 0);
            v.commit(4 * P, 0);
            v.zero(3, 0);
            v.decommit(4 * P, 0);
            assertEquals(0, committed(v));
        }
    }

    @Test
    void decommitFreesPagesThatThenReadZero() {
        try (Vmo v = Vmo.create(8 * P)) {
            v.write(pattern(8 * PI, 1), 0);
            assertEquals(8 * P, committed(v));
            v.decommit(2 * P, 3 * P);
            assertEquals(5 * P, committed(v));
            byte[] after = read(v, 0, 8 * PI);
            assertArrayEquals(Arrays.copyOf(pattern(8 * PI, 1), 2 * PI), Arrays.copyOf(after, 2 * PI));
            assertTrue(allZero(Arrays.copyOfRange(after, 2 * PI, 5 * PI)));
            assertArrayEquals(Arrays.copyOfRange(pattern(8 * PI, 1), 5 * PI, 8 * PI), Arrays.copyOfRange(after, 5 * PI, 8 * PI));
            v.decommit(0, 8 * P);
            assertEquals(0, committed(v));
            assertTrue(allZero(read(v, 0, 8 * PI)));
        }
    }

    @Test
    void decommitNeedsAPageAlignedRange() {
        try (Vmo v = Vmo.create(8 * P)) {
            v.write(pattern(8 * PI, 1), 0);
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.decommit(1, P), "DECOMMIT");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.decommit(0, P + 1), "DECOMMIT");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.decommit(P, 1), "DECOMMIT");
            assertEquals(8 * P, committed(v));
        }
    }

    @Test
    void zeroIsByteGranularAndFreesTheWholePagesInside() {
        try (Vmo v = Vmo.create(4 * P)) {
            byte[] data = pattern(4 * PI, 2);
            v.write(data, 0);
            v.zero(10, 2 * P);
            byte[] expect = data.clone();
            Arrays.fill(expect, 10, 2 * PI + 10, (byte) 0);
            assertArrayEquals(expect, read(v, 0, 4 * PI));
            // Page 1 lies wholly inside and is freed; pages 0 and 2 keep their other bytes.
            assertEquals(3 * P, committed(v));
            v.zero(P - 1, 2);
            expect[PI - 1] = 0;
            expect[PI] = 0;
            assertArrayEquals(expect, read(v, 0, 4 * PI));
            v.zero(0, 4 * P);
            assertEquals(0, committed(v));
            assertTrue(allZero(read(v, 0, 4 * PI)));
        }
    }

    @Test
    void zeroOnUncommittedPagesCommitsNothing() {
        try (Vmo v = Vmo.create(4 * P)) {
            v.zero(1, 3 * P);
            assertEquals(0, committed(v));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {Vmo.OP_COMMIT, Vmo.OP_DECOMMIT, Vmo.OP_ZERO, Vmo.OP_CACHE_SYNC, Vmo.OP_CACHE_CLEAN,
        Vmo.OP_CACHE_CLEAN_INVALIDATE, Vmo.OP_DONT_NEED, Vmo.OP_ALWAYS_NEED, Vmo.OP_PREFETCH})
    void rangesPastTheSizeAreOutOfRange(int op) {
        try (Vmo v = Vmo.create(4 * P)) {
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(op, 0, 5 * P, MemorySegment.NULL), "vmo.op_range");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(op, 4 * P, P, MemorySegment.NULL), "vmo.op_range");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(op, 5 * P, P, MemorySegment.NULL), "vmo.op_range");
            // offset + size wraps past 2^64
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(op, P, -P, MemorySegment.NULL), "vmo.op_range");
            assertStatus(Status.ERR_OUT_OF_RANGE, () -> v.opRange(op, -P, 2 * P, MemorySegment.NULL), "vmo.op_range");
            // Inside is fine and returns no lock state.
            assertNull(v.opRange(op, 0, 4 * P, MemorySegment.NULL));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 15, 16, 100, -1, Integer.MIN_VALUE})
    void unknownOpIsInvalidArgs(int op) {
        try (Vmo v = Vmo.create(P); Vmo none = v.duplicate(Rights.DUPLICATE)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(op, 0, P, MemorySegment.NULL), "vmo.op_range");
            // The op is decoded before any rights are looked at.
            assertStatus(Status.ERR_INVALID_ARGS, () -> none.opRange(op, 0, P, MemorySegment.NULL), "vmo.op_range");
        }
    }

    @Test
    void commitDecommitAndZeroNeedTheWriteRight() {
        try (Vmo v = Vmo.create(P); Vmo ro = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE)) {
            for (int op : new int[] {Vmo.OP_COMMIT, Vmo.OP_DECOMMIT, Vmo.OP_ZERO}) {
                assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.opRange(op, 0, P, MemorySegment.NULL), "vmo.op_range", "WRITE");
                // Rights come before the range and the alignment.
                assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.opRange(op, 1, 10 * P, MemorySegment.NULL));
            }
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.commit(0, P));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.decommit(0, P));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.zero(0, 1));
        }
    }

    @Test
    void cacheOpsAndPrefetchNeedTheReadRight() {
        try (Vmo v = Vmo.create(P); Vmo wo = v.duplicate(Rights.DEFAULT_VMO & ~Rights.READ)) {
            for (int op : new int[] {Vmo.OP_CACHE_SYNC, Vmo.OP_CACHE_CLEAN, Vmo.OP_CACHE_CLEAN_INVALIDATE,
                Vmo.OP_CACHE_INVALIDATE, Vmo.OP_PREFETCH}) {
                assertStatus(Status.ERR_ACCESS_DENIED, () -> wo.opRange(op, 0, P, MemorySegment.NULL), "READ");
                assertStatus(Status.ERR_ACCESS_DENIED, () -> wo.opRange(op, 0, 0, MemorySegment.NULL));
            }
        }
    }

    @Test
    void cacheOpsOnAnEmptyRangeAreInvalidArgs() {
        try (Vmo v = Vmo.create(P)) {
            for (int op : new int[] {Vmo.OP_CACHE_SYNC, Vmo.OP_CACHE_CLEAN, Vmo.OP_CACHE_CLEAN_INVALIDATE, Vmo.OP_CACHE_INVALIDATE}) {
                assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(op, 0, 0, MemorySegment.NULL), "vmo.op_range");
            }
        }
    }

    @Test
    void cacheInvalidateIsNotSupported() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_CACHE_INVALIDATE, 0, P, MemorySegment.NULL),
                    "CACHE_INVALIDATE");
        }
    }

    @Test
    void hintsAndCacheMaintenanceKeepTheContent() {
        try (Vmo v = Vmo.create(4 * P)) {
            byte[] data = pattern(4 * PI, 5);
            v.write(data, 0);
            for (int op : RANGE_OPS) {
                if (op == Vmo.OP_DECOMMIT || op == Vmo.OP_ZERO || op == Vmo.OP_COMMIT) {
                    continue;
                }
                v.opRange(op, 1, 3 * P, MemorySegment.NULL);
                assertArrayEquals(data, read(v, 0, 4 * PI), "after op " + op);
            }
            assertEquals(4 * P, committed(v));
        }
    }

    @Test
    void lockOpsOnANonDiscardableVmoAreNotSupported() {
        try (Vmo v = Vmo.create(P); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LockState.BYTES);
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_LOCK, 0, P, buf), "LOCK");
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_TRY_LOCK, 0, P, MemorySegment.NULL), "TRY_LOCK");
            assertStatus(Status.ERR_NOT_SUPPORTED, () -> v.opRange(Vmo.OP_UNLOCK, 0, P, MemorySegment.NULL), "UNLOCK");
            assertStatus(Status.ERR_NOT_SUPPORTED, v::lock);
            assertStatus(Status.ERR_NOT_SUPPORTED, v::tryLock);
            assertStatus(Status.ERR_NOT_SUPPORTED, v::unlock);
        }
    }

    @Test
    void committedBytesAreZeroAfterDecommitOfEverythingEvenForBigVmos() {
        try (Vmo v = Vmo.create(1L << 30)) {
            for (long off = 0; off < (1L << 30); off += 1L << 24) {
                v.write(new byte[] {1}, off);
            }
            assertEquals(64 * P, committed(v));
            v.decommit(0, 1L << 30);
            assertEquals(0, committed(v));
        }
    }

    /**
     * The kernel never refuses shmem pages with ENOMEM (past the limit its OOM killer ends the
     * process), so a COMMIT larger than the memory left must fail up front with NO_MEMORY, commit
     * nothing, and leave the VMO usable.
     */
    @Test
    void commitOfMoreThanTheMemoryLeftIsNoMemory() {
        try (Vmo v = Vmo.create(HugeSparseTest.HUGE)) {
            assertStatus(Status.ERR_NO_MEMORY, () -> v.commit(0, 1L << 48), "COMMIT", "0x1000000000000");
            assertStatus(Status.ERR_NO_MEMORY, () -> v.commit(HugeSparseTest.TWO_62 - P, 1L << 47));
            assertEquals(0, committed(v));
            v.write(new byte[1], 0);
            assertEquals(P, committed(v));
        }
    }

    @Test
    void recommittingCommittedPagesNeedsNoNewMemory() {
        long big = 32L << 20;
        try (Vmo v = Vmo.create(big)) {
            v.commit(0, big);
            assertEquals(big, committed(v));
            v.commit(0, big);
            v.commit(P, big - P);
            assertEquals(big, committed(v));
        }
    }
}
