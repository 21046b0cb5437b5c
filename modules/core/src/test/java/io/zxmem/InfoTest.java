package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code info()}, content size and names. */
class InfoTest {

    @Test
    void infoDescribesTheVmoAndTheHandle() {
        try (Vmo v = Vmo.create(3 * P + 1, Vmo.RESIZABLE); Vmo d = v.duplicate(Rights.INSPECT | Rights.READ)) {
            v.setName("info-test");
            v.write(new byte[1], P);
            VmoInfo i = v.info();
            assertEquals(v.koid(), i.koid());
            assertEquals("info-test", i.name());
            assertEquals(4 * P, i.sizeBytes());
            assertEquals(0, i.parentKoid());
            assertEquals(0, i.numChildren());
            assertEquals(0, i.numMappings());
            assertEquals(0, i.shareCount());
            assertEquals(VmoInfo.TYPE_PAGED | VmoInfo.VIA_HANDLE | VmoInfo.RESIZABLE, i.flags());
            assertEquals(P, i.committedBytes());
            assertEquals(Rights.DEFAULT_VMO | Rights.RESIZE, i.handleRights());
            assertEquals(Vmo.CACHE_CACHED, i.cachePolicy());
            assertEquals(Rights.INSPECT | Rights.READ, d.info().handleRights());
            try (Mapping m = v.map(Vmar.PERM_READ, 0, P)) {
                assertEquals(1, v.info().numMappings());
                assertTrue(v.info().shareCount() >= 1);
            }
        }
    }

    @Test
    void discardableFlag() {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            assertEquals(VmoInfo.TYPE_PAGED | VmoInfo.VIA_HANDLE | VmoInfo.DISCARDABLE, v.info().flags());
        }
    }

    @Test
    void infoNeedsTheInspectRight() {
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.DEFAULT_VMO & ~Rights.INSPECT)) {
            assertStatus(Status.ERR_ACCESS_DENIED, d::info, "vmo.info", "INSPECT");
        }
    }

    @Test
    void infoSizeFollowsResizes() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            v.setSize(10 * P - 1);
            assertEquals(10 * P, v.info().sizeBytes());
        }
    }

    @Test
    void contentSizeStartsAtTheRequestedSizeAndMayExceedTheSize() {
        try (Vmo v = Vmo.create(P + 7)) {
            assertEquals(P + 7, v.contentSize());
            v.setContentSize(100 * P);
            assertEquals(100 * P, v.contentSize());
            assertEquals(2 * P, v.size());
            v.setContentSize(0);
            assertEquals(0, v.contentSize());
            v.setContentSize(-1L);
            assertEquals(-1L, v.contentSize());
        }
    }

    @Test
    void setSizeSetsTheContentSize() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            v.setContentSize(5);
            v.setSize(3 * P + 3);
            assertEquals(3 * P + 3, v.contentSize());
        }
    }

    @Test
    void contentSizeRights() {
        try (Vmo v = Vmo.create(P);
                Vmo noGet = v.duplicate(Rights.DEFAULT_VMO & ~Rights.GET_PROPERTY);
                Vmo noSet = v.duplicate(Rights.DEFAULT_VMO & ~Rights.SET_PROPERTY);
                Vmo noWrite = v.duplicate(Rights.DEFAULT_VMO & ~Rights.WRITE)) {
            assertStatus(Status.ERR_ACCESS_DENIED, noGet::contentSize, "vmo.get_content_size", "GET_PROPERTY");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noSet.setContentSize(1), "vmo.set_content_size", "SET_PROPERTY");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noWrite.setContentSize(1), "vmo.set_content_size", "WRITE");
            assertEquals(P, noSet.contentSize());
            noGet.setContentSize(2);
            assertEquals(2, v.contentSize());
        }
    }

    @Test
    void sizeNeedsNoRight() {
        try (Vmo v = Vmo.create(P); Vmo none = v.duplicate(Rights.NONE)) {
            assertEquals(P, none.size());
        }
    }

    @Test
    void nameStartsEmptyAndIsShared() {
        try (Vmo v = Vmo.create(P); Vmo d = v.duplicate(Rights.SAME_RIGHTS)) {
            assertEquals("", v.name());
            v.setName("shared");
            assertEquals("shared", d.name());
            assertEquals("shared", d.info().name());
            v.setName("");
            assertEquals("", d.name());
        }
    }

    @Test
    void nameKeepsAtMost31Bytes() {
        assertEquals(31, Vmo.MAX_NAME_BYTES);
        try (Vmo v = Vmo.create(P)) {
            String s31 = "abcdefghijklmnopqrstuvwxyz01234";
            v.setName(s31);
            assertEquals(s31, v.name());
            v.setName(s31 + "5");
            assertEquals(s31, v.name());
            v.setName("x".repeat(1000));
            assertEquals("x".repeat(31), v.name());
            assertEquals("x".repeat(31), v.info().name());
        }
    }

    @Test
    void truncationNeverSplitsACharacter() {
        try (Vmo v = Vmo.create(P)) {
            // 10 three-byte characters: 30 bytes fit, the 11th would end at byte 33.
            String s = "\u20ac".repeat(11);
            v.setName(s);
            assertEquals("\u20ac".repeat(10), v.name());
            assertTrue(v.name().getBytes(StandardCharsets.UTF_8).length <= 31);
            // 30 ASCII bytes then a 2-byte character: only the ASCII part fits.
            v.setName("a".repeat(30) + "\u00e9");
            assertEquals("a".repeat(30), v.name());
            v.setName("a".repeat(29) + "\u00e9");
            assertEquals("a".repeat(29) + "\u00e9", v.name());
        }
    }

    @Test
    void nameRights() {
        try (Vmo v = Vmo.create(P);
                Vmo noGet = v.duplicate(Rights.DEFAULT_VMO & ~Rights.GET_PROPERTY);
                Vmo noSet = v.duplicate(Rights.DEFAULT_VMO & ~Rights.SET_PROPERTY)) {
            assertStatus(Status.ERR_ACCESS_DENIED, noGet::name, "vmo.get_name", "GET_PROPERTY");
            assertStatus(Status.ERR_ACCESS_DENIED, () -> noSet.setName("n"), "vmo.set_name", "SET_PROPERTY");
            // setName needs only SET_PROPERTY
            noGet.setName("ok");
            assertEquals("ok", v.name());
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.setName(null), "vmo.set_name");
        }
    }

    @Test
    void pageSizeComesFromTheOs() throws Exception {
        Process p = new ProcessBuilder("getconf", "PAGESIZE").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertEquals(0, p.waitFor());
        assertEquals(Long.parseLong(out), Zx.pageSize());
        assertEquals(Long.bitCount(Zx.pageSize()), 1);
    }
}
