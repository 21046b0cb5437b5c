package io.zxmem.cow;

import static io.zxmem.cow.ChildRulesTest.get;
import static io.zxmem.cow.ChildRulesTest.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshots of MAPPED parents on the userfaultfd write-protect path: the parent's windows are
 * protected at the cut and the native handler saves each original page into the child on the
 * parent's first write to it; library writes save first; the child copies in what it touches.
 */
class UffdSnapshotTest {
    static final long P = Zx.pageSize();
    static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;

    @BeforeAll
    static void available() {
        assertTrue(Zxuffd.loaded(), () -> "libzxuffd.so must load here: " + Zxuffd.unavailableBecause());
    }

    static void fill(Vmo v, int pages, int base) {
        for (int i = 0; i < pages; i++) {
            put(v, i * P, base + i);
            put(v, i * P + P - 1, base + i);
        }
    }

    /** Runs {@code body} and says how many children it cut on the userfaultfd path. */
    static long uffdCuts(Runnable body) {
        long before = CutCounts.lazy();
        body.run();
        return CutCounts.lazy() - before;
    }

    @Test
    void parentWritesThroughSeveralMappingsAndWriteNeverReachTheChild() {
        int pages = 32;
        try (Vmo parent = Vmo.create(pages * P);
                Mapping m1 = parent.map(RW, 0, pages * P);
                Mapping m2 = parent.map(RW, 0, pages * P);
                Mapping m3 = parent.map(RW, 8 * P, 8 * P)) {
            fill(parent, pages, 1);
            long faults = CowEngine.faults();
            Vmo[] child = new Vmo[1];
            assertEquals(1, uffdCuts(() -> child[0] = parent.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P)));
            try (Vmo c = child[0]) {
                MemorySegment s1 = m1.segment(), s2 = m2.segment(), s3 = m3.segment();
                s1.set(ValueLayout.JAVA_BYTE, 0, (byte) 100);          // page 0 via m1
                s2.set(ValueLayout.JAVA_BYTE, 1, (byte) 101);          // page 0 again via m2
                s2.set(ValueLayout.JAVA_BYTE, 3 * P, (byte) 102);      // page 3 via m2
                s3.set(ValueLayout.JAVA_BYTE, 0, (byte) 103);          // page 8 via m3
                s1.set(ValueLayout.JAVA_BYTE, 8 * P + 5, (byte) 104);  // page 8 via m1 after m3
                put(parent, 5 * P, 105);                               // library write
                parent.write(new byte[(int) (3 * P)], 10 * P);         // pages 10-12
                parent.opRange(Vmo.OP_ZERO, 14 * P, P, null);                // punch
                for (int i = 0; i < pages; i++) {
                    assertEquals((byte) (1 + i), get(c, i * P), "child page " + i);
                    assertEquals((byte) (1 + i), get(c, i * P + P - 1), "child page end " + i);
                }
                assertEquals(0, get(c, 1), "page 0 byte 1 was 0 at the cut");
                assertEquals((byte) 100, s2.get(ValueLayout.JAVA_BYTE, 0), "the parent's mappings agree");
                assertEquals((byte) 104, s3.get(ValueLayout.JAVA_BYTE, 5));
                assertEquals(0, get(parent, 14 * P));
                // Child writes stay in the child, through write and through a mapping of it.
                put(c, 2 * P, 77);
                try (Mapping cm = c.map(RW, 0, pages * P)) {
                    cm.segment().set(ValueLayout.JAVA_BYTE, 4 * P, (byte) 78);
                    assertEquals((byte) (1 + 20), cm.segment().get(ValueLayout.JAVA_BYTE, 20 * P));
                }
                assertEquals((byte) 3, get(parent, 2 * P));
                assertEquals((byte) 5, s1.get(ValueLayout.JAVA_BYTE, 4 * P));
                assertEquals((byte) 78, get(c, 4 * P));
            }
            // Pages 0 (twice: via m1 and m2 dedupe, or once), 3 and 8 faulted in the native handler.
            assertTrue(CowEngine.faults() - faults >= 3, "write-protect faults: " + (CowEngine.faults() - faults));
            // The child is gone: writes through the mappings go on without faults or copies.
            m1.segment().set(ValueLayout.JAVA_BYTE, 20 * P, (byte) 9);
            assertEquals((byte) 9, get(parent, 20 * P));
        }
    }

    @Test
    void mappingsMadeAfterTheCutAndSliceMappingsAreProtectedToo() {
        int pages = 16;
        try (Vmo parent = Vmo.create(pages * P);
                Mapping first = parent.map(Vmar.PERM_READ, 0, P)) {
            fill(parent, pages, 10);
            try (Vmo c = parent.createChild(Vmo.CHILD_SNAPSHOT, 2 * P, 8 * P);
                    Vmo slice = parent.createChild(Vmo.CHILD_SLICE, 4 * P, 4 * P);
                    Mapping late = parent.map(RW, 0, pages * P);
                    Mapping sm = slice.map(RW, 0, 4 * P)) {
                late.segment().set(ValueLayout.JAVA_BYTE, 3 * P, (byte) 1);
                sm.segment().set(ValueLayout.JAVA_BYTE, P, (byte) 2); // parent page 5
                put(slice, 2 * P, 3); // parent page 6, through the slice's write
                for (int i = 0; i < 8; i++) {
                    assertEquals((byte) (10 + 2 + i), get(c, i * P), "child page " + i);
                }
                assertEquals(2, get(parent, 5 * P));
            }
        }
    }

    @Test
    void shrinkingAndRegrowingTheParentKeepsTheChildsPages() {
        int pages = 16;
        try (Vmo parent = Vmo.create(pages * P, Vmo.RESIZABLE); Mapping m = parent.map(RW, 0, 4 * P)) {
            fill(parent, pages, 10);
            try (Vmo c = parent.createChild(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, 2 * P, 8 * P)) {
                parent.setSize(6 * P);
                parent.setSize(pages * P);
                m.segment().set(ValueLayout.JAVA_BYTE, 3 * P, (byte) 1);
                for (int i = 0; i < 8; i++) {
                    assertEquals((byte) (10 + 2 + i), get(c, i * P), "child page " + i);
                }
                assertEquals(0, get(parent, 7 * P));
            }
        }
    }

    @Test
    void nestedSnapshotsOnTopBothDirections() {
        int pages = 8;
        try (Vmo a = Vmo.create(pages * P); Mapping ma = a.map(RW, 0, pages * P)) {
            fill(a, pages, 1);
            try (Vmo b = a.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P)) {
                ma.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 50);
                try (Mapping mb = b.map(RW, 0, pages * P)) {
                    // b is mapped: its snapshot c takes the userfaultfd path on b's memfd.
                    Vmo[] cc = new Vmo[1];
                    assertEquals(1, uffdCuts(() -> cc[0] = b.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P)));
                    try (Vmo c = cc[0]) {
                        mb.segment().set(ValueLayout.JAVA_BYTE, P, (byte) 60);
                        put(b, 2 * P, 61);
                        put(c, 3 * P, 70);
                        ma.segment().set(ValueLayout.JAVA_BYTE, 4 * P, (byte) 80);
                        try (Vmo d = c.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P)) { // c unmapped: fast path
                            put(c, 5 * P, 71);
                            for (int i = 0; i < pages; i++) {
                                byte orig = (byte) (1 + i);
                                assertEquals(i == 0 ? (byte) 50 : i == 4 ? (byte) 80 : orig, get(a, i * P), "a " + i);
                                assertEquals(i == 1 ? (byte) 60 : i == 2 ? (byte) 61 : orig, get(b, i * P), "b " + i);
                                assertEquals(i == 3 ? (byte) 70 : i == 5 ? (byte) 71 : orig, get(c, i * P), "c " + i);
                                assertEquals(i == 3 ? (byte) 70 : orig, get(d, i * P), "d " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void severalChildrenOfOneParentEachKeepTheirCut() {
        int pages = 8;
        try (Vmo p = Vmo.create(pages * P); Mapping m = p.map(RW, 0, pages * P)) {
            fill(p, pages, 1);
            Vmo c1 = p.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P);
            m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 40);
            m.segment().set(ValueLayout.JAVA_BYTE, P, (byte) 41);
            Vmo c2 = p.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P);
            m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 42); // page 0 saved for c1 already, not for c2
            m.segment().set(ValueLayout.JAVA_BYTE, 2 * P, (byte) 43);
            try (c1; c2) {
                assertEquals(1, get(c1, 0));
                assertEquals(2, get(c1, P));
                assertEquals(3, get(c1, 2 * P));
                assertEquals(40, get(c2, 0));
                assertEquals(41, get(c2, P));
                assertEquals(3, get(c2, 2 * P));
            }
        }
    }

    /** Every order of closing parent handle, child, mappings; faults in flight on other threads. */
    @Test
    void closingOrdersWithWritersRunning() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(7);
            for (int round = 0; round < 40; round++) {
                int pages = 64;
                Vmo p = Vmo.create(pages * P);
                Mapping m = p.map(RW, 0, pages * P);
                fill(p, pages, 0);
                Vmo c = p.createChild(Vmo.CHILD_SNAPSHOT, 0, pages * P);
                MemorySegment s = m.segment();
                Thread w = new Thread(() -> {
                    for (int i = 0; i < pages; i++) {
                        s.set(ValueLayout.JAVA_BYTE, i * P + 7, (byte) 1);
                    }
                });
                w.start();
                List<AutoCloseable> order = new ArrayList<>(List.of(p, c));
                Collections.shuffle(order, r);
                if (r.nextBoolean()) {
                    for (int i = 0; i < pages; i += 3) {
                        assertEquals((byte) i, get(c, i * P));
                    }
                }
                order.get(0).close();
                w.join();
                order.get(1).close();
                m.close();
            }
        });
    }
}
