package io.zxmem.cli;

import io.zxmem.LockState;
import io.zxmem.Mapping;
import io.zxmem.Rights;
import io.zxmem.Signals;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.VmoInfo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The default job of {@code zx}: creates, writes, maps, resizes and inspects VMOs on this machine,
 * printing one line per step with what it did and how long it took.
 */
final class Tour implements Command {
    private PrintStream out;
    private long t0;

    @Override
    public String name() {
        return "tour";
    }

    @Override
    public String synopsis() {
        return "";
    }

    @Override
    public String summary() {
        return "create, write, map, resize, discard and inspect VMOs, printing each step (the default)";
    }

    private void start() {
        t0 = System.nanoTime();
    }

    private void step(String what, String result) {
        long ns = System.nanoTime() - t0;
        out.printf("  %-44s %-44s %9.1f us%n", what, result, ns / 1000.0);
    }

    private static String kib(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes >= 1024 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        if (args.length > 0) {
            throw new UsageException("takes no arguments, got '" + args[0] + "'");
        }
        this.out = out;
        long p = Zx.pageSize();
        out.println("zxmem tour: Zircon VMOs on Linux " + System.getProperty("os.version") + ", Java "
                + Runtime.version() + ", page size " + p);

        start();
        Vmo vmo = Vmo.create(3 * p + 100, Vmo.RESIZABLE);
        step("create(3 pages + 100 B, RESIZABLE)", "koid " + vmo.koid() + ", size " + vmo.size()
                + ", content " + vmo.contentSize());
        out.println("  " + " ".repeat(44) + " rights " + Rights.toString(vmo.rights()));

        byte[] hello = "hello, zircon".getBytes(StandardCharsets.UTF_8);
        start();
        vmo.write(hello, p);
        byte[] back = new byte[hello.length];
        vmo.read(back, p);
        step("write + read 13 B at page 1", "\"" + new String(back, StandardCharsets.UTF_8) + "\"");

        start();
        Mapping m = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, vmo.size());
        MemorySegment seg = m.segment();
        seg.set(ValueLayout.JAVA_LONG, 0, 0x0123456789ABCDEFL);
        byte[] eight = new byte[8];
        vmo.read(eight, 0);
        step("map RW, store a long, vmo.read sees it", String.format("0x%016x @ %s", MemorySegment.ofArray(eight)
                .get(ValueLayout.JAVA_LONG_UNALIGNED, 0), Long.toHexString(m.address())));

        start();
        vmo.setSize(1 * p);
        String cut;
        try {
            seg.get(ValueLayout.JAVA_BYTE, 2 * p);
            cut = "read beyond the end did not fault";
        } catch (InternalError e) {
            cut = "touching the cut-off page: InternalError";
        }
        step("setSize(1 page) while mapped", cut);
        start();
        vmo.setSize(4 * p);
        step("setSize(4 pages) again", "page 1 reads " + seg.get(ValueLayout.JAVA_BYTE, p) + " (zero, not stale)");

        start();
        VmoInfo info = vmo.info();
        step("info()", "committed " + kib(info.committedBytes()) + ", mappings " + info.numMappings());
        m.close();
        String closed;
        try {
            seg.get(ValueLayout.JAVA_BYTE, 0);
            closed = "still readable?!";
        } catch (IllegalStateException e) {
            closed = "IllegalStateException";
        }
        out.printf("  %-44s %s%n", "touch the segment after unmap", closed);

        start();
        Vmo ro = vmo.duplicate(Rights.READ | Rights.MAP | Rights.DUPLICATE);
        String denied;
        try {
            ro.write(hello, 0);
            denied = "write allowed?!";
        } catch (ZxException e) {
            denied = e.status() + " on write";
        }
        step("duplicate(READ|MAP|DUPLICATE)", denied);
        ro.close();

        start();
        vmo.signal(0, Signals.USER_0);
        int seen = vmo.waitOne(Signals.USER_0, Duration.ofSeconds(1));
        step("signal(USER_0) + waitOne", "observed 0x" + Integer.toHexString(seen));
        vmo.close();

        long huge = 0xFFFF_FFFF_FFFC_0000L;
        start();
        try (Vmo sparse = Vmo.create(huge)) {
            long stride = Long.divideUnsigned(huge, 64);
            for (int i = 0; i < 64; i++) {
                sparse.write(new byte[] {(byte) i}, stride * i);
            }
            step("create 2^64-256KiB, write 64 spread bytes", "committed " + kib(sparse.info().committedBytes()));
        }

        start();
        try (Vmo d = Vmo.create(16 * p, Vmo.DISCARDABLE)) {
            d.lock();
            d.write(hello, 0);
            d.unlock();
            int n = Zx.reclaimDiscardable();
            LockState s = d.lock();
            d.read(back, 0);
            step("DISCARDABLE: unlock, reclaim, lock", n + " discarded; lock says " + (s.discarded()
                    ? "discarded " + kib(s.discardedSize()) : "kept") + ", byte 0 = " + back[0]);
            d.unlock();
        }

        start();
        int cycles = 1000;
        for (int i = 0; i < cycles; i++) {
            try (Vmo v = Vmo.create(64 * 1024); Mapping mm = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 64 * 1024)) {
                if (mm.address() == 0) {
                    throw new ZxException(Status.ERR_INTERNAL, "mapped at 0");
                }
            }
        }
        long per = (System.nanoTime() - t0) / cycles;
        t0 = System.nanoTime() - per;
        step(cycles + "x create+map+unmap+close 64 KiB", "per cycle (cold JIT; see ./zx bench)");
        out.println("live VMOs now: " + Zx.liveVmoCount() + ". More: ./zx help, README.md, bench/RESULTS.md");
        return 0;
    }
}
