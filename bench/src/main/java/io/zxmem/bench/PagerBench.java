package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Channel;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * First touch of a page that a pager supplies, per page: zxmem's pager (a Java pager thread answering
 * a {@code read} in this JVM; the same over a channel link, both ends in this JVM) next to C
 * userfaultfd round trips with a native handler thread (MISSING + UFFDIO_COPY; MINOR + UFFDIO_CONTINUE
 * after the pager filled the page cache) and the kernel's own page-cache fault on a file mapping.
 * Each invocation touches {@link #PAGES} fresh pages of a fresh VMO (C: a fresh window of an emptied
 * file); the setup and the window's mmap are included in C, the VMO's creation is not in Java.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PagerBench extends BenchDefaults {
    static final int PAGES = 256;
    static final long P = Zx.pageSize();

    static final MethodHandle SETUP = CHarness.function("zxb_pager_setup", FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle ROUND = CHarness.function("zxb_pager_round", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle TEARDOWN = CHarness.function("zxb_pager_teardown", FunctionDescriptor.ofVoid(ADDRESS));

    private Pager pager;
    private Thread server;
    private volatile boolean stop;
    private volatile Vmo vmo;
    private Vmo remote;
    private Channel[] pair;
    private final byte[] one = new byte[1];
    private MemorySegment missing;
    private MemorySegment minor;
    private MemorySegment cache;

    @Setup(Level.Trial)
    public void start() throws Throwable {
        pager = Pager.create();
        pair = Channel.createPair();
        server = new Thread(this::serve, "bench-pager");
        server.setDaemon(true);
        server.start();
        missing = (MemorySegment) SETUP.invokeExact((long) PAGES * P, 0);
        minor = (MemorySegment) SETUP.invokeExact((long) PAGES * P, 1);
        cache = (MemorySegment) SETUP.invokeExact((long) PAGES * P, 2);
        if (missing.equals(MemorySegment.NULL) || minor.equals(MemorySegment.NULL) || cache.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("zxb_pager_setup failed (userfaultfd with UFFD_USER_MODE_ONLY unavailable?)");
        }
    }

    /** The pager: supplies every requested run with one page of bytes each, through a reused aux VMO. */
    private void serve() {
        byte[] page = new byte[(int) P];
        java.util.Arrays.fill(page, (byte) 0x5a);
        try (Vmo aux = Vmo.create(P)) {
            while (!stop) {
                PageRequest r;
                try {
                    r = pager.next(Duration.ofMillis(100));
                } catch (ZxException e) {
                    if (e.status() == Status.ERR_TIMED_OUT) {
                        continue;
                    }
                    return;
                }
                if (r.command() != PageRequest.READ) {
                    continue;
                }
                Vmo target = vmo;
                if (target == null || !r.isFor(target)) {
                    continue; // a request of an earlier invocation's VMO, closed meanwhile
                }
                try {
                    for (long at = r.offset(); at < r.offset() + r.length(); at += P) {
                        aux.write(page, 0);
                        pager.supplyPages(target, at, P, aux, 0);
                    }
                } catch (ZxException e) {
                    // the VMO closed while we supplied it: its reader is gone too
                }
            }
        }
    }

    @Setup(Level.Invocation)
    public void freshVmo() {
        vmo = pager.createVmo(0, PAGES * P);
        pair[0].write(new byte[0], vmo.duplicate(Rights.SAME_RIGHTS));
        remote = (Vmo) pair[1].read(Duration.ofSeconds(10)).handles().get(0);
    }

    @TearDown(Level.Invocation)
    public void closeVmo() {
        remote.close();
        vmo.close();
    }

    @TearDown(Level.Trial)
    public void stop() throws Throwable {
        stop = true;
        server.join();
        pager.close();
        pair[0].close();
        pair[1].close();
        TEARDOWN.invokeExact(missing);
        TEARDOWN.invokeExact(minor);
        TEARDOWN.invokeExact(cache);
    }

    /** A {@code read} of one byte of each page: one READ request, one supply, one wake-up per page. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public byte zx_first_touch_inprocess() {
        for (int i = 0; i < PAGES; i++) {
            vmo.read(one, i * P);
        }
        return one[0];
    }

    /** The same through a VMO received over a channel: each page also crosses the link both ways. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public byte zx_first_touch_link() {
        for (int i = 0; i < PAGES; i++) {
            remote.read(one, i * P);
        }
        return one[0];
    }

    /** The C userfaultfd round trip the zx_ benchmarks compare with (report.py pairs them by name). */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int c_first_touch() throws Throwable {
        int rc = (int) ROUND.invokeExact(missing, (long) PAGES);
        CHarness.check("zxb_pager_round", rc);
        return rc;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int c_first_touch_uffd_minor() throws Throwable {
        int rc = (int) ROUND.invokeExact(minor, (long) PAGES);
        CHarness.check("zxb_pager_round", rc);
        return rc;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int c_first_touch_page_cache() throws Throwable {
        int rc = (int) ROUND.invokeExact(cache, (long) PAGES);
        CHarness.check("zxb_pager_round", rc);
        return rc;
    }
}
