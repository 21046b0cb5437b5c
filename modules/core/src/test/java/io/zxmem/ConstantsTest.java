package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The numeric values API.md fixes (they are Zircon's), and the helpers around them. */
class ConstantsTest {

    @Test
    void statusValues() {
        Object[][] expected = {{Status.OK, 0}, {Status.ERR_INTERNAL, -1}, {Status.ERR_NOT_SUPPORTED, -2},
            {Status.ERR_NO_RESOURCES, -3}, {Status.ERR_NO_MEMORY, -4}, {Status.ERR_INVALID_ARGS, -10},
            {Status.ERR_BAD_HANDLE, -11}, {Status.ERR_WRONG_TYPE, -12}, {Status.ERR_OUT_OF_RANGE, -14},
            {Status.ERR_BUFFER_TOO_SMALL, -15}, {Status.ERR_BAD_STATE, -20}, {Status.ERR_TIMED_OUT, -21},
            {Status.ERR_SHOULD_WAIT, -22}, {Status.ERR_CANCELED, -23}, {Status.ERR_PEER_CLOSED, -24},
            {Status.ERR_NOT_FOUND, -25}, {Status.ERR_ALREADY_EXISTS, -26}, {Status.ERR_UNAVAILABLE, -28},
            {Status.ERR_ACCESS_DENIED, -30}, {Status.ERR_IO, -40}, {Status.ERR_IO_DATA_INTEGRITY, -42},
            {Status.ERR_NO_SPACE, -54}};
        assertEquals(expected.length, Status.values().length);
        for (Object[] e : expected) {
            Status s = (Status) e[0];
            assertEquals(e[1], s.value(), s.name());
            assertEquals(s, Status.of((Integer) e[1]));
        }
        // Unknown values: ZxException INVALID_ARGS, as from every public method (issue 12, item 7).
        assertEquals(Status.ERR_INVALID_ARGS, assertThrows(ZxException.class, () -> Status.of(-5)).status());
        assertEquals(Status.ERR_INVALID_ARGS, assertThrows(ZxException.class, () -> Status.of(1)).status());
    }

    @Test
    void zxExceptionCarriesTheStatusAndCause() {
        ZxException e = new ZxException(Status.ERR_IO, "op: what");
        assertEquals(Status.ERR_IO, e.status());
        assertTrue(e.getMessage().contains("op: what"));
        RuntimeException cause = new RuntimeException("inner");
        ZxException c = new ZxException(Status.ERR_NO_MEMORY, "op", cause);
        assertEquals(cause, c.getCause());
        assertTrue(c.getMessage().contains("inner"), c.getMessage());
        assertTrue(RuntimeException.class.isAssignableFrom(ZxException.class));
    }

    @Test
    void rightsValues() {
        assertEquals(0, Rights.NONE);
        assertEquals(1, Rights.DUPLICATE);
        assertEquals(2, Rights.TRANSFER);
        assertEquals(4, Rights.READ);
        assertEquals(8, Rights.WRITE);
        assertEquals(16, Rights.EXECUTE);
        assertEquals(32, Rights.MAP);
        assertEquals(64, Rights.GET_PROPERTY);
        assertEquals(128, Rights.SET_PROPERTY);
        assertEquals(1 << 12, Rights.SIGNAL);
        assertEquals(1 << 14, Rights.WAIT);
        assertEquals(1 << 15, Rights.INSPECT);
        assertEquals(1 << 22, Rights.RESIZE);
        assertEquals(1 << 31, Rights.SAME_RIGHTS);
        assertEquals(Rights.TRANSFER | Rights.DUPLICATE | Rights.WAIT | Rights.INSPECT, Rights.BASIC);
        assertEquals(Rights.READ | Rights.WRITE, Rights.IO);
        assertEquals(Rights.GET_PROPERTY | Rights.SET_PROPERTY, Rights.PROPERTY);
        assertEquals(0xD0EF, Rights.DEFAULT_VMO);
        assertEquals(Rights.BASIC | Rights.IO | Rights.PROPERTY | Rights.MAP | Rights.SIGNAL, Rights.DEFAULT_VMO);
    }

    @Test
    void rightsToString() {
        assertEquals("NONE", Rights.toString(0));
        assertEquals("READ|WRITE", Rights.toString(Rights.IO));
        assertEquals("DUPLICATE|TRANSFER|READ|WRITE|MAP|GET_PROPERTY|SET_PROPERTY|SIGNAL|WAIT|INSPECT",
                Rights.toString(Rights.DEFAULT_VMO));
        assertEquals("RESIZE|SAME_RIGHTS", Rights.toString(Rights.RESIZE | Rights.SAME_RIGHTS));
        assertEquals("READ|0x100", Rights.toString(Rights.READ | 1 << 8));
    }

    @Test
    void signalValues() {
        assertEquals(1 << 3, Signals.VMO_ZERO_CHILDREN);
        assertEquals(1 << 24, Signals.USER_0);
        assertEquals(1 << 31, Signals.USER_7);
        assertEquals(0xFF00_0000, Signals.USER_ALL);
    }

    @Test
    void vmoValues() {
        assertEquals(1 << 1, Vmo.RESIZABLE);
        assertEquals(1 << 2, Vmo.DISCARDABLE);
        assertEquals(1 << 4, Vmo.UNBOUNDED);
        assertEquals(1, Vmo.CHILD_SNAPSHOT);
        assertEquals(1 << 2, Vmo.CHILD_RESIZABLE);
        assertEquals(1 << 3, Vmo.CHILD_SLICE);
        assertEquals(1 << 4, Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE);
        assertEquals(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, Vmo.CHILD_COPY_ON_WRITE);
        assertEquals(1 << 5, Vmo.CHILD_NO_WRITE);
        int[] ops = {Vmo.OP_COMMIT, Vmo.OP_DECOMMIT, Vmo.OP_LOCK, Vmo.OP_UNLOCK, Vmo.OP_CACHE_SYNC,
            Vmo.OP_CACHE_INVALIDATE, Vmo.OP_CACHE_CLEAN, Vmo.OP_CACHE_CLEAN_INVALIDATE, Vmo.OP_ZERO,
            Vmo.OP_TRY_LOCK, Vmo.OP_DONT_NEED, Vmo.OP_ALWAYS_NEED, Vmo.OP_PREFETCH};
        int[] values = {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        for (int i = 0; i < ops.length; i++) {
            assertEquals(values[i], ops[i]);
        }
        assertEquals(0xFFFF_FFFF_FFFE_0000L, Vmo.MAX_SIZE);
        assertEquals(0, Vmo.CACHE_CACHED);
        assertEquals(1, Vmo.CACHE_UNCACHED);
        assertEquals(2, Vmo.CACHE_UNCACHED_DEVICE);
        assertEquals(3, Vmo.CACHE_WRITE_COMBINING);
    }

    @Test
    void vmoInfoFlags() {
        int[] flags = {VmoInfo.TYPE_PAGED, VmoInfo.RESIZABLE, VmoInfo.IS_COW_CLONE, VmoInfo.VIA_HANDLE,
            VmoInfo.CONTIGUOUS, VmoInfo.DISCARDABLE, VmoInfo.IMMUTABLE};
        int[] bits = {0, 1, 2, 3, 6, 7, 8};
        for (int i = 0; i < flags.length; i++) {
            assertEquals(1 << bits[i], flags[i]);
        }
    }

    @Test
    void vmarValues() {
        assertEquals(1, Vmar.PERM_READ);
        assertEquals(2, Vmar.PERM_WRITE);
        assertEquals(4, Vmar.PERM_EXECUTE);
        assertEquals(1 << 10, Vmar.MAP_RANGE);
        assertEquals(1 << 11, Vmar.REQUIRE_NON_RESIZABLE);
        assertEquals(1 << 12, Vmar.ALLOW_FAULTS);
        assertEquals(Vmar.root(), Vmar.root());
    }

    @Test
    void koidsAreProcessUnique() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            try (Vmo v = Vmo.create(0)) {
                assertTrue(seen.add(v.koid()));
            }
        }
    }
}
