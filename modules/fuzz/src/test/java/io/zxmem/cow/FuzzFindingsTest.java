package io.zxmem.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Mapping;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.testing.LeakCheckExtension;
import io.zxmem.testing.ProcessResources;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * What the fuzzer (VmoTreeFuzzTest) found, each as a plain test of its own; the input that found it is
 * kept in VmoTreeFuzzTestInputs/operationSequences as {@code finding-*} and replays there too.
 */
class FuzzFindingsTest {
    static final long P = Zx.pageSize();

    /**
     * finding-map-close-race (input of 901 bytes; the worker thread mapped with no permissions while
     * the main thread closed the shared VMO's last handle): a PROT_NONE memfd mapping of the whole VMO
     * stayed in /proc/self/maps after every handle and mapping was closed. Issue 12 item 3 (map racing
     * close of the last handle), seen by the fuzzer on its own.
     */
    @Test
    @Disabled("issue 12/3: map racing close of the last handle leaves the memfd mapping behind (fuzz finding)")
    void mapRacingCloseOfTheLastHandleLeavesNoMapping() throws Exception {
        ProcessResources before = ProcessResources.now();
        CyclicBarrier start = new CyclicBarrier(2);
        int mapped = 0;
        for (int round = 0; round < 3000; round++) {
            Vmo v = Vmo.create(7 * P);
            Thread closer = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                v.close();
            });
            start.await();
            try {
                Mapping m = v.map(round % 2 == 0 ? 0 : Vmar.PERM_READ, 0, 7 * P);
                mapped++;
                m.close();
            } catch (ZxException e) {
                assertEquals(Status.ERR_BAD_HANDLE, e.status(), e.getMessage());
            }
            closer.join();
        }
        System.out.println("map won the race " + mapped + " times of 3000");
        LeakCheckExtension.assertNothingLeakedSince(before, "3000 rounds of map racing close", 2000);
    }
    /**
     * finding-create-child-close-race (input of 1490 bytes; one thread made a snapshot child of the shared
     * VMO while the other closed that handle): after every handle was closed, the parent (still listing a
     * handle in inspection) and its handle-less snapshot child stayed alive with both memfds. Issue 12
     * item 3 (createChild racing close), seen by the fuzzer on its own.
     */
    @Test
    @Disabled("issue 12/3: createChild racing close of the same handle leaves parent and child alive (fuzz finding)")
    void createChildRacingCloseLeavesNothingBehind() throws Exception {
        ProcessResources before = ProcessResources.now();
        CyclicBarrier start = new CyclicBarrier(2);
        int made = 0;
        for (int round = 0; round < 3000; round++) {
            Vmo v = Vmo.create(4 * P);
            Thread closer = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                v.close();
            });
            start.await();
            try {
                int kind = round % 3 == 0 ? Vmo.CHILD_SLICE : round % 3 == 1 ? Vmo.CHILD_SNAPSHOT : Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE;
                Vmo c = v.createChild(kind, 0, kind == Vmo.CHILD_SLICE ? 4 * P : 7 * P);
                made++;
                c.close();
            } catch (ZxException e) {
                assertEquals(Status.ERR_BAD_HANDLE, e.status(), e.getMessage());
            }
            closer.join();
        }
        System.out.println("createChild won the race " + made + " times of 3000");
        LeakCheckExtension.assertNothingLeakedSince(before, "3000 rounds of createChild racing close", 2000);
    }
    /**
     * finding-huge-cow-child (the worker grew a resizable at-least-on-write child of a 61,922-byte VMO to
     * 18446742649603084288 bytes, then wrote into it): a write well inside the new size must work (or fail
     * with NO_MEMORY); today it fails with OUT_OF_RANGE "the copy faulted" at offset 0, throws a raw
     * IndexOutOfBoundsException (in the fuzzing run, against an older core, a raw InternalError) at
     * 1 TiB, and after close a private mapping of about 1.3 TB of the "zxmem-beyond-end" memfd stays in
     * /proc/self/maps (the leak check names it).
     */
    @Test
    @Disabled("cow engine: a resizable at-least-on-write child grown near 2^64 cannot be written and leaks its reservation (fuzz finding)")
    void aHugeResizableAtLeastOnWriteChildIsWritableAndLeavesNothing() {
        long huge = Long.parseUnsignedLong("18446742649603084288");
        try (Vmo root = Vmo.create(61922);
                Vmo c = root.createChild(Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE | Vmo.CHILD_RESIZABLE, 73728, 0)) {
            c.setSize(huge);
            for (long off : new long[] {0, P, 1L << 40, huge - P}) {
                byte[] data = new byte[100];
                java.util.Arrays.fill(data, (byte) (off >>> 12 | 1));
                try {
                    c.write(data, off);
                } catch (ZxException e) {
                    assertEquals(Status.ERR_NO_MEMORY, e.status(), "write at " + Long.toUnsignedString(off) + ": " + e.getMessage());
                    continue;
                }
                byte[] back = new byte[100];
                c.read(back, off);
                org.junit.jupiter.api.Assertions.assertArrayEquals(data, back, "at " + Long.toUnsignedString(off));
            }
        }
    }
}
