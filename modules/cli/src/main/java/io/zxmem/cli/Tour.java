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

    /** @return nanoseconds since {@link #start()}; taken before the step's result text is built */
    private long lap() {
        return System.nanoTime() - t0;
    }

    /**
     * Prints one step. The time is an argument, measured by {@link #lap()} before the result string:
     * Java evaluates arguments left to right, and building that string the first time (string
     * concatenation bootstraps a method handle) costs more than many of the steps themselves.
     */
    private void step(String what, long ns, String result) {
        out.printf("  %-44s %-44s %9.1f us%n", what, result, ns / 1000.0);
    }

    private static String kib(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes >= 1024 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    /**
     * Mean nanoseconds of one create+map+unmap+close cycle. A method of its own: {@link #run} is too
     * large for HotSpot to compile, and a loop left in it would time the interpreter.
     */
    private static long cycleNanos(int cycles) {
        long start = System.nanoTime();
        for (int i = 0; i < cycles; i++) {
            try (Vmo v = Vmo.create(64 * 1024); Mapping mm = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 64 * 1024)) {
                if (mm.address() == 0) {
                    throw new ZxException(Status.ERR_INTERNAL, "mapped at 0");
                }
            }
        }
        return (System.nanoTime() - start) / cycles;
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
        out.println("  (times are first calls in a fresh JVM, class loading included; the last line is warm)");

        start();
        Vmo vmo = Vmo.create(3 * p + 100, Vmo.RESIZABLE);
        step("create(3 pages + 100 B, RESIZABLE)", lap(), "koid " + vmo.koid() + ", size " + vmo.size()
                + ", content " + vmo.contentSize());
        out.println("  " + " ".repeat(44) + " rights " + Rights.toString(vmo.rights()));

        byte[] hello = "hello, zircon".getBytes(StandardCharsets.UTF_8);
        start();
        vmo.write(hello, p);
        byte[] back = new byte[hello.length];
        vmo.read(back, p);
        step("write + read 13 B at page 1", lap(), "\"" + new String(back, StandardCharsets.UTF_8) + "\"");

        start();
        Mapping m = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, vmo.size());
        MemorySegment seg = m.segment();
        seg.set(ValueLayout.JAVA_LONG, 0, 0x0123456789ABCDEFL);
        byte[] eight = new byte[8];
        vmo.read(eight, 0);
        step("map RW, store a long, vmo.read sees it", lap(), String.format("0x%016x @ %s", MemorySegment.ofArray(eight)
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
        step("setSize(1 page) while mapped", lap(), cut);
        start();
        vmo.setSize(4 * p);
        step("setSize(4 pages) again", lap(), "page 1 reads " + seg.get(ValueLayout.JAVA_BYTE, p) + " (zero, not stale)");

        start();
        VmoInfo info = vmo.info();
        step("info()", lap(), "committed " + kib(info.committedBytes()) + ", mappings " + info.numMappings());
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
        step("duplicate(READ|MAP|DUPLICATE)", lap(), denied);
        ro.close();

        start();
        vmo.signal(0, Signals.USER_0);
        int seen = vmo.waitOne(Signals.USER_0, Duration.ofSeconds(1));
        step("signal(USER_0) + waitOne", lap(), "observed 0x" + Integer.toHexString(seen));
        vmo.close();

        long huge = 0xFFFF_FFFF_FFFC_0000L;
        start();
        try (Vmo sparse = Vmo.create(huge)) {
            long stride = Long.divideUnsigned(huge, 64);
            for (int i = 0; i < 64; i++) {
                sparse.write(new byte[] {(byte) i}, stride * i);
            }
            step("create 2^64-256KiB, write 64 spread bytes", lap(), "committed " + kib(sparse.info().committedBytes()));
        }

        start();
        try (Vmo d = Vmo.create(16 * p, Vmo.DISCARDABLE)) {
            d.lock();
            d.write(hello, 0);
            d.unlock();
            int n = Zx.reclaimDiscardable();
            LockState s = d.lock();
            d.read(back, 0);
            step("DISCARDABLE: unlock, reclaim, lock", lap(), n + " discarded; lock says " + (s.discarded()
                    ? "discarded " + kib(s.discardedSize()) : "kept") + ", byte 0 = " + back[0]);
            d.unlock();
        }

        start();
        try (Vmo parent = Vmo.create(16 * p)) {
            parent.write("version 1".getBytes(StandardCharsets.UTF_8), 0);
            try (Vmo snap = parent.createChild(Vmo.CHILD_SNAPSHOT, 0, 16 * p);
                 Vmo slice = parent.createChild(Vmo.CHILD_SLICE, 0, p)) {
                parent.write("version 2".getBytes(StandardCharsets.UTF_8), 0);
                byte[] v = new byte[9];
                snap.read(v, 0);
                String old = new String(v, StandardCharsets.UTF_8);
                slice.read(v, 0);
                step("snapshot + slice, then write the parent", lap(), "snapshot \"" + old + "\", slice \""
                        + new String(v, StandardCharsets.UTF_8) + "\"");
            }
        }

        // Warm the JIT first: the cold first thousand cycles measure the interpreter, not zxmem.
        int cycles = 2000;
        cycleNanos(cycles);
        long per = cycleNanos(cycles);
        step("create+map+unmap+close 64 KiB, warm", per, "mean of " + cycles + " cycles (JMH: ./zx bench)");
        out.println("live VMOs now: " + Zx.liveVmoCount() + ". More: ./zx help, README.md, bench/RESULTS.md");
        return 0;
    }
}
