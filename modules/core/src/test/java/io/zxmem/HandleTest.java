package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Handles: rights, koids, duplicate, replace, close, and BAD_HANDLE after close. */
class HandleTest {

    /**
     * Every handle type declares duplicate and replace with its own return type, so {@code Channel c =
     * vmo.duplicate(..)} does not compile; and the handle they return really is of that type.
     */
    @Test
    void duplicateAndReplaceAreCovariant() throws ReflectiveOperationException {
        assertEquals(Handle.class, Handle.class.getDeclaredMethod("duplicate", int.class).getReturnType());
        assertEquals(Handle.class, Handle.class.getDeclaredMethod("replace", int.class).getReturnType());
        for (Class<?> type : new Class<?>[] {Vmo.class, Channel.class, Pager.class, Resource.class}) {
            for (String name : new String[] {"duplicate", "replace"}) {
                java.lang.reflect.Method m = type.getDeclaredMethod(name, int.class);
                assertEquals(type, m.getReturnType(), type.getSimpleName() + "." + name);
                assertEquals(0, m.getTypeParameters().length, type.getSimpleName() + "." + name + " is not generic");
            }
        }
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.SAME_RIGHTS); Handle h = d) {
            Handle r = h.replace(Rights.SAME_RIGHTS);
            try {
                assertInstanceOf(Vmo.class, r);
                assertEquals(v.koid(), r.koid());
            } finally {
                r.close();
            }
        }
    }

    @Test
    void duplicateSharesTheObjectAndKoid() {
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.SAME_RIGHTS)) {
            assertNotSame(v, d);
            assertEquals(v.koid(), d.koid());
            assertEquals(v.rights(), d.rights());
            v.write(new byte[] {7}, 0);
            assertEquals(7, read(d, 0, 1)[0]);
        }
    }

    @Test
    void duplicateWithFewerRightsEnforcesThem() {
        try (Vmo v = Vmo.create(P); Vmo ro = v.duplicate(Rights.READ | Rights.DUPLICATE | Rights.INSPECT)) {
            assertEquals(Rights.READ | Rights.DUPLICATE | Rights.INSPECT, ro.rights());
            assertEquals(ro.rights(), ro.info().handleRights());
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.write(new byte[1], 0));
            assertStatus(Status.ERR_ACCESS_DENIED, () -> ro.map(Vmar.PERM_READ, 0, P));
            Vmo none = ro.duplicate(Rights.NONE);
            assertEquals(Rights.NONE, none.rights());
            assertEquals(v.koid(), none.koid());
            none.close();
        }
    }

    @Test
    void duplicateNeedsTheDuplicateRight() {
        try (Vmo v = Vmo.create(P); Vmo noDup = v.duplicate(Rights.DEFAULT_VMO & ~Rights.DUPLICATE)) {
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noDup.duplicate(Rights.SAME_RIGHTS), "handle.duplicate", "DUPLICATE");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noDup.duplicate(Rights.READ));
            // ACCESS_DENIED wins over rights that are not a subset.
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noDup.duplicate(Rights.RESIZE));
        }
    }

    @Test
    void duplicateRightsMustBeASubset() {
        try (Vmo v = Vmo.create(P)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.duplicate(Rights.RESIZE), "handle.duplicate", "RESIZE");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.duplicate(Rights.DEFAULT_VMO | Rights.EXECUTE));
            // SAME_RIGHTS is a value of its own, not a bit to combine.
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.duplicate(Rights.SAME_RIGHTS | Rights.READ));
            assertTrue(v.isValid(), "a failed duplicate leaves the handle alone");
        }
    }

    @Test
    void duplicateAndReplaceReturnTheHandlesOwnType() {
        try (Vmo v = Vmo.create(P)) {
            Handle h = v.duplicate(Rights.SAME_RIGHTS);
            assertInstanceOf(Vmo.class, h);
            Handle r = h.replace(Rights.READ);
            assertInstanceOf(Vmo.class, r);
            r.close();
        }
    }

    @Test
    void replaceInvalidatesTheOldHandle() {
        Vmo v = Vmo.create(P);
        long koid = v.koid();
        Vmo r = v.replace(Rights.READ | Rights.WRITE | Rights.DUPLICATE);
        try (r) {
            assertFalse(v.isValid());
            assertTrue(r.isValid());
            assertEquals(koid, r.koid());
            assertEquals(Rights.READ | Rights.WRITE | Rights.DUPLICATE, r.rights());
            assertStatus(Status.ERR_BAD_HANDLE, v::size);
            assertStatus(Status.ERR_BAD_HANDLE, () -> v.replace(Rights.SAME_RIGHTS), "handle.replace");
            Vmo same = r.replace(Rights.SAME_RIGHTS);
            assertEquals(Rights.READ | Rights.WRITE | Rights.DUPLICATE, same.rights());
            assertFalse(r.isValid());
            same.close();
        }
    }

    @Test
    void replaceNeedsNoRights() {
        try (Vmo v = Vmo.create(P); Vmo none = v.duplicate(Rights.NONE); Vmo r = none.replace(Rights.NONE)) {
            assertEquals(v.koid(), r.koid());
            assertFalse(none.isValid());
        }
    }

    @Test
    void failedReplaceStillInvalidatesTheHandle() {
        try (Vmo v = Vmo.create(P)) {
            v.write(new byte[] {3}, 0);
            Vmo d = v.duplicate(Rights.READ | Rights.DUPLICATE);
            assertStatus(Status.ERR_INVALID_ARGS, () -> d.replace(Rights.READ | Rights.WRITE), "handle.replace");
            assertFalse(d.isValid());
            assertStatus(Status.ERR_BAD_HANDLE, () -> d.read(new byte[1], 0));
            assertEquals(3, read(v, 0, 1)[0]);
        }
    }

    @Test
    void failedReplaceOfTheLastHandleDestroysTheObject() {
        int before = Zx.liveVmoCount();
        Vmo v = Vmo.create(P);
        assertEquals(before + 1, Zx.liveVmoCount());
        assertStatus(Status.ERR_INVALID_ARGS, () -> v.replace(Rights.RESIZE));
        assertEquals(before, Zx.liveVmoCount());
        v.close();
    }

    @Test
    void theObjectLivesWhileAnyHandleLives() {
        int before = Zx.liveVmoCount();
        Vmo v = Vmo.create(P);
        Vmo d = v.duplicate(Rights.SAME_RIGHTS);
        v.write(new byte[] {5}, 0);
        v.close();
        assertEquals(before + 1, Zx.liveVmoCount());
        assertEquals(5, read(d, 0, 1)[0]);
        d.close();
        assertEquals(before, Zx.liveVmoCount());
    }

    @Test
    void closeIsIdempotent() {
        Vmo v = Vmo.create(P);
        Vmo d = v.duplicate(Rights.SAME_RIGHTS);
        v.close();
        v.close();
        v.close();
        assertTrue(d.isValid());
        assertEquals(P, d.size());
        d.close();
    }

    @Test
    void koidsAreUniqueAndStayTheSameAcrossHandles() {
        try (Vmo a = Vmo.create(P); Vmo b = Vmo.create(P); Vmo a2 = a.duplicate(Rights.NONE)) {
            assertEquals(a.koid(), a2.koid());
            assertTrue(a.koid() != b.koid());
            assertEquals(a.koid(), a.info().koid());
        }
    }

    static Stream<Arguments> everyOperation() {
        Map<String, Consumer<Vmo>> ops = new LinkedHashMap<>();
        ops.put("rights", Vmo::rights);
        ops.put("koid", Vmo::koid);
        ops.put("duplicate", v -> v.duplicate(Rights.SAME_RIGHTS));
        ops.put("replace", v -> v.replace(Rights.SAME_RIGHTS));
        ops.put("signals", Vmo::signals);
        ops.put("waitOne", v -> v.waitOne(Signals.USER_0, Duration.ZERO));
        ops.put("signal", v -> v.signal(0, Signals.USER_0));
        ops.put("read(byte[])", v -> v.read(new byte[1], 0));
        ops.put("read(segment)", v -> v.read(MemorySegment.ofArray(new byte[1]), 0));
        ops.put("write(byte[])", v -> v.write(new byte[1], 0));
        ops.put("write(segment)", v -> v.write(MemorySegment.ofArray(new byte[1]), 0));
        ops.put("size", Vmo::size);
        ops.put("setSize", v -> v.setSize(2 * P));
        ops.put("contentSize", Vmo::contentSize);
        ops.put("setContentSize", v -> v.setContentSize(1));
        ops.put("name", Vmo::name);
        ops.put("setName", v -> v.setName("x"));
        ops.put("opRange", v -> v.opRange(Vmo.OP_COMMIT, 0, P, MemorySegment.NULL));
        ops.put("opRange(unknown op)", v -> v.opRange(99, 0, P, MemorySegment.NULL));
        ops.put("commit", v -> v.commit(0, P));
        ops.put("decommit", v -> v.decommit(0, P));
        ops.put("zero", v -> v.zero(0, P));
        ops.put("lock", Vmo::lock);
        ops.put("tryLock", Vmo::tryLock);
        ops.put("unlock", Vmo::unlock);
        ops.put("setCachePolicy", v -> v.setCachePolicy(Vmo.CACHE_CACHED));
        ops.put("info", Vmo::info);
        ops.put("map", v -> v.map(Vmar.PERM_READ, 0, P));
        ops.put("Vmar.map", v -> Vmar.root().map(Vmar.PERM_READ, v, 0, P));
        return ops.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOperation")
    void everyOperationOnAClosedHandleIsBadHandle(String name, Consumer<Vmo> op) {
        for (int options : new int[] {0, Vmo.RESIZABLE | Vmo.DISCARDABLE}) {
            Vmo v = Vmo.create(P, options);
            v.close();
            assertFalse(v.isValid());
            assertStatus(Status.ERR_BAD_HANDLE, () -> op.accept(v));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOperation")
    void everyOperationOnAReplacedHandleIsBadHandle(String name, Consumer<Vmo> op) {
        Vmo v = Vmo.create(P, Vmo.RESIZABLE);
        Vmo r = v.replace(Rights.SAME_RIGHTS);
        try (r) {
            assertStatus(Status.ERR_BAD_HANDLE, () -> op.accept(v));
            assertTrue(r.isValid());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOperation")
    void everyOperationOnAClosedHandleWhoseObjectLivesOnIsBadHandle(String name, Consumer<Vmo> op) {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            Vmo d = v.duplicate(Rights.SAME_RIGHTS);
            d.close();
            assertStatus(Status.ERR_BAD_HANDLE, () -> op.accept(d));
            assertEquals(P, v.size());
        }
    }

    @Test
    void toStringNamesTheKoidAndRights() {
        Vmo v = Vmo.create(P);
        String s = v.toString();
        assertTrue(s.contains(Long.toString(v.koid())) && s.contains("READ"), s);
        v.close();
        assertTrue(v.toString().contains("closed"), v.toString());
    }
}
