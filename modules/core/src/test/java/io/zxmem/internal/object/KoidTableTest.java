package io.zxmem.internal.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Vmo;
import io.zxmem.internal.Pages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The koid table's striped lists: every live VM object listed once, in koid order, and unlisted when
 * it goes, also when many threads make and close objects at once.
 */
class KoidTableTest {
    private static final long P = Pages.size();

    private static boolean listed(long koid) {
        for (VmObject v : KoidTable.live()) {
            if (v.koid() == koid) {
                return true;
            }
        }
        return false;
    }

    @Test
    void objectsAreListedInKoidOrderWhileAlive() {
        int before = KoidTable.liveCount();
        List<Vmo> made = new ArrayList<>();
        List<Long> koids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            made.add(Vmo.create(P));
            koids.add(made.get(i).koid());
        }
        assertEquals(before + 40, KoidTable.liveCount());
        List<VmObject> live = KoidTable.live();
        assertEquals(before + 40, live.size());
        for (int i = 1; i < live.size(); i++) {
            assertTrue(live.get(i - 1).koid() < live.get(i).koid(), "koid order");
        }
        for (Vmo v : made) {
            assertTrue(listed(v.koid()));
        }
        // Closed in an order that unlinks heads, tails and middles of every stripe.
        for (int i = 0; i < made.size(); i += 3) {
            made.get(i).close();
            assertFalse(listed(koids.get(i)), "a closed VMO is unlisted");
        }
        for (int i = made.size() - 1; i >= 0; i--) {
            made.get(i).close();
            assertFalse(listed(koids.get(i)), "a closed VMO is unlisted");
        }
        assertEquals(before, KoidTable.liveCount());
        assertEquals(before, KoidTable.live().size());
    }

    @Test
    void threadsMakingAndClosingAtOnceLeaveTheCountWhereItWas() throws InterruptedException {
        int before = KoidTable.liveCount();
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    List<Vmo> held = new ArrayList<>();
                    for (int i = 0; i < 5000; i++) {
                        held.add(Vmo.create(P));
                        if (held.size() > 7) {
                            held.remove(i % held.size()).close();
                        }
                    }
                    for (Vmo v : held) {
                        v.close();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            th.start();
            running.add(th);
        }
        start.countDown();
        for (Thread th : running) {
            th.join();
        }
        assertEquals(List.of(), failures);
        assertEquals(before, KoidTable.liveCount());
        assertEquals(before, KoidTable.live().size());
    }
}
