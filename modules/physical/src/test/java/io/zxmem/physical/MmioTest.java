package io.zxmem.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zxmem.Mapping;
import io.zxmem.Resource;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The register view over a physical VMO of simulated device memory. */
class MmioTest {
    static final long P = Zx.pageSize();

    static void status(Status want, Executable call) {
        ZxException e = assertThrows(ZxException.class, call);
        assertEquals(want, e.status(), e.getMessage());
    }

    @Test
    void everyWidthAndOrderingReachesTheSameMemory() {
        try (Resource r = Resource.simulated(0xfeb0_0000L, P);
             Vmo v = Vmo.createPhysical(r, r.base(), P);
             Mapping a = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P);
             Mapping b = v.map(Vmar.PERM_READ, 0, P)) {
            Mmio m = Mmio.of(a);
            var other = b.segment();
            assertEquals(P, m.size());
            m.putIntVolatile(0, 0x010000ed);
            assertEquals(0x010000ed, other.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0x010000ed, m.getIntAcquire(0));
            m.putIntRelease(4, 0x12345678);
            assertEquals(0x12345678, m.getIntOpaque(4));
            m.putIntOpaque(8, -1);
            assertEquals(-1, m.getIntVolatile(8));
            m.putByteVolatile(13, (byte) 0x5a);
            assertEquals((byte) 0x5a, other.get(ValueLayout.JAVA_BYTE, 13));
            assertEquals((byte) 0x5a, m.getByteAcquire(13));
            m.putByteRelease(14, (byte) 1);
            m.putByteOpaque(15, (byte) 2);
            assertEquals((byte) 2, m.getByteOpaque(15));
            m.putShortVolatile(16, (short) 0xbeef);
            assertEquals((short) 0xbeef, m.getShortAcquire(16));
            m.putShortRelease(18, (short) 7);
            m.putShortOpaque(20, (short) 8);
            assertEquals((short) 7, m.getShortVolatile(18));
            assertEquals((short) 8, m.getShortOpaque(20));
            m.putLongVolatile(P - 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, other.get(ValueLayout.JAVA_LONG, P - 8));
            m.putLongRelease(24, 3);
            m.putLongOpaque(32, 4);
            assertEquals(3, m.getLongAcquire(24));
            assertEquals(4, m.getLongOpaque(32));
            assertEquals(0x1122334455667788L, m.getLongVolatile(P - 8));
        }
    }

    @Test
    void offsetsAreCheckedForRangeAndAlignment() {
        try (Resource r = Resource.simulated(0xfeb0_0000L, P);
             Vmo v = Vmo.createPhysical(r, r.base(), P);
             Mapping a = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P)) {
            Mmio m = Mmio.of(a);
            status(Status.ERR_OUT_OF_RANGE, () -> m.getIntVolatile(P));
            status(Status.ERR_OUT_OF_RANGE, () -> m.getIntVolatile(P - 2));
            status(Status.ERR_OUT_OF_RANGE, () -> m.putLongVolatile(-8, 0));
            status(Status.ERR_OUT_OF_RANGE, () -> m.getByteVolatile(P));
            status(Status.ERR_OUT_OF_RANGE, () -> m.getLongOpaque(Long.MIN_VALUE));
            status(Status.ERR_INVALID_ARGS, () -> m.getIntVolatile(2));
            status(Status.ERR_INVALID_ARGS, () -> m.putShortRelease(1, (short) 0));
            status(Status.ERR_INVALID_ARGS, () -> m.getLongAcquire(4));
            status(Status.ERR_INVALID_ARGS, () -> Mmio.of(a.segment().asSlice(4)));
            status(Status.ERR_INVALID_ARGS, () -> Mmio.of((Mapping) null));
            m.getByteVolatile(P - 1);   // the last byte is fine
        }
    }

    @Test
    void aClosedMappingThrowsInsteadOfCrashing() {
        try (Resource r = Resource.simulated(0xfeb0_0000L, P); Vmo v = Vmo.createPhysical(r, r.base(), P)) {
            Mapping a = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P);
            Mmio m = Mmio.of(a);
            m.putIntVolatile(0, 1);
            a.close();
            assertThrows(IllegalStateException.class, () -> m.getIntVolatile(0));
        }
    }

    @Test
    void aReadOnlyMappingRefusesWrites() {
        try (Resource r = Resource.simulated(0xfeb0_0000L, P);
             Vmo v = Vmo.createPhysical(r, r.base(), P);
             Mapping a = v.map(Vmar.PERM_READ, 0, P)) {
            Mmio m = Mmio.of(a);
            assertEquals(0, m.getIntVolatile(0));
            status(Status.ERR_ACCESS_DENIED, () -> m.putIntVolatile(0, 1));
        }
    }
}
