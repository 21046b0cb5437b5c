package io.zxmem;

import static io.zxmem.TestSupport.P;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The inspection list holds one entry per open handle, with that handle's rights (issue 12, item 8). */
class InspectionListTest {

    private static List<Integer> listed(long koid) {
        for (VmoSnapshot s : Zx.inspect()) {
            if (s.koid() == koid) {
                return s.handleRights();
            }
        }
        throw new AssertionError("VMO " + koid + " is not listed");
    }

    @Test
    void replaceListsTheNewHandleInsteadOfTheOld() {
        Vmo v = Vmo.create(P);
        long koid = v.koid();
        int[] subsets = {Rights.SAME_RIGHTS, v.rights() & ~Rights.WRITE, Rights.READ | Rights.DUPLICATE | Rights.TRANSFER};
        for (int i = 0; i < 3000; i++) {
            int want = subsets[i % subsets.length];
            if (want != Rights.SAME_RIGHTS && (want & ~v.rights()) != 0) {
                want = Rights.SAME_RIGHTS;
            }
            v = v.replace(want);
            assertEquals(List.of(v.rights()), listed(koid), "after " + (i + 1) + " replaces");
        }
        v.close();
    }

    @Test
    void replaceThatFailsUnlistsTheClosedHandle() {
        Vmo v = Vmo.create(P);
        long koid = v.koid();
        Vmo keep = v.duplicate(Rights.READ | Rights.DUPLICATE);
        Vmo narrow = keep.duplicate(Rights.READ);
        try {
            TestSupport.assertStatus(Status.ERR_INVALID_ARGS, () -> narrow.replace(Rights.WRITE));
            assertEquals(2, listed(koid).size(), "the handle closed by the failed replace is unlisted");
        } finally {
            v.close();
            keep.close();
        }
    }

    @Test
    void theListFollowsOpenHandlesOnly() {
        try (Vmo v = Vmo.create(P)) {
            List<Vmo> dups = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                dups.add(v.duplicate(i % 2 == 0 ? Rights.SAME_RIGHTS : Rights.READ | Rights.DUPLICATE));
            }
            assertEquals(2001, listed(v.koid()).size());
            for (Vmo d : dups) {
                d.close();
            }
            assertEquals(List.of(v.rights()), listed(v.koid()));
        }
    }

    /**
     * A handle is tracked by itself, not through its object: a duplicate dropped without close is
     * closed by the garbage collector while the original stays open, and leaves the list.
     */
    @Test
    void aLeakedDuplicateLeavesTheListWhileTheOriginalStaysOpen() throws InterruptedException {
        try (Vmo v = Vmo.create(P)) {
            leakDuplicates(v);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (listed(v.koid()).size() != 1 && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(List.of(v.rights()), listed(v.koid()));
            assertEquals(v.rights(), v.info().handleRights(), "the original is open");
        }
    }

    private static void leakDuplicates(Vmo v) {
        for (int i = 0; i < 10; i++) {
            v.duplicate(Rights.READ | Rights.DUPLICATE);
        }
        assertEquals(11, listed(v.koid()).size());
    }
}
