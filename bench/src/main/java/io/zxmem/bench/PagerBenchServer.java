package io.zxmem.bench;

import io.zxmem.Channel;
import io.zxmem.Message;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The pager process of {@link PagerBench}'s cross-process rows: connects to {@code args[0]}; each
 * message it reads ("new PAGES") gets a fresh pager VMO of that many pages in return; a Java pager
 * thread supplies every READ request as {@link PagerBench}'s in-process pager does
 * ({@link #serve}), from an aux VMO, or from memory when {@code args[1]} is {@code memory}. Exits when
 * the channel closes.
 */
public final class PagerBenchServer {
    private static volatile Vmo current;

    private PagerBenchServer() {}

    public static void main(String[] args) throws Exception {
        long p = Zx.pageSize();
        try (Channel ch = Channel.connect(Path.of(args[0])); Pager pager = Pager.create()) {
            boolean memory = args.length > 1 && args[1].equals("memory");
            Thread serve = new Thread(() -> serve(pager, () -> current, () -> false, memory), "bench-remote-pager");
            serve.setDaemon(true);
            serve.start();
            while (true) {
                Message m;
                try {
                    m = ch.read(Duration.ofSeconds(600));
                } catch (ZxException e) {
                    return; // the benchmark JVM is gone
                }
                long pages = Long.parseLong(new String(m.data()).split(" ")[1]);
                Vmo old = current;
                if (old != null) {
                    // Its receiver closed it before asking for the next one. Closed before the answer,
                    // not after: its teardown (link, direct connection) would otherwise run during the
                    // next invocation's timed touches, on the same vCPU when the JVMs are pinned.
                    old.close();
                }
                Vmo vmo = pager.createVmo(0, pages * p);
                current = vmo;
                ch.write(new byte[0], vmo.duplicate(Rights.SAME_RIGHTS));
            }
        }
    }

    /**
     * A pager thread: supplies every READ request for {@code target}'s current VMO, page by page, until
     * {@code stop} or the pager closes. Each page's bytes go through a reused aux VMO (Zircon's way: a
     * write into aux, then {@code supplyPages} moves them) or, with {@code memory}, straight from a page
     * of native memory ({@link Pager#supplyPages(Vmo, long, MemorySegment)}, as C's handler copies from
     * a buffer).
     */
    static void serve(Pager pager, java.util.function.Supplier<Vmo> target, java.util.function.BooleanSupplier stop,
            boolean memory) {
        byte[] page = new byte[(int) Zx.pageSize()];
        java.util.Arrays.fill(page, (byte) 0x5a);
        MemorySegment buffer = Arena.global().allocate(Zx.pageSize(), Zx.pageSize()).fill((byte) 0x5a);
        try (Vmo aux = Vmo.create(Zx.pageSize())) {
            while (!stop.getAsBoolean()) {
                PageRequest r;
                try {
                    r = pager.next(Duration.ofMillis(100));
                } catch (ZxException e) {
                    if (e.status() == Status.ERR_TIMED_OUT) {
                        continue;
                    }
                    return;
                }
                Vmo v = target.get();
                if (r.command() != PageRequest.READ || v == null || !r.isFor(v)) {
                    continue; // a request of an earlier invocation's VMO, closed meanwhile
                }
                try {
                    for (long at = r.offset(); at < r.offset() + r.length(); at += Zx.pageSize()) {
                        if (memory) {
                            pager.supplyPages(v, at, buffer);
                        } else {
                            aux.write(page, 0);
                            pager.supplyPages(v, at, Zx.pageSize(), aux, 0);
                        }
                    }
                } catch (ZxException e) {
                    // the VMO closed while we supplied it: its reader is gone too
                }
            }
        }
    }
}
