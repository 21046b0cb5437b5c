package io.zxmem.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Mapping;
import io.zxmem.Rights;
import io.zxmem.Signals;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.VmoInfo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every rule of {@code zx_vmo_create_child} in API.md, each bad input with its status. */
class ChildRulesTest {
    static final long P = Zx.pageSize();
    static final int SNAP = Vmo.CHILD_SNAPSHOT;
    static final int ALOW = Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE;
    static final int SLICE = Vmo.CHILD_SLICE;

    static void status(Status s, Executable e) {
        ZxException x = assertThrows(ZxException.class, e);
        assertEquals(s, x.status(), x.getMessage());
        assertTrue(x.getMessage().contains("vmo.create_child") || x.getMessage().contains("op_range")
                || x.getMessage().contains("set_") || x.getMessage().contains("vmo.write"), x.getMessage());
    }

    static byte get(Vmo v, long off) {
        byte[] b = new byte[1];
        v.read(b, off);
        return b[0];
    }

    static void put(Vmo v, long off, int val) {
        v.write(new byte[] {(byte) val}, off);
    }

    @Test
    void aliasAndConstants() {
        assertEquals(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, Vmo.CHILD_COPY_ON_WRITE);
    }

    @Test
    void orderOfChecks() {
        try (Vmo v = Vmo.create(4 * P, Vmo.DISCARDABLE)) {
            // size rounding overflow wins over everything, even bad options and missing rights.
            status(Status.ERR_OUT_OF_RANGE, () -> v.createChild(0xFF, 0, -1L));
            status(Status.ERR_OUT_OF_RANGE, () -> v.createChild(SNAP, 0, Vmo.MAX_SIZE + 1));
            status(Status.ERR_OUT_OF_RANGE, () -> v.createChild(SNAP, -P, 2 * P));
            // NO_WRITE|RESIZABLE before rights.
            try (Vmo noDup = v.duplicate(Rights.READ | Rights.WRITE)) {
                status(Status.ERR_INVALID_ARGS, () -> noDup.createChild(SNAP | Vmo.CHILD_NO_WRITE | Vmo.CHILD_RESIZABLE, 0, P));
                status(Status.ERR_ACCESS_DENIED, () -> noDup.createChild(SNAP, 0, P));
                status(Status.ERR_ACCESS_DENIED, () -> noDup.createChild(0, 0, P));
            }
            try (Vmo noRead = v.duplicate(Rights.DUPLICATE | Rights.WRITE)) {
                status(Status.ERR_ACCESS_DENIED, () -> noRead.createChild(SNAP, 0, P));
            }
            // kinds before the parent's state (discardable).
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(0, 0, P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SNAP | ALOW, 0, P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SNAP | SLICE, 0, P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SNAP | (1 << 9), 0, P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SLICE | Vmo.CHILD_RESIZABLE, 0, P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.createChild(SNAP, 0, P));
            status(Status.ERR_NOT_SUPPORTED, () -> v.createChild(SLICE, 0, P));
        }
        try (Vmo v = Vmo.create(4 * P)) {
            v.close();
            status(Status.ERR_BAD_HANDLE, () -> v.createChild(SNAP, 0, P));
        }
    }

