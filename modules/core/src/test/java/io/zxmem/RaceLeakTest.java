package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.fdCount;
import static io.zxmem.TestSupport.vmoMapCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An operation racing {@code close} of the handle it runs on (issue 12, item 3): the loser either
 * fails with BAD_HANDLE and leaves nothing behind, or completes and what it made is owned by its
 * result. Each round a worker repeats the operation until the handle is gone while this thread
 * closes the handle at a random moment; thousands of rounds, a few seconds.
 */
@Timeout(120)
class RaceLeakTest {
    private static final int ROUNDS = Integer.getInteger("zxmem.raceleak.rounds", 3000);
    private static ExecutorService worker;

    @BeforeAll
    static void start() {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "race-leak-worker");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stop() {
        worker.shutdownNow();
    }

    /**
     * Runs {@code op} on {@code h} in the worker until it fails; closes {@code h} here meanwhile.
     * Whatever {@code op} returns is closed by the worker. @return unexpected throwables
     */
    private static List<Throwable> race(Vmo h, Function<Vmo, AutoCloseable> op) throws Exception {
        CountDownLatch going = new CountDownLatch(1);
        Future<List<Throwable>> f = worker.submit(() -> {
            List<Throwable> bad = new ArrayList<>();
            while (true) {
                AutoCloseable made;
                try {
                    made = op.apply(h);
                } catch (ZxException e) {
                    if (e.status() != Status.ERR_BAD_HANDLE) {
                        bad.add(e);
                    }
                    going.countDown();
                    return bad;
                } catch (Throwable t) {
                    bad.add(t);
                    going.countDown();
                    return bad;
                }
                made.close();
                going.countDown();
            }
        });
        going.await();
        long spin = System.nanoTime() + ThreadLocalRandom.current().nextLong(30_000);
        while (System.nanoTime() < spin) {
            Thread.onSpinWait();
        }
        h.close();
        return f.get();
    }

    @Test
    void createChildRacingCloseLeavesNoChildBehind() throws Exception {
        int vmos = Zx.liveVmoCount();
        int fds = fdCount();
        List<Throwable> bad = new ArrayList<>();
        int stuck = 0;
        for (int i = 0; i < ROUNDS; i++) {
            try (Vmo root = Vmo.create(4 * P)) {
                Vmo h = root.duplicate(Rights.SAME_RIGHTS);
                bad.addAll(race(h, v -> v.createChild(Vmo.CHILD_SLICE, P, P)));
                if ((root.signals() & Signals.VMO_ZERO_CHILDREN) == 0) {
                    stuck++;
                }
            }
        }
        assertTrue(bad.isEmpty(), () -> "createChild failed otherwise than BAD_HANDLE: " + bad.subList(0, Math.min(5, bad.size())));
        assertEquals(0, stuck, "rounds after which the root's ZERO_CHILDREN never came back (a child nobody owns)");
        assertEquals(vmos, Zx.liveVmoCount(), "VMOs left alive");
        assertEquals(fds, fdCount(), "descriptors left open");
    }

    @Test
    void mapRacingCloseOfTheLastHandleLeavesNoMapping() throws Exception {
        int vmos = Zx.liveVmoCount();
        int fds = fdCount();
        int maps = vmoMapCount();
        List<Throwable> bad = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            Vmo v = Vmo.create(2 * P);
            bad.addAll(race(v, h -> h.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P)));
        }
        assertTrue(bad.isEmpty(), () -> "map failed otherwise than BAD_HANDLE: " + bad.subList(0, Math.min(5, bad.size())));
        assertEquals(maps, vmoMapCount(), "VMO mappings left behind");
        assertEquals(vmos, Zx.liveVmoCount(), "VMOs left alive");
        assertEquals(fds, fdCount(), "descriptors left open");
    }

    @Test
    void duplicateAndReplaceRacingCloseLeaveNoHandleBehind() throws Exception {
        int vmos = Zx.liveVmoCount();
        List<Throwable> bad = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            Vmo v = Vmo.create(P);
            bad.addAll(race(v, h -> h.duplicate(Rights.SAME_RIGHTS)));
        }
        assertTrue(bad.isEmpty(), () -> "duplicate failed otherwise than BAD_HANDLE: " + bad.subList(0, Math.min(5, bad.size())));
        assertEquals(vmos, Zx.liveVmoCount(), "VMOs left alive");
    }
}
