package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.vmoMapCount;
import static io.zxmem.TestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A mapping of a slice that reaches past the slice's end, or starts past it, must not reach the
 * parent's pages outside the slice (issue 12, item 2): that part behaves as past any VMO's end
 * (touching it raises {@link InternalError}), for anonymous and physical parents alike.
 */
class SliceWindowTest {
    private static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;

    /**
     * Reads (or writes) one byte at {@code off}. @return the InternalError the touch raised, at once
     * or (compiled code) late: the native call right after delivers a late one inside this try.
     */
    static Throwable touch(MemorySegment s, long off, boolean write, byte[] seen) {
        try {
            if (write) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 0x5A);
            } else {
                seen[0] = s.get(ValueLayout.JAVA_BYTE, off);
            }
            Thread.holdsLock(seen);
            return null;
        } catch (InternalError e) {
            return e;
        }
    }

    /** Every page of {@code m} from {@code from} on faults, for reads and writes. */
    static void pastEndFaults(Mapping m, long from) {
        MemorySegment s = m.segment();
        for (long off = from; off < m.length(); off += P) {
            for (long at : new long[] {off, off + P - 1}) {
                byte[] seen = new byte[1];
                Throwable r = touch(s, at, false, seen);
                assertNotNull(r, "reading " + at + " past the slice's end gave " + seen[0] + " instead of a fault");
                if (!s.isReadOnly()) {
                    assertNotNull(touch(s, at, true, seen), "writing " + at + " past the slice's end did not fault");
                }
            }
        }
    }

    @Test
    void anonymousSliceMappedLongerThanItselfNeverShowsTheParent() {
        byte[] whole = pattern(4 * PI, 3);
        int maps = vmoMapCount();
        try (Vmo parent = Vmo.create(4 * P); Vmo slice = parent.createChild(Vmo.CHILD_SLICE, P, P)) {
            parent.write(whole, 0);
            try (Mapping m = slice.map(RW, 0, 3 * P)) {
                assertEquals(3 * P, m.length());
                byte[] in = new byte[PI];
                MemorySegment.copy(m.segment(), ValueLayout.JAVA_BYTE, 0, in, 0, PI);
                assertArrayEquals(Arrays.copyOfRange(whole, PI, 2 * PI), in, "inside the slice: the parent's pages");
                m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
                assertEquals(7, TestSupport.read(parent, P, 1)[0], "writes inside the slice reach the parent");
                pastEndFaults(m, P);
            }
            whole[PI] = 7;
            assertArrayEquals(whole, TestSupport.read(parent, 0, 4 * PI), "nothing written past the slice reached the parent");
        }
        assertEquals(maps, vmoMapCount(), "mappings left behind");
    }

    @Test
    void anonymousSliceMappedAtAnOffsetPastItsEndNeverShowsTheParent() {
        byte[] whole = pattern(4 * PI, 4);
        try (Vmo parent = Vmo.create(4 * P); Vmo slice = parent.createChild(Vmo.CHILD_SLICE, P, P)) {
            parent.write(whole, 0);
            try (Mapping m = slice.map(RW, P, 2 * P)) {
                pastEndFaults(m, 0);
            }
            try (Mapping m = slice.map(Vmar.PERM_READ, 2 * P, P)) {
                pastEndFaults(m, 0);
            }
            assertArrayEquals(whole, TestSupport.read(parent, 0, 4 * PI));
        }
    }

    @Test
    void sliceOfASliceIsBoundByTheInnerSlice() {
        byte[] whole = pattern(6 * PI, 5);
        try (Vmo parent = Vmo.create(6 * P);
             Vmo outer = parent.createChild(Vmo.CHILD_SLICE, P, 4 * P);
             Vmo inner = outer.createChild(Vmo.CHILD_SLICE, P, P)) {
            parent.write(whole, 0);
            try (Mapping m = inner.map(RW, 0, 3 * P)) {
                byte[] in = new byte[PI];
                MemorySegment.copy(m.segment(), ValueLayout.JAVA_BYTE, 0, in, 0, PI);
                assertArrayEquals(Arrays.copyOfRange(whole, 2 * PI, 3 * PI), in);
                pastEndFaults(m, P);
            }
            assertArrayEquals(whole, TestSupport.read(parent, 0, 6 * PI));
        }
    }

    @Test
    void physicalSliceNeverShowsTheRestOfItsParent() {
        long base = 0xfe00_0000L;
        try (Resource r = Resource.simulated(base, 8 * P);
             Vmo phys = Vmo.createPhysical(r, base, 4 * P);
             Vmo slice = phys.createChild(Vmo.CHILD_SLICE, P, P);
             Mapping whole = phys.map(RW, 0, 4 * P)) {
            byte[] content = pattern(4 * PI, 6);
            MemorySegment.copy(content, 0, whole.segment(), ValueLayout.JAVA_BYTE, 0, content.length);
            try (Mapping m = slice.map(RW, 0, 3 * P)) {
                byte[] in = new byte[PI];
                MemorySegment.copy(m.segment(), ValueLayout.JAVA_BYTE, 0, in, 0, PI);
                assertArrayEquals(Arrays.copyOfRange(content, PI, 2 * PI), in);
                pastEndFaults(m, P);
            }
            try (Mapping m = slice.map(RW, 2 * P, P)) {
                pastEndFaults(m, 0);
            }
            byte[] after = new byte[4 * PI];
            MemorySegment.copy(whole.segment(), ValueLayout.JAVA_BYTE, 0, after, 0, after.length);
            assertArrayEquals(content, after, "nothing written past the slice reached the device memory");
        }
    }

    @Test
    void mappingsPastTheSliceEndCanBeProtectedAndClosed() {
        int maps = vmoMapCount();
        try (Vmo parent = Vmo.create(4 * P); Vmo slice = parent.createChild(Vmo.CHILD_SLICE, 0, P)) {
            for (int i = 0; i < 200; i++) {
                Mapping m = slice.map(RW, 0, 2 * P);
                m.protect(Vmar.PERM_READ);
                m.close();
                Mapping n = slice.map(Vmar.PERM_READ, P, P);
                n.close();
            }
            assertEquals(0, slice.info().numMappings());
        }
        assertEquals(maps, vmoMapCount(), "mappings left behind");
    }
}
