package io.zxmem.cow;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.zxmem.LockState;
import io.zxmem.Mapping;
import io.zxmem.Rights;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.testing.LeakCheckExtension;
import io.zxmem.testing.ProcessResources;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of operation sequences on VMO trees, with two threads.
 *
 * <p>One input is one program. Its first byte sizes the second thread's script, the rest drives the
 * main thread, which interleaves three kinds of steps:
 * <ul>
 *   <li>a step of {@link ModelTest}'s reference model (create, write, read, the three kinds of child,
 *       map and touch through the mapping, unmap, setSize, zero, decommit, close), every choice of
 *       which comes from the input: the model checks every byte read and every ZERO_CHILDREN signal;</li>
 *   <li>a step the model does not see but that must not change what it predicts: duplicate and close,
 *       replace (dropping WRITE at most), the content-neutral op_range operations, protect with the same
 *       permissions, size();</li>
 *   <li>a step on a second, unmodelled set of VMOs that the other thread works on at the same time:
 *       create with any options, read and write (from arrays and segments), setSize, children of any
 *       kind and options, map with any options, touch, protect, unmap, op_range of any operation,
 *       duplicate, replace, close, info, signals, names, content size. Arguments are anything, in range
 *       or not.</li>
 * </ul>
 *
 * <p>The oracle: the JVM survives; a public method throws nothing but {@link ZxException} (mappings
 * are only touched inside the VMO and within their permissions, and never after their close, so the
 * documented IllegalStateException of a closed segment cannot be expected either); the model agrees;
 * nothing hangs (the second thread must finish within 30 s); and once everything is closed nothing is
 * left: no VMO, descriptor, mapping or zxmem thread (checked after every input, since a fuzzing run is
 * one long JUnit test).
 *
 * <p>{@code mvn verify} runs it in regression mode over {@code VmoTreeFuzzTestInputs/operationSequences}
 * (seeds and past findings). {@code ./zx fuzz} fuzzes for {@link #MAX_DURATION}; a finding is written
 * to that directory as {@code crash-<sha1>} and replays from then on.
 */
class VmoTreeFuzzTest {
    static final String MAX_DURATION = "5m";
    static final int P = (int) Zx.pageSize();
    static final int MAX_STEPS = 200;
    static final int MAX_SIDE_VMOS = 16;
    static final int MAX_SIDE_MAPS = 6;

    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void operationSequences(byte[] input) throws Throwable {
        run(input);
    }

    /** Runs one program; public for the plain regression tests that keep findings. */
    static void run(byte[] input) throws Throwable {
        ProcessResources before = ProcessResources.now();
        Script all = new Script(input);
        Script workerScript = all.split(all.u8() * 4);
        Side side = new Side();
        ModelTest.Run model = new ModelTest.Run(0, new ScriptRandom(all));
        Actor main = new Actor("main", all, side);
        Actor worker = new Actor("worker", workerScript, side);
        side.add(new SideVmo(Vmo.create(4L * P), true, "shared root"));
        Thread t = Thread.ofPlatform().name("fuzz-worker").start(worker::runAll);
        Throwable failure = null;
        try {
            for (int i = 0; i < MAX_STEPS && all.more(); i++) {
                int k = all.below(16);
                if (k < 7) {
                    modelStep(model);
                } else if (k < 10) {
                    neutralStep(model, all);
                } else {
                    main.step();
                }
            }
        } catch (Throwable x) {
            failure = x;
        }
        joinUninterruptibly(t, 30_000);
        if (t.isAlive()) {
            AssertionError hang = new AssertionError("hang: the second thread is still running after 30 s; its script:\n"
                    + String.join("\n", worker.log) + "\nmain:\n" + String.join("\n", main.log));
            hang.setStackTrace(t.getStackTrace());
            throw hang; // nothing can be closed safely while it runs
        }
        try {
            model.finish();
        } catch (Throwable x) {
            failure = failure != null ? failure : withLog("closing the model's VMOs", x, model.log);
        }
        main.closeAll();
        worker.closeAll();
        side.closeAll();
        if (Boolean.getBoolean("zx.fuzz.trace")) {
            // -Dzx.fuzz.trace=true: every operation of the program, to turn a finding into a plain test
            System.out.println("== input of " + input.length + " bytes\n-- model:\n" + String.join("\n", model.log)
                    + "\n-- main:\n" + String.join("\n", main.log) + "\n-- worker:\n" + String.join("\n", worker.log));
        }
        for (Actor a : List.of(main, worker)) {
            if (a.failure != null && failure == null) {
                failure = new AssertionError(a.failure.getMessage() + "\nother thread:\n"
                        + String.join("\n", (a == main ? worker : main).log), a.failure.getCause());
            }
        }
        if (failure != null) {
            throw failure;
        }
        LeakCheckExtension.assertNothingLeakedSince(before, "fuzz input of " + input.length + " bytes", 2000);
    }

    /** Waits for {@code t} even if interrupted (Jazzer may interrupt after a finding): cleanup must run. */
    private static void joinUninterruptibly(Thread t, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        boolean interrupted = false;
        while (t.isAlive() && System.nanoTime() < deadline) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static AssertionError withLog(String what, Throwable t, List<String> log) {
        StringBuilder b = new StringBuilder(what + " threw " + t + "; model operations:\n");
        for (int i = 0; i < log.size(); i++) {
            b.append(i).append(": ").append(log.get(i)).append('\n');
        }
        return new AssertionError(b.toString(), t);
    }

    private static void modelStep(ModelTest.Run model) {
        try {
            model.step();
        } catch (AssertionError e) {
            throw e; // the model's own message carries its log
        } catch (Throwable t) {
            // The model only asks what must succeed: any exception is a disagreement.
            throw withLog("a model step", t, model.log);
        }
    }

    /** Operations the model does not track and that must not change anything it predicts. */
    private static void neutralStep(ModelTest.Run model, Script s) {
        List<ModelTest.Node> open = model.open();
        if (open.isEmpty()) {
            return;
        }
        ModelTest.Node n = open.get(s.below(open.size()));
        int k = s.below(5);
        String what = "";
        try {
            switch (k) {
                case 0 -> {
                    what = "duplicate #" + n.id;
                    model.log.add(what);
                    try (Vmo d = n.handle.duplicate(Rights.SAME_RIGHTS)) {
                        if (d.rights() != n.rights || d.koid() != n.handle.koid()) {
                            throw new AssertionError(what + ": rights " + d.rights() + " koid " + d.koid());
                        }
                    }
                }
                case 1 -> {
                    // set_size needs WRITE: only a VMO the model never resizes may lose it.
                    int rights = s.bool() || n.resizable ? Rights.SAME_RIGHTS : n.rights & ~Rights.WRITE;
                    what = "replace #" + n.id + " rights=" + Integer.toHexString(rights);
                    model.log.add(what);
                    Vmo old = n.handle;
                    n.handle = old.replace(rights);
                    if (old.isValid()) {
                        throw new AssertionError(what + ": the replaced handle is still valid");
                    }
                    n.rights = n.handle.rights();
                }
                case 2 -> {
                    if (n.sizePages == 0) {
                        return;
                    }
                    int[] ops = {Vmo.OP_COMMIT, Vmo.OP_DONT_NEED, Vmo.OP_ALWAYS_NEED, Vmo.OP_PREFETCH, Vmo.OP_CACHE_SYNC,
                        Vmo.OP_CACHE_CLEAN};
                    int op = ops[s.below(ops.length)];
                    long off = (long) s.below(n.sizePages) * P;
                    long len = (long) (1 + s.below(n.sizePages - (int) (off / P))) * P;
                    what = "op_range " + op + " #" + n.id + " off=" + off + " len=" + len;
                    model.log.add(what);
                    try {
                        n.handle.opRange(op, off, len, MemorySegment.NULL);
                    } catch (ZxException e) {
                        // Which of these a VMO supports is the implementation's to say; content must not change.
                    }
                }
                case 3 -> {
                    if (model.maps.isEmpty()) {
                        return;
                    }
                    ModelTest.Map mp = model.maps.get(s.below(model.maps.size()));
                    int perms = Vmar.PERM_READ | (mp.writable ? Vmar.PERM_WRITE : 0);
                    what = "protect (same permissions) a mapping of #" + mp.node.id;
                    model.log.add(what);
                    mp.m.protect(perms);
                    if (mp.m.perms() != perms) {
                        throw new AssertionError(what + ": perms " + mp.m.perms());
                    }
                }
                default -> {
                    what = "size #" + n.id;
                    if (n.handle.size() != (long) n.sizePages * P) {
                        throw new AssertionError(what + ": " + n.handle.size() + " but the model has " + n.sizePages + " pages");
                    }
                }
            }
        } catch (AssertionError e) {
            throw withLog(e.getMessage(), e, model.log);
        } catch (Throwable t) {
            throw withLog(what, t, model.log);
        }
    }

    /** The input, front to back; past its end every value is 0, so every input is a whole program. */
    static final class Script {
        private final byte[] b;
        private int pos;

        Script(byte[] b) {
            this.b = b;
        }

        boolean more() {
            return pos < b.length;
        }

        int u8() {
            return pos < b.length ? b[pos++] & 0xff : 0;
        }

        int u32() {
            return u8() | u8() << 8 | u8() << 16 | u8() << 24;
        }

        /** A value in [0, n), from one byte when n is small (so that mutations of one byte change one choice). */
        int below(int n) {
            if (n <= 1) {
                return 0;
            }
            return n <= 256 ? u8() % n : Integer.remainderUnsigned(u32(), n);
        }

        boolean bool() {
            return (u8() & 1) != 0;
        }

        /** The next {@code n} bytes as a script of their own. */
        Script split(int n) {
            int end = Math.min(b.length, pos + n);
            Script s = new Script(Arrays.copyOfRange(b, pos, end));
            pos = end;
            return s;
        }
    }

    /** A Random whose bits come from the script: the reference model makes its choices from it. */
    static final class ScriptRandom extends Random {
        private static final long serialVersionUID = 1L;
        private final transient Script s;

        ScriptRandom(Script s) {
            super(0);
            this.s = s;
        }

        @Override
        protected int next(int bits) {
            return s.u32() >>> (32 - bits);
        }
    }

    /** A handle of the unmodelled world; {@code fixed}: its size can never change (safe to touch through a mapping). */
    record SideVmo(Vmo h, boolean fixed, String what) {}

    /** The VMOs both threads work on; a handle may be closed or replaced by one thread while the other uses it. */
    static final class Side {
        final CopyOnWriteArrayList<SideVmo> vmos = new CopyOnWriteArrayList<>();
        final List<Vmo> all = Collections.synchronizedList(new ArrayList<>());

        void add(SideVmo v) {
            vmos.add(v);
            all.add(v.h());
        }

        void closeAll() {
            synchronized (all) {
                for (Vmo v : all) {
                    v.close();
                }
                all.clear();
            }
            vmos.clear();
        }
    }

    /** A mapping owned by one thread: only that thread touches, protects or unmaps it. */
    static final class Owned {
        final Mapping m;
        final long touchable;
        int perms;
        final String what;

        Owned(Mapping m, long touchable, int perms, String what) {
            this.m = m;
            this.touchable = touchable;
            this.perms = perms;
            this.what = what;
        }
    }

    /** One thread's operations on the unmodelled VMOs. */
    static final class Actor {
        final String name;
        final Script s;
        final Side side;
        final List<Owned> maps = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        /** Buffers for op_range and read/write; confined to the actor's thread, made there on first use. */
        private Arena arena;
        AssertionError failure;

        Actor(String name, Script s, Side side) {
            this.name = name;
            this.s = s;
            this.side = side;
        }

        void runAll() {
            try {
                for (int i = 0; i < MAX_STEPS && s.more() && failure == null; i++) {
                    step();
                }
            } catch (Throwable t) {
                if (failure == null) {
                    failure = new AssertionError(name + " thread died: " + t, t);
                }
            } finally {
                closeArena();
            }
        }

        void step() {
            int op = s.below(16);
            String what = "op " + op;
            try {
                what = act(op);
            } catch (ZxException expected) {
                log.add(name + ": " + what + " -> " + expected.status());
                return;
            } catch (Throwable t) {
                log.add(name + ": " + what + " -> " + t);
                failure = new AssertionError(name + " thread: " + what + " threw " + t + " (not a ZxException); its operations:\n"
                        + String.join("\n", log), t);
                throw failure;
            }
            log.add(name + ": " + what);
        }

        private SideVmo pick() {
            List<SideVmo> l = List.copyOf(side.vmos);
            return l.isEmpty() ? null : l.get(s.below(l.size()));
        }

        /** An offset or length: mostly small multiples of the page, sometimes odd, sometimes huge. */
        private long amount() {
            return switch (s.below(8)) {
                case 0 -> s.below(3 * P);
                case 1 -> -1L - s.below(P); // near 2^64 as unsigned
                case 2 -> Vmo.MAX_SIZE + s.below(2) * P;
                case 3 -> (long) s.u32() << 12;
                default -> (long) s.below(20) * P;
            };
        }

        private int rights() {
            return switch (s.below(4)) {
                case 0 -> Rights.SAME_RIGHTS;
                case 1 -> Rights.DEFAULT_VMO & ~(s.bool() ? Rights.WRITE : Rights.MAP);
                case 2 -> Rights.DEFAULT_VMO | Rights.RESIZE;
                default -> s.u32();
            };
        }

        private String act(int op) {
            switch (op) {
                case 0 -> {
                    if (side.vmos.size() >= MAX_SIDE_VMOS) {
                        return "create skipped";
                    }
                    long size = s.below(4) == 0 ? amount() : (long) s.below(17) * P - (s.bool() ? s.below(P) : 0);
                    int[] opts = {0, Vmo.RESIZABLE, Vmo.DISCARDABLE, Vmo.UNBOUNDED, Vmo.RESIZABLE | Vmo.DISCARDABLE, 1 << s.below(32)};
                    int o = opts[s.below(opts.length)];
                    String what = "create size=" + Long.toUnsignedString(size) + " options=" + Integer.toHexString(o);
                    Vmo v = Vmo.create(size, o);
                    side.add(new SideVmo(v, o == 0, what));
                    return what;
                }
                case 1, 2 -> {
                    SideVmo v = pick();
                    if (v == null) {
                        return "no vmo";
                    }
                    long off = amount();
                    int len = s.below(2 * P + 1);
                    String what = (op == 1 ? "write" : "read") + " " + v.what() + " off=" + Long.toUnsignedString(off) + " len=" + len;
                    if (s.bool()) {
                        byte[] b = new byte[len];
                        Arrays.fill(b, (byte) s.u8());
                        if (op == 1) {
                            v.h().write(b, off);
                        } else {
                            v.h().read(b, off);
                        }
                    } else {
                        MemorySegment seg = segmentFor(len);
                        what += seg.isNative() ? " (through a mapping)" : " (heap segment)";
                        if (op == 1) {
                            v.h().write(seg, off);
                        } else {
                            v.h().read(seg, off);
                        }
                    }
                    return what;
                }
                case 3 -> {
                    SideVmo v = pick();
                    if (v == null) {
                        return "no vmo";
                    }
                    long size = s.bool() ? (long) s.below(20) * P - s.below(2) * s.below(P) : amount();
                    String what = "setSize " + v.what() + " " + Long.toUnsignedString(size);
                    v.h().setSize(size);
                    return what;
                }
                case 4 -> {
                    SideVmo v = pick();
                    if (v == null || side.vmos.size() >= MAX_SIDE_VMOS) {
                        return "no vmo";
                    }
                    int[] kinds = {Vmo.CHILD_SNAPSHOT, Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, Vmo.CHILD_SLICE, 1 << s.below(32)};
                    int o = kinds[s.below(kinds.length)];
                    int extra = s.below(4);
                    if (extra == 1) {
                        o |= Vmo.CHILD_RESIZABLE;
                    } else if (extra == 2) {
                        o |= Vmo.CHILD_NO_WRITE;
                    }
                    long off = s.below(3) == 0 ? amount() : (long) s.below(6) * P;
                    long size = s.below(3) == 0 ? amount() : (long) s.below(8) * P;
                    String what = "createChild of " + v.what() + " options=" + Integer.toHexString(o) + " off=" + Long.toUnsignedString(off)
                            + " size=" + Long.toUnsignedString(size);
                    Vmo c = v.h().createChild(o, off, size);
                    boolean fixed = (o & Vmo.CHILD_RESIZABLE) == 0 && ((o & Vmo.CHILD_SLICE) == 0 || v.fixed());
                    side.add(new SideVmo(c, fixed, "child(" + what + ")"));
                    return what;
                }
                case 5 -> {
                    SideVmo v = pick();
                    if (v == null || maps.size() >= MAX_SIDE_MAPS) {
                        return "no vmo";
                    }
                    int perms = s.below(8);
                    int o = perms | (s.bool() ? Vmar.ALLOW_FAULTS : 0) | (s.below(4) == 0 ? Vmar.REQUIRE_NON_RESIZABLE : 0)
                            | (s.below(8) == 0 ? 1 << s.below(32) : 0);
                    long off = s.below(3) == 0 ? amount() : (long) s.below(6) * P;
                    long len = s.below(3) == 0 ? amount() : (long) (1 + s.below(8)) * P;
                    String what = "map " + v.what() + " options=" + Integer.toHexString(o) + " off=" + Long.toUnsignedString(off)
                            + " len=" + Long.toUnsignedString(len);
                    long size = v.fixed() ? v.h().size() : 0;
                    Mapping m = v.h().map(o, off, len);
                    if (Long.compareUnsigned(off + m.length(), off) < 0) {
                        m.close();
                        throw new AssertionError(what + " succeeded although offset + length wraps past 2^64 (OUT_OF_RANGE)");
                    }
                    // Unsigned: a VMO may be near 2^64 bytes long.
                    long touchable = !v.fixed() || Long.compareUnsigned(off, size) >= 0 ? 0
                            : Long.compareUnsigned(size - off, m.length()) < 0 ? size - off : m.length();
                    maps.add(new Owned(m, touchable, perms, what));
                    return what;
                }
                case 6 -> {
                    if (maps.isEmpty()) {
                        return "no mapping";
                    }
                    Owned o = maps.get(s.below(maps.size()));
                    if (o.touchable == 0 || (o.perms & Vmar.PERM_READ) == 0) {
                        return "touch skipped";
                    }
                    long at = s.below((int) Math.min(o.touchable, Integer.MAX_VALUE));
                    int len = (int) Math.min(o.touchable - at, 1 + s.below(64));
                    MemorySegment seg = o.m.segment();
                    if ((o.perms & Vmar.PERM_WRITE) != 0 && s.bool()) {
                        seg.asSlice(at, len).fill((byte) s.u8());
                        return "touch (write) " + o.what + " at " + at + " len " + len;
                    }
                    byte[] b = new byte[len];
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, at, b, 0, len);
                    return "touch (read) " + o.what + " at " + at + " len " + len;
                }
                case 7 -> {
                    if (maps.isEmpty()) {
                        return "no mapping";
                    }
                    Owned o = maps.get(s.below(maps.size()));
                    int perms = s.below(4) == 0 ? s.u32() : s.below(8);
                    String what = "protect " + o.what + " perms=" + Integer.toHexString(perms);
                    o.m.protect(perms);
                    o.perms = perms;
                    return what;
                }
                case 8 -> {
                    if (maps.isEmpty()) {
                        return "no mapping";
                    }
                    Owned o = maps.remove(s.below(maps.size()));
                    o.m.close();
                    return "unmap " + o.what;
                }
                case 9 -> {
                    SideVmo v = pick();
                    if (v == null) {
                        return "no vmo";
                    }
                    int[] ops = {Vmo.OP_COMMIT, Vmo.OP_DECOMMIT, Vmo.OP_LOCK, Vmo.OP_UNLOCK, Vmo.OP_CACHE_SYNC, Vmo.OP_CACHE_INVALIDATE,
                        Vmo.OP_CACHE_CLEAN, Vmo.OP_CACHE_CLEAN_INVALIDATE, Vmo.OP_ZERO, Vmo.OP_TRY_LOCK, Vmo.OP_DONT_NEED,
                        Vmo.OP_ALWAYS_NEED, Vmo.OP_PREFETCH, s.u8()};
                    int opr = ops[s.below(ops.length)];
                    long off = s.below(3) == 0 ? amount() : (long) s.below(8) * P;
                    long len = s.below(3) == 0 ? amount() : (long) s.below(8) * P;
                    MemorySegment buf = switch (s.below(3)) {
                        case 0 -> MemorySegment.NULL;
                        case 1 -> arena().allocate(LockState.BYTES);
                        default -> arena().allocate(1 + s.below(LockState.BYTES));
                    };
                    String what = "op_range " + opr + " " + v.what() + " off=" + Long.toUnsignedString(off) + " len=" + Long.toUnsignedString(len)
                            + " buffer=" + buf.byteSize();
                    v.h().opRange(opr, off, len, buf);
                    return what;
                }
                case 10, 11 -> {
                    SideVmo v = pick();
                    if (v == null || side.vmos.size() >= MAX_SIDE_VMOS) {
                        return "no vmo";
                    }
                    int r = rights();
                    String what = (op == 10 ? "duplicate " : "replace ") + v.what() + " rights=" + Integer.toHexString(r);
                    Vmo d = op == 10 ? v.h().duplicate(r) : v.h().replace(r);
                    if (op == 11) {
                        side.vmos.remove(v);
                    }
                    side.add(new SideVmo(d, v.fixed(), v.what() + "'"));
                    return what;
                }
                case 12 -> {
                    SideVmo v = pick();
                    if (v == null) {
                        return "no vmo";
                    }
                    side.vmos.remove(v);
                    v.h().close();
                    return "close " + v.what();
                }
                default -> {
                    SideVmo v = pick();
                    if (v == null) {
                        return "no vmo";
                    }
                    Vmo h = v.h();
                    return switch (s.below(8)) {
                        case 0 -> "info " + h.info();
                        case 1 -> "signals " + h.signals();
                        case 2 -> {
                            byte[] n = new byte[s.below(40)];
                            Arrays.fill(n, (byte) ('a' + s.below(26)));
                            h.setName(new String(n, java.nio.charset.StandardCharsets.ISO_8859_1));
                            yield "setName " + n.length + " -> " + h.name();
                        }
                        case 3 -> "contentSize " + h.contentSize();
                        case 4 -> {
                            long cs = amount();
                            h.setContentSize(cs);
                            yield "setContentSize " + Long.toUnsignedString(cs);
                        }
                        case 5 -> "waitOne " + h.waitOne(s.u32(), Duration.ZERO);
                        case 6 -> "rights " + h.rights() + " koid " + h.koid() + " size " + h.size();
                        default -> {
                            h.setCachePolicy(s.below(6));
                            yield "setCachePolicy";
                        }
                    };
                }
            }
        }

        /** A segment to read into or write from: on the heap, off-heap, or inside one of this thread's mappings. */
        private MemorySegment segmentFor(int len) {
            int k = s.below(3);
            if (k == 2 && !maps.isEmpty()) {
                Owned o = maps.get(s.below(maps.size()));
                if (o.touchable >= len && (o.perms & Vmar.PERM_READ) != 0) {
                    MemorySegment seg = o.m.segment();
                    return seg.asSlice(s.below((int) (o.touchable - len) + 1), len);
                }
            }
            return k == 0 ? MemorySegment.ofArray(new byte[len]) : arena().allocate(Math.max(1, len)).asSlice(0, len);
        }

        void closeAll() {
            for (Owned o : maps) {
                o.m.close();
            }
            maps.clear();
            if (name.equals("main")) {
                closeArena();
            }
        }

        private Arena arena() {
            if (arena == null) {
                arena = Arena.ofConfined();
            }
            return arena;
        }

        private void closeArena() {
            if (arena != null) {
                arena.close();
                arena = null;
            }
        }
    }
}
