package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A receiver keeps at most {@link DirectServer#MAX_WINDOWS_PER_CONNECTION} direct windows of one VMO
 * (each costs the pager's process a descriptor); its windows beyond go through the relay, and still
 * work; an unmapped direct window makes room for the next. The pager is a second JVM
 * ({@link PagerProcess}).
 */
class DirectWindowBoundTest {
    private static final long P = Zx.pageSize();
    private static final int BOUND = DirectServer.MAX_WINDOWS_PER_CONNECTION;

    @TempDir
    Path dir;

    @Test
    void windowsPastTheBoundAreRelayedAndAnUnmapMakesRoom() throws Exception {
        Assumptions.assumeTrue(io.zxmem.cow.LazyFaults.mode() > 0, "no userfaultfd engine here: mappings are eager");
        int[][] ids = DirectTrust.ownIds();
        Assumptions.assumeTrue(DirectTrust.handOver(DirectTrust.mode(), ids[0][1], ids[1][1], ids[0], ids[1],
                io.zxmem.cow.LazyFaults.dumpable(), DirectTrust.yamaScope()), "the pager's process (this user) is not trusted here");
        long pages = BOUND + 8;
        PagerProcess.Launched l = PagerProcess.launch(dir, List.of(), PagerCrossProcessTest.classPath(), pages, pages + 1);
        Process pager = l.process();
        Vmo vmo = l.vmo();
        List<Mapping> maps = new ArrayList<>();
        try (vmo) {
            long direct = RemoteStore.DIRECT_WINDOWS.get();
            long relayed = RemoteStore.RELAY_WINDOWS.get();
            for (int i = 0; i < BOUND + 2; i++) {
                maps.add(vmo.map(Vmar.PERM_READ, i * P, P));
            }
            assertEquals(BOUND, RemoteStore.DIRECT_WINDOWS.get() - direct, "direct windows");
            assertEquals(2, RemoteStore.RELAY_WINDOWS.get() - relayed, "relayed windows past the bound");
            // Both kinds serve their pages: the first window (direct) and the last (relayed).
            assertArrayEquals(PagerTest.content(0, 1, 1), PagerChild.touch(maps.get(0), 0));
            assertArrayEquals(PagerTest.content(BOUND + 1, 1, 1), PagerChild.touch(maps.get(BOUND + 1), 0));
            // An unmapped direct window makes room: the next window is direct again.
            maps.remove(5).close();
            maps.add(vmo.map(Vmar.PERM_READ, (BOUND + 2) * P, P));
            assertEquals(BOUND + 1, RemoteStore.DIRECT_WINDOWS.get() - direct, "direct windows after one unmap");
            assertArrayEquals(PagerTest.content(BOUND + 2, 1, 1), PagerChild.touch(maps.get(maps.size() - 1), 0));
            // The pager's process kept serving: no connection ended on the way (a direct window still works).
            assertArrayEquals(PagerTest.content(7, 1, 1), PagerChild.touch(maps.get(6), 0));
        } finally {
            maps.forEach(Mapping::close);
            pager.destroyForcibly().waitFor();
        }
    }
}
