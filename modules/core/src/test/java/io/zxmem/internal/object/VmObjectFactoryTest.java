package io.zxmem.internal.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import io.zxmem.internal.Pages;
import io.zxmem.internal.store.MemfdStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Making a VM object that fails closes the store it was to own. Before the one factory,
 * {@code Vmo.create} made its memfd store, then the object; a constructor that threw left the memfd
 * open for good.
 */
class VmObjectFactoryTest {
    private static final long P = Pages.size();

    /** How many descriptors of this process are memfds named {@code name}. */
    private static long memfds(String name) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("/memfd:" + name + " ");
                } catch (IOException gone) {
                    return false; // the listing's own descriptor, closed meanwhile
                }
            }).count();
        }
    }

    @Test
    void aChildOfAVmoThatIsGoneClosesItsStore() throws IOException {
        VmObjectPaged parent = VmObjectPaged.create(P, 0);
        parent.release(); // the last reference: the parent is destroyed
        assertFalse(parent.alive());
        String name = "zxmem-factory-child";
        MemfdStore store = new MemfdStore(name, P, P);
        assertEquals(1, memfds(name));
        ZxException e = assertThrows(ZxException.class, () -> VmObjectFactory.newChild(parent, store,
                Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, 0, P, P));
        assertEquals(Status.ERR_BAD_HANDLE, e.status());
        assertEquals(0, memfds(name), "the store of the child that could not be made is closed");
    }

    @Test
    void aConstructorThatFailsClosesTheStore() throws IOException {
        String name = "zxmem-factory-root";
        MemfdStore store = new MemfdStore(name, P, P);
        int live = KoidTable.liveCount();
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> VmObjectFactory.<VmObjectPaged>make(
                (s, o, sz, cs, cp, n, parent, co, off) -> {
                    throw new OutOfMemoryError("no room for the object");
                }, store, 0, P, P, 0, "", null, 0, 0));
        assertEquals("no room for the object", e.getMessage());
        assertEquals(0, memfds(name), "the store is closed");
        assertEquals(live, KoidTable.liveCount(), "nothing was listed");
    }

    @Test
    void aVmoMadeAndReleasedLeavesNoMemfd() throws IOException {
        io.zxmem.Zx.releasePooledMemfds(); // recycled memfds are not this VMO's
        long before = memfds("zxmem-vmo");
        VmObjectPaged v = VmObjectPaged.create(16 * P, Vmo.DISCARDABLE);
        v.release();
        io.zxmem.Zx.releasePooledMemfds();
        assertEquals(before, memfds("zxmem-vmo"));
    }
}