    @Test
    void sliceRules() {
        try (Vmo v = Vmo.create(4 * P); Vmo r = Vmo.create(4 * P, Vmo.RESIZABLE)) {
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SLICE, 1, P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SLICE, 2 * P, 3 * P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SLICE, 5 * P, P));
            status(Status.ERR_NOT_SUPPORTED, () -> r.createChild(SLICE, 0, P));
            try (Vmo s = v.createChild(SLICE, P, 2 * P)) {
                assertEquals(2 * P, s.size());
                put(v, P + 5, 7);
                assertEquals(7, get(s, 5));
                put(s, P + 1, 9);
                assertEquals(9, get(v, 2 * P + 1));
                try (Vmo ss = s.createChild(SLICE, P, P)) {
                    assertEquals(9, get(ss, 1));
                    put(ss, 2, 3);
                    assertEquals(3, get(v, 2 * P + 2));
                }
                // Through mappings, both ways.
                try (Mapping m = s.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P);
                        Mapping pm = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P)) {
                    m.segment().set(ValueLayout.JAVA_BYTE, 10, (byte) 42);
                    assertEquals(42, get(v, P + 10));
                    assertEquals(42, pm.segment().get(ValueLayout.JAVA_BYTE, P + 10));
                    pm.segment().set(ValueLayout.JAVA_BYTE, P + 11, (byte) 43);
                    assertEquals(43, m.segment().get(ValueLayout.JAVA_BYTE, 11));
                }
                assertEquals(0, s.info().committedBytes());
                assertEquals(0, s.info().flags() & VmoInfo.IS_COW_CLONE);
                // DECOMMIT on a slice frees the parent's pages.
                v.write(new byte[(int) (4 * P)], 0);
                v.write(new byte[] {1}, 2 * P);
                long before = v.info().committedBytes();
                s.decommit(P, P);
                assertEquals(0, get(v, 2 * P));
                assertTrue(v.info().committedBytes() < before);
                status(Status.ERR_INVALID_ARGS, () -> s.createChild(SLICE, 0, 3 * P));
            }
        }
    }

    @Test
    void rightsDerivation() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            int base = v.rights();
            try (Vmo s = v.createChild(SNAP, 0, P)) {
                assertEquals((base & ~Rights.RESIZE) | Rights.PROPERTY | Rights.WRITE, s.rights());
            }
            try (Vmo s = v.createChild(ALOW | Vmo.CHILD_RESIZABLE, 0, P)) {
                assertEquals(base | Rights.PROPERTY | Rights.WRITE, s.rights());
            }
            try (Vmo ro = v.duplicate(Rights.DUPLICATE | Rights.READ | Rights.MAP | Rights.INSPECT)) {
                try (Vmo s = ro.createChild(SNAP, 0, P)) {
                    // snapshots add WRITE (and drop EXECUTE, which anonymous VMOs never have)
                    assertEquals(Rights.DUPLICATE | Rights.READ | Rights.MAP | Rights.INSPECT | Rights.PROPERTY | Rights.WRITE,
                            s.rights());
                }
                try (Vmo s = ro.createChild(SNAP | Vmo.CHILD_NO_WRITE, 0, P)) {
                    assertEquals(Rights.DUPLICATE | Rights.READ | Rights.MAP | Rights.INSPECT | Rights.PROPERTY,
                            s.rights());
                    assertTrue((s.info().flags() & VmoInfo.IMMUTABLE) != 0);
                    status(Status.ERR_ACCESS_DENIED, () -> s.write(new byte[1], 0));
                }
            }
        }
        try (Vmo v = Vmo.create(P)) {
            try (Vmo s = v.createChild(SLICE, 0, P)) {
                assertEquals(v.rights() | Rights.PROPERTY, s.rights());
            }
            try (Vmo s = v.createChild(SLICE | Vmo.CHILD_NO_WRITE, 0, P)) {
                assertEquals(0, s.rights() & Rights.WRITE);
            }
            try (Vmo s = v.createChild(ALOW | Vmo.CHILD_NO_WRITE, 0, P)) {
                assertEquals(0, s.info().flags() & VmoInfo.IMMUTABLE);
                assertTrue((s.info().flags() & VmoInfo.IS_COW_CLONE) != 0);
            }
        }
    }

    @Test
    void sizesNamesAndInfo() {
        try (Vmo v = Vmo.create(4 * P)) {
            v.setName("parent-name");
            try (Vmo c = v.createChild(SNAP, P, 2 * P + 3)) {
                assertEquals(3 * P, c.size());
                assertEquals(2 * P + 3, c.contentSize());
                assertEquals("parent-name", c.name());
                VmoInfo i = c.info();
                assertEquals(v.koid(), i.parentKoid());
                assertTrue((i.flags() & VmoInfo.IS_COW_CLONE) != 0);
                assertEquals(0, i.flags() & VmoInfo.RESIZABLE);
                assertEquals(1, v.info().numChildren());
            }
            assertEquals(0, v.info().numChildren());
            try (Vmo c = v.createChild(SNAP | Vmo.CHILD_RESIZABLE, 0, P)) {
                assertTrue((c.info().flags() & VmoInfo.RESIZABLE) != 0);
                c.setSize(8 * P);
                assertEquals(8 * P, c.size());
            }
        }
    }

    @Test
    void snapshotRules() {
        try (Vmo v = Vmo.create(2 * P)) {
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(SNAP, 1, P));
            status(Status.ERR_INVALID_ARGS, () -> v.createChild(ALOW, P + 1, P));
            v.setCachePolicy(Vmo.CACHE_UNCACHED);
            status(Status.ERR_BAD_STATE, () -> v.createChild(SNAP, 0, P));
            status(Status.ERR_BAD_STATE, () -> v.createChild(ALOW, 0, P));
            v.setCachePolicy(Vmo.CACHE_CACHED);
            try (Vmo c = v.createChild(SNAP, 0, P)) {
                status(Status.ERR_BAD_STATE, () -> v.setCachePolicy(Vmo.CACHE_UNCACHED));
                status(Status.ERR_BAD_STATE, () -> c.setCachePolicy(Vmo.CACHE_UNCACHED));
            }
            v.setCachePolicy(Vmo.CACHE_CACHED);
            try (Vmo s = v.createChild(SLICE, 0, P)) {
                s.setCachePolicy(Vmo.CACHE_CACHED); // a slice is not a copy-on-write child
            }
        }
    }

    @Test
    void ancestorOffsetsOverflow() {
        long big = 0x8000_0000_0000_0000L;
        try (Vmo v = Vmo.create(P)) {
            try (Vmo a = v.createChild(SNAP | Vmo.CHILD_RESIZABLE, big, P)) {
                status(Status.ERR_INVALID_ARGS, () -> a.createChild(SNAP, big, P));
                try (Vmo b = a.createChild(SNAP | Vmo.CHILD_RESIZABLE, big - 4 * P, P)) {
                    // b sits at 2^64 - 4P in the root: growing past 4P would overflow.
                    status(Status.ERR_INVALID_ARGS, () -> b.setSize(8 * P));
                    b.setSize(2 * P);
                }
            }
        }
    }

    @Test
    void decommitAndZeroOnChildren() {
        try (Vmo v = Vmo.create(4 * P)) {
            put(v, 0, 5);
            put(v, P, 6);
            try (Vmo c = v.createChild(SNAP, 0, 4 * P); Vmo a = v.createChild(ALOW, 0, 4 * P)) {
                status(Status.ERR_NOT_SUPPORTED, () -> c.decommit(0, P));
                status(Status.ERR_NOT_SUPPORTED, () -> a.decommit(0, P));
                status(Status.ERR_NOT_SUPPORTED, () -> v.decommit(0, P));
                try (Vmo s = v.createChild(SLICE, 0, P)) {
                    status(Status.ERR_NOT_SUPPORTED, () -> s.decommit(0, P));
                }
                // ZERO on a child never re-exposes the parent's data.
                c.zero(0, 2 * P);
                assertEquals(0, get(c, 0));
                assertEquals(0, get(c, P));
                assertEquals(5, get(v, 0));
                a.zero(0, P);
                assertEquals(0, get(a, 0));
                status(Status.ERR_INVALID_ARGS, () -> c.decommit(1, P));
            }
            v.decommit(0, P); // no copy-on-write child any more
            assertEquals(0, get(v, 0));
        }
    }

    @Test
    void snapshotIsTwoWayAtAnyDepth() {
        try (Vmo v = Vmo.create(3 * P)) {
            put(v, 0, 1);
            put(v, 2 * P, 2);
            try (Vmo c = v.createChild(SNAP, P, 4 * P)) {
                assertEquals(2, get(c, P));
                assertEquals(0, get(c, 3 * P)); // past the parent's end
                put(v, 2 * P, 3);
                put(c, P + 1, 4);
                put(c, 3 * P, 9);
                assertEquals(2, get(c, P));
                assertEquals(0, get(v, 2 * P + 1));
                try (Vmo g = c.createChild(SNAP, 0, 2 * P)) {
                    put(c, P, 7);
                    assertEquals(2, get(g, P));
                    assertEquals(4, get(g, P + 1));
                    put(g, 0, 8);
                    assertEquals(0, get(c, 0));
                    c.close();
                    v.close();
                    assertEquals(2, get(g, P));
                }
            }
        }
    }

    @Test
    void atLeastOnWriteKeepsItsWrites() {
        try (Vmo v = Vmo.create(2 * P)) {
            put(v, 0, 1);
            try (Vmo a = v.createChild(ALOW, 0, 2 * P)) {
                put(a, 0, 2);
                put(v, 0, 3);
                assertEquals(2, get(a, 0));
                assertEquals(3, get(v, 0));
                byte seen = get(a, P); // may or may not see later parent writes elsewhere
                put(v, P, 5);
                byte now = get(a, P);
                assertTrue(now == seen || now == 5);
                // A snapshot of an at-least-on-write child is a fixed copy.
                try (Vmo g = a.createChild(SNAP, 0, 2 * P)) {
                    byte fixed = get(g, P);
                    put(v, P, 6);
                    assertEquals(fixed, get(g, P));
                }
            }
        }
    }

    @Test
    void zeroChildrenSignalLifecycle() throws Exception {
        try (Vmo v = Vmo.create(2 * P)) {
            assertTrue((v.signals() & Signals.VMO_ZERO_CHILDREN) != 0);
            Vmo c = v.createChild(SNAP, 0, P);
            assertEquals(0, v.signals() & Signals.VMO_ZERO_CHILDREN);
            Vmo g = c.createChild(ALOW, 0, P);
            c.close();
            // The grandchild keeps its closed parent alive, and so keeps the root's signal cleared.
            assertEquals(0, v.signals() & Signals.VMO_ZERO_CHILDREN);
            Mapping m = g.map(Vmar.PERM_READ, 0, P);
            g.close();
            assertEquals(0, v.signals() & Signals.VMO_ZERO_CHILDREN, "a mapping keeps the child alive");
            m.close();
            assertTrue((v.waitOne(Signals.VMO_ZERO_CHILDREN, Duration.ofSeconds(5)) & Signals.VMO_ZERO_CHILDREN) != 0);
            try (Vmo s = v.createChild(SLICE, 0, P)) {
                assertEquals(0, v.signals() & Signals.VMO_ZERO_CHILDREN);
            }
            assertTrue((v.signals() & Signals.VMO_ZERO_CHILDREN) != 0);
        }
    }

    @Test
    void mappedTwiceShowsTheSameBytes() {
        try (Vmo v = Vmo.create(2 * P)) {
            put(v, 0, 1);
            for (int kind : new int[] {SNAP, ALOW}) {
                try (Vmo c = v.createChild(kind, 0, 2 * P);
                        Mapping m1 = c.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P);
                        Mapping m2 = c.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P)) {
                    MemorySegment a = m1.segment();
                    MemorySegment b = m2.segment();
                    a.set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
                    assertEquals(7, b.get(ValueLayout.JAVA_BYTE, 0));
                    assertEquals(7, get(c, 0));
                    put(c, P, 8);
                    assertEquals(8, a.get(ValueLayout.JAVA_BYTE, P));
                    assertEquals(8, b.get(ValueLayout.JAVA_BYTE, P));
                    assertEquals(1, get(v, 0));
                }
            }
        }
    }

    @Test
    void resizingSnapshotsExposesZerosNeverOldPages() {
        try (Vmo v = Vmo.create(4 * P, Vmo.RESIZABLE)) {
            v.write(new byte[] {1, 1, 1}, 3 * P);
            try (Vmo c = v.createChild(SNAP | Vmo.CHILD_RESIZABLE, 0, 4 * P)) {
                assertEquals(1, get(c, 3 * P));
                c.setSize(P);
                c.setSize(4 * P);
                assertEquals(0, get(c, 3 * P));
                v.setSize(P);
                v.setSize(4 * P);
                assertEquals(0, get(v, 3 * P));
                c.setSize(P + 1);
                assertEquals(2 * P, c.size());
            }
        }
    }

    @Test
    void committedBytes() {
        try (Vmo v = Vmo.create(8 * P)) {
            v.write(new byte[(int) (2 * P)], 0);
            try (Vmo c = v.createChild(SNAP, 0, 8 * P)) {
                long before = c.info().committedBytes();
                byte[] b = new byte[(int) (8 * P)];
                c.read(b, 0);
                assertEquals(before, c.info().committedBytes(), "reads do not commit");
                c.write(new byte[] {1}, 5 * P);
                assertEquals(before + P, c.info().committedBytes());
                c.commit(6 * P, 1);
                assertEquals(before + 2 * P, c.info().committedBytes());
                c.zero(5 * P, 2 * P);
                assertEquals(before, c.info().committedBytes());
            }
        }
    }

    @Test
    void hugeSparseSlicesAndSnapshots() {
        long huge = 0xFFFF_FFFF_FFFC_0000L;
        long high = 0x8000_0000_0000_0000L + 16 * P;
        try (Vmo v = Vmo.create(huge)) {
            put(v, high, 5);
            put(v, 3 * P, 6);
            try (Vmo whole = v.createChild(SNAP, 0, huge);
                    Vmo window = v.createChild(SNAP, high - P, 4 * P);
                    Vmo slice = v.createChild(SLICE, high - P, 1L << 40)) {
                assertEquals(5, get(whole, high));
                assertEquals(6, get(whole, 3 * P));
                assertEquals(5, get(window, P));
                assertEquals(5, get(slice, P));
                put(v, high, 7);
                assertEquals(5, get(whole, high));
                assertEquals(5, get(window, P));
                assertEquals(7, get(slice, P));
                put(whole, high + 1, 8);
                assertEquals(0, get(v, high + 1));
                try (Mapping m = slice.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P)) {
                    assertEquals(7, m.segment().get(ValueLayout.JAVA_BYTE, P));
                    m.segment().set(ValueLayout.JAVA_BYTE, P + 2, (byte) 9);
                    assertEquals(9, get(v, high + 2));
                }
                assertTrue(whole.info().committedBytes() < 64 * P, "the copy of a sparse VMO stays sparse");
            }
        }
    }

    @Test
    void atLeastOnWriteOfAMappedParentRunsOnKernelCow() {
        try (Vmo v = Vmo.create(4 * P); Mapping pm = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P)) {
            pm.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            long fast = CutCounts.lazy();
            try (Vmo a = v.createChild(ALOW, 0, 4 * P)) {
                assertEquals(fast + 1, CutCounts.lazy(), "no copy for an at-least-on-write child of a mapped VMO");
                assertEquals(1, get(a, 0));
                put(a, 0, 2);
                pm.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 3);
                assertEquals(2, get(a, 0), "pages the child wrote are stable");
                assertEquals(3, get(v, 0), "the child's writes stay private");
                pm.segment().set(ValueLayout.JAVA_BYTE, P, (byte) 4);
                byte seen = get(a, P);
                assertTrue(seen == 0 || seen == 4);
                try (Vmo g = a.createChild(SNAP, 0, 4 * P)) {
                    byte fixed = get(g, P);
                    pm.segment().set(ValueLayout.JAVA_BYTE, P, (byte) 5);
                    assertEquals(fixed, get(g, P), "a snapshot of an at-least-on-write child is a fixed copy");
                    assertEquals(2, get(g, 0));
                }
                v.zero(0, 4 * P);
                assertEquals(2, get(a, 0));
            }
        }
    }

    @Test
    void shrinkingAMappedChildDoesNotCrash() {
        try (Vmo v = Vmo.create(4 * P)) {
            put(v, 3 * P, 1);
            try (Vmo c = v.createChild(SNAP | Vmo.CHILD_RESIZABLE, 0, 4 * P);
                    Mapping m = c.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 8 * P)) {
                MemorySegment s = m.segment();
                assertEquals(1, s.get(ValueLayout.JAVA_BYTE, 3 * P));
                assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, 5 * P), "past the end");
                c.setSize(P);
                assertThrows(InternalError.class, () -> s.get(ValueLayout.JAVA_BYTE, 3 * P));
                c.setSize(6 * P);
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 3 * P), "regrown: zeros, never the parent's page");
                s.set(ValueLayout.JAVA_BYTE, 5 * P, (byte) 7);
                assertEquals(7, get(c, 5 * P));
                assertEquals(1, get(v, 3 * P));
            }
        }
    }
}
