package io.zxmem;

import static io.zxmem.TestSupport.P;
import static io.zxmem.TestSupport.PI;
import static io.zxmem.TestSupport.assertStatus;
import static io.zxmem.TestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A failing call leaves the state as it was and throws ZxException, never a raw exception (issue 12,
 * items 5 and 7): lock ops and read/write with segments this thread may not use.
 */
class FailedCallStateTest {

    /** A segment of an arena confined to another (still running) thread, and a latch that ends it. */
    private record Foreign(MemorySegment segment, CountDownLatch done) implements AutoCloseable {
        static Foreign make(long bytes) throws Exception {
            CompletableFuture<MemorySegment> seg = new CompletableFuture<>();
            CountDownLatch done = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                try (Arena a = Arena.ofConfined()) {
                    seg.complete(a.allocate(bytes));
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "arena-owner");
            t.setDaemon(true);
            t.start();
            return new Foreign(seg.get(), done);
        }

        @Override
        public void close() {
            done.countDown();
        }
    }

    private static MemorySegment closedSegment(long bytes) {
        Arena a = Arena.ofConfined();
        MemorySegment s = a.allocate(bytes);
        a.close();
        return s;
    }

    @Test
    void lockWithABufferOfAClosedArenaIsInvalidArgsAndLeavesTheVmoUnlocked() {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE)) {
            MemorySegment dead = closedSegment(LockState.BYTES);
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(Vmo.OP_LOCK, 0, P, dead), "LOCK");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(Vmo.OP_TRY_LOCK, 0, P, dead), "TRY_LOCK");
            assertStatus(Status.ERR_BAD_STATE, v::unlock, "UNLOCK");
            // Unlocked, so the VMO can be discarded: proof that no lock is held.
            Zx.reclaimDiscardable();
            assertEquals(P, v.lock().discardedSize());
            v.unlock();
        }
    }

    @Test
    void lockWithABufferOfAnotherThreadsArenaIsInvalidArgsAndLeavesTheVmoUnlocked() throws Exception {
        try (Vmo v = Vmo.create(P, Vmo.DISCARDABLE); Foreign f = Foreign.make(LockState.BYTES)) {
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(Vmo.OP_LOCK, 0, P, f.segment()), "LOCK");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.opRange(Vmo.OP_TRY_LOCK, 0, P, f.segment()), "TRY_LOCK");
            assertStatus(Status.ERR_BAD_STATE, v::unlock);
        }
    }

    @Test
    void readAndWriteWithASegmentOfAClosedArenaAreInvalidArgs() {
        byte[] content = pattern(PI, 9);
        try (Vmo v = Vmo.create(P)) {
            v.write(content, 0);
            MemorySegment dead = closedSegment(P);
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.read(dead, 0), "vmo.read");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.write(dead, 0), "vmo.write");
            assertArrayEquals(content, TestSupport.read(v, 0, PI), "nothing changed");
        }
    }

    @Test
    void readAndWriteWithASegmentOfAnotherThreadsArenaAreInvalidArgs() throws Exception {
        byte[] content = pattern(PI, 10);
        try (Vmo v = Vmo.create(P); Foreign f = Foreign.make(P)) {
            v.write(content, 0);
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.read(f.segment(), 0), "vmo.read");
            assertStatus(Status.ERR_INVALID_ARGS, () -> v.write(f.segment(), 0), "vmo.write");
            assertArrayEquals(content, TestSupport.read(v, 0, PI), "nothing changed");
        }
    }
}
