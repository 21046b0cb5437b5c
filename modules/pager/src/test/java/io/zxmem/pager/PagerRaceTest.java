package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Bounded races (a second or two each): readers, writers, a pager that answers out of order and
 * sometimes fails, write-back cycles, and finally a detach while accessors wait. Nothing may hang,
 * every read shows the pager's bytes or the writer's, and no waiter survives the detach.
 */
class PagerRaceTest {
    static final long P = Zx.pageSize();
    static final int PAGES = 64;

    @Test
    void readersWritersPagerAndWritebackRace() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (Pager pager = Pager.create(); Vmo vmo = pager.createVmo(0, PAGES * P)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            // The pager: answers READ requests, a few of them with OP_FAIL, in batches served backwards.
            Future<?> server = pool.submit(() -> {
                List<PageRequest> batch = new ArrayList<>();
                while (!stop.get()) {
                    try {
                        batch.add(pager.next(Duration.ofMillis(20)));
                        while (pager.pendingRequests() > 0 && batch.size() < 8) {
                            batch.add(pager.next(Duration.ZERO));
                        }
                    } catch (ZxException e) {
                        if (e.status() != Status.ERR_TIMED_OUT) {
                            throw e;
                        }
                    }
                    for (int i = batch.size() - 1; i >= 0; i--) {
                        PageRequest r = batch.get(i);
                        if (r.command() != PageRequest.READ) {
                            continue;
                        }
                        if (ThreadLocalRandom.current().nextInt(10) == 0) {
                            pager.opRange(Pager.OP_FAIL, vmo, r.offset(), r.length(), Status.ERR_IO.value());
                        } else {
                            PagerTest.supply(pager, vmo, r.offset() / P, r.length() / P, 1);
                        }
                    }
                    batch.clear();
                }
                return null;
            });
            // Write-back cycles, all the time.
            Future<?> writeback = pool.submit(() -> {
                while (!stop.get()) {
                    pager.opRange(Pager.OP_WRITEBACK_BEGIN, vmo, 0, PAGES * P, 0);
                    pager.queryDirtyRanges(vmo, 0, PAGES * P);
                    pager.opRange(Pager.OP_WRITEBACK_END, vmo, 0, PAGES * P, 0);
                }
                return null;
            });
            List<Future<?>> accessors = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int me = t;
                accessors.add(pool.submit(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        int page = rnd.nextInt(PAGES);
                        int n = 1 + rnd.nextInt(Math.min(4, PAGES - page));
                        try {
                            if (me == 0 && page % 8 == 0) {
                                // Writer: only the first byte of every 8th page, so others can check the rest.
                                vmo.write(new byte[] {(byte) 0xEE}, page * P);
                            } else {
                                byte[] got = PagerTest.read(vmo, page * P, (int) (n * P));
                                byte[] want = PagerTest.content(page, n, 1);
                                for (int i = 0; i < got.length; i++) {
                                    if (i % P == 0 && (page + i / P) % 8 == 0 && got[i] == (byte) 0xEE) {
                                        continue;
                                    }
                                    if (got[i] != want[i]) {
                                        throw new AssertionError("byte " + (page * P + i) + " is " + got[i] + ", not " + want[i]);
                                    }
                                }
                                reads.incrementAndGet();
                            }
                        } catch (ZxException e) {
                            assertEquals(Status.ERR_IO, e.status(), e.getMessage());
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(1500);
            stop.set(true);
            for (Future<?> f : accessors) {
                f.get(20, TimeUnit.SECONDS);
            }
            writeback.get(20, TimeUnit.SECONDS);
            server.get(20, TimeUnit.SECONDS);
            assertTrue(reads.get() > 0, "no read completed");

            // Detach with accessors waiting for pages nobody will supply: every one fails, none hangs.
            try (Vmo fresh = pager.createVmo(0, PAGES * P)) {
                List<Future<?>> waiting = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int page = i;
                    waiting.add(pool.submit(() -> PagerTest.read(fresh, page * P, 1)));
                }
                while (pager.pendingRequests() < 8) {
                    Thread.sleep(1);
                }
                pager.detach(fresh);
                for (Future<?> f : waiting) {
                    java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                            java.util.concurrent.ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
                    assertEquals(Status.ERR_BAD_STATE, ((ZxException) e.getCause()).status());
                }
            }
            assertArrayEquals(PagerTest.content(1, 1, 1), PagerTest.read(vmo, P, (int) P));
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS));
        }
    }
}
