package io.zxmem.bench;

import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Fuchsia's {@code Vmo/Clone} microbenchmark families on zxmem: {@code Vmo/Clone} (snapshot a
 * committed VMO, close the clone) and {@code Vmo/Clone/{Read,Write}{Orig,Clone}{All,Some}} (snapshot,
 * then read or write one page at every page (All) or every other page (Some) of the original or of
 * the clone with {@code zx_vmo_read}/{@code zx_vmo_write}, then close the clone). The C column does
 * the same on the hidden-parent mechanism with {@code memcpy}.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CloneBench extends BenchDefaults {
    @Param({"4096", "65536", "524288", "2097152"})
    public long size;

    private final long page = Zx.pageSize();
    private Vmo vmo;
    private MemorySegment ctx;
    private Arena arena;
    private MemorySegment buf;

    @Setup(Level.Trial)
    public void setup() {
        vmo = Vmo.create(size);
        vmo.write(new byte[(int) size], 0);
        for (long off = 0; off < size; off += page) {
            vmo.write(new byte[] {1}, off);
        }
        ctx = CowNative.setup(size);
        arena = Arena.ofConfined();
        buf = arena.allocate(page, page);
    }

    @TearDown(Level.Trial)
    public void teardown() {
        vmo.close();
        CowNative.teardown(ctx);
        arena.close();
    }

    private long op(boolean targetClone, boolean read, boolean all) {
        try (Vmo clone = vmo.createChild(Vmo.CHILD_SNAPSHOT, 0, size)) {
            Vmo t = targetClone ? clone : vmo;
            long step = all ? page : 2 * page;
            for (long off = 0; off < size; off += step) {
                if (read) {
                    t.read(buf, off);
                } else {
                    t.write(buf, off);
                }
            }
            return clone.koid();
        }
    }

    private int c(int targetClone, int read, int all) throws Throwable {
        int rc = (int) CowNative.CLONE_OP.invokeExact(ctx, targetClone, read, all, buf);
        CHarness.check("zxb_clone_op", rc);
        return rc;
    }

    @Benchmark
    public long zx_clone() {
        try (Vmo clone = vmo.createChild(Vmo.CHILD_SNAPSHOT, 0, size)) {
            return clone.koid();
        }
    }

    @Benchmark
    public int c_clone() throws Throwable {
        int rc = (int) CowNative.HIDDEN_SNAPSHOT.invokeExact(ctx);
        CHarness.check("zxb_hidden_snapshot", rc);
        return rc;
    }

    @Benchmark public long zx_clone_ReadOrigAll() { return op(false, true, true); }
    @Benchmark public long zx_clone_ReadOrigSome() { return op(false, true, false); }
    @Benchmark public long zx_clone_ReadCloneAll() { return op(true, true, true); }
    @Benchmark public long zx_clone_ReadCloneSome() { return op(true, true, false); }
    @Benchmark public long zx_clone_WriteOrigAll() { return op(false, false, true); }
    @Benchmark public long zx_clone_WriteOrigSome() { return op(false, false, false); }
    @Benchmark public long zx_clone_WriteCloneAll() { return op(true, false, true); }
    @Benchmark public long zx_clone_WriteCloneSome() { return op(true, false, false); }

    @Benchmark public int c_clone_ReadOrigAll() throws Throwable { return c(0, 1, 1); }
    @Benchmark public int c_clone_ReadOrigSome() throws Throwable { return c(0, 1, 0); }
    @Benchmark public int c_clone_ReadCloneAll() throws Throwable { return c(1, 1, 1); }
    @Benchmark public int c_clone_ReadCloneSome() throws Throwable { return c(1, 1, 0); }
    @Benchmark public int c_clone_WriteOrigAll() throws Throwable { return c(0, 0, 1); }
    @Benchmark public int c_clone_WriteOrigSome() throws Throwable { return c(0, 0, 0); }
    @Benchmark public int c_clone_WriteCloneAll() throws Throwable { return c(1, 0, 1); }
    @Benchmark public int c_clone_WriteCloneSome() throws Throwable { return c(1, 0, 0); }
}
