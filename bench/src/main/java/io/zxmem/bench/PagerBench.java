package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * First touch of a page that a pager supplies, per page: zxmem's pager (a Java pager thread answering
 * a {@code read} in this JVM; the same over a channel link, both ends in this JVM; a touch of a lazy
 * mapping of a VMO whose pager is another JVM, {@link PagerBenchServer}) next to C
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

    /** Whether the in-process pager supplies from memory instead of an aux VMO ({@link PagerInterleaved} only). */
    boolean supplyFromMemory;
    private Pager pager;
    private Thread server;
    private volatile boolean stop;
    private volatile Vmo vmo;
    private Vmo remote;
    private Channel[] pair;
    private final byte[] one = new byte[1];
    private MemorySegment missing;
    private MemorySegment minor;
    private MemorySegment crossProcess;
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
        crossProcess = (MemorySegment) SETUP.invokeExact((long) PAGES * P, 3);
        if (missing.equals(MemorySegment.NULL) || minor.equals(MemorySegment.NULL) || cache.equals(MemorySegment.NULL)
                || crossProcess.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("zxb_pager_setup failed (userfaultfd with UFFD_USER_MODE_ONLY unavailable?)");
        }
    }

    private void serve() {
        PagerBenchServer.serve(pager, () -> vmo, () -> stop, supplyFromMemory);
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
        TEARDOWN.invokeExact(crossProcess);
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

    /**
     * The cross-process case: a pager VMO of another JVM ({@link PagerBenchServer}), mapped lazily
     * here. Each page's first touch faults to the native userfaultfd handler, which asks the pager's
     * process over the relay socket; that process's Java pager supplies the page; the handler wakes the
     * touch. The VMO and its mapping are made per invocation, outside the measurement.
     */
    @State(Scope.Thread)
    public static class Remote {
        /** How the pager process supplies: {@code aux} (Zircon's aux VMO) or {@code memory} (a page of memory). */
        @Param({"aux", "memory"})
        public String supply = "aux";
        Path dir;
        ChannelServer listener;
        Channel ch;
        Process server;
        Vmo vmo;
        Mapping mapping;
        MemorySegment window;

        @Setup(Level.Trial)
        public void start() throws Exception {
            dir = Files.createTempDirectory("zxmem-pager-bench");
            Path sock = dir.resolve("s");
            listener = Channel.listen(sock);
            String java = ProcessHandle.current().info().command().orElseThrow();
            server = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp",
                    System.getProperty("java.class.path"), PagerBenchServer.class.getName(), sock.toString(), supply)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            ch = listener.accept(Duration.ofSeconds(60));
            if (io.zxmem.cow.LazyFaults.mode() == 0) {
                throw new IllegalStateException("no userfaultfd engine: mappings of pager VMOs are eager here");
            }
        }

        @Setup(Level.Invocation)
        public void freshMapping() {
            ch.write(("new " + PAGES).getBytes());
            Message m = ch.read(Duration.ofSeconds(60)); // closing it would close the handle it carries
            vmo = m.handle(0, Vmo.class);
            mapping = vmo.map(Vmar.PERM_READ, 0, PAGES * P);
            window = mapping.segment();
        }

        @TearDown(Level.Invocation)
        public void closeMapping() {
            mapping.close();
            vmo.close();
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            ch.close();
            listener.close();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor();
            }
            Files.deleteIfExists(dir.resolve("server.log"));
            Files.deleteIfExists(dir);
        }
    }

    /** One byte read through a lazy mapping per page; the pager is another JVM (see {@link Remote}). */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int zx_first_touch_lazy(Remote r) {
        MemorySegment w = r.window;
        int sum = 0;
        for (int i = 0; i < PAGES; i++) {
            sum += w.get(ValueLayout.JAVA_BYTE, i * P);
        }
        return sum;
    }

    /** The C userfaultfd round trip the zx_ benchmarks compare with (report.py pairs them by name). */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int c_first_touch() throws Throwable {
        int rc = (int) ROUND.invokeExact(missing, (long) PAGES);
        CHarness.check("zxb_pager_round", rc);
        return rc;
    }

    /**
     * The C round trip with the handler in another process (a forked child): what a first touch of
     * {@link #zx_first_touch_lazy} costs at least, two processes' threads waking each other.
     */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int c_first_touch_cross_process() throws Throwable {
        int rc = (int) ROUND.invokeExact(crossProcess, (long) PAGES);
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
