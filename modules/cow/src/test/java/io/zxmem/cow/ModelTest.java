package io.zxmem.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zxmem.Mapping;
import io.zxmem.Rights;
import io.zxmem.Signals;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test: seeded random sequences of create, write, read, snapshot, at-least-on-write,
 * slice, map (and write and read through the mapping), setSize, zero, decommit and close in random
 * order, run against the real VMOs and against a plain-Java reference model of VMO trees.
 *
 * <p>The model is exact except where Zircon allows a choice: a page of an at-least-on-write child
 * that the child never wrote may show any value its source page had since the child was made (the
 * model keeps that set of versions per page). When such a page is written, or copied into a
 * snapshot, the model adopts the value the real VMO shows at that moment, after checking that it is
 * one of the allowed versions: from then on the page is exact.
 */
class ModelTest {
    static final int OPS = Integer.getInteger("zx.model.ops", 2000);
    static final int P = (int) Zx.pageSize();
    static final int MAX_LIVE = 12;

    static long[] seeds() {
        if (System.getProperty("zx.model.seed") != null) {
            return new long[] {Long.getLong("zx.model.seed")};
        }
        int n = Integer.getInteger("zx.model.seeds", 20);
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = 0x5EED_0000L + i * 7919L;
        }
        return s;
    }

    static long[] eagerSeeds() {
        return new long[] {0xEA6E_0001L, 0xEA6E_0002L, 0xEA6E_0003L, 0xEA6E_0004L, 0xEA6E_0005L};
    }

    /** The same sequences with every child copied eagerly: the fallback must be exact too. */
    @ParameterizedTest
    @MethodSource("eagerSeeds")
    void randomTreesMatchTheModelOnTheCopyPath(long seed) {
        System.setProperty("zxmem.cow.eager", "true");
        try {
            randomTreesMatchTheModel(seed);
        } finally {
            System.clearProperty("zxmem.cow.eager");
        }
    }

    static long[] mappedSeeds() {
        int n = Integer.getInteger("zx.model.mappedSeeds", 10);
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = 0x3A9_0000L + i * 104729L;
        }
        return s;
    }

    /**
     * The same operations, and before half of the snapshot and at-least-on-write cuts the source gets
     * mapped first: those children take the userfaultfd write-protect path (a mapped parent), and the
     * mappings' later writes must fault into the native handler and never reach the children.
     */
    @ParameterizedTest
    @MethodSource("mappedSeeds")
    void randomTreesMatchTheModelWithMappedParents(long seed) {
        long before = CutCounts.lazy();
        Run run = new Run(seed);
        run.mapBeforeCut = true;
        run.noise = true;
        run(run);
        assertTrue(CutCounts.lazy() > before, "no child took the userfaultfd path");
    }

    /** A VMO in the model. Slices have no pages: they resolve to their parent's. */
    static final class Node {
        final int id;
        final Node parent;
        final boolean slice;
        final boolean cow;
        final long sliceOffPages;
        final boolean resizable;
        int sizePages;
        byte[][] pages; // null entry = zero
        List<byte[]>[] versions; // non-null entry = the page is not pinned: any of these
        final List<Follower> followers = new ArrayList<>();
        Vmo handle; // null once closed
        int rights;
        final List<Map> maps = new ArrayList<>();
        int aliveChildren;
        int aliveCowChildren; // counted on the base (non-slice) VMO the child's pages came from
        Node cowBase;
        boolean alive = true;

        @SuppressWarnings("unchecked")
        Node(int id, Node parent, boolean slice, boolean cow, long sliceOffPages, boolean resizable, int sizePages) {
            this.id = id;
            this.parent = parent;
            this.slice = slice;
            this.cow = cow;
            this.sliceOffPages = sliceOffPages;
            this.resizable = resizable;
            this.sizePages = sizePages;
            if (!slice) {
                pages = new byte[sizePages][];
                versions = new List[sizePages];
            }
        }

        void grow(int n) {
            if (n > pages.length) {
                pages = Arrays.copyOf(pages, n);
                versions = Arrays.copyOf(versions, n);
            }
        }
    }

    record Follower(Node child, long offPages) {}

    static final class Map {
        final Node node;
        final Mapping m;
        final long offPages;
        final long lenPages;
        final boolean writable;

        Map(Node node, Mapping m, long offPages, long lenPages, boolean writable) {
            this.node = node;
            this.m = m;
            this.offPages = offPages;
            this.lenPages = lenPages;
            this.writable = writable;
        }
    }

    static final class Run {
        final long seed;
        /** Map the source before some copy-on-write cuts (see randomTreesMatchTheModelWithMappedParents). */
        boolean mapBeforeCut;
        /**
         * A thread hammers every writable mapping with atomic adds of 0 (writes that change nothing,
         * so the model stays exact) while the operations, cuts included, run; and a forked child
         * process lives through the first seconds.
         */
        boolean noise;
        final java.util.concurrent.CopyOnWriteArrayList<java.lang.foreign.MemorySegment> noisy = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicBoolean stopNoise = new java.util.concurrent.atomic.AtomicBoolean();
        Thread noiseThread;
        int forked;

        void startNoise() {
            forked = Zxuffd.debugForkSleep(1500);
            java.lang.invoke.VarHandle vh = java.lang.foreign.ValueLayout.JAVA_INT.varHandle();
            Random nr = new Random(seed);
            noiseThread = new Thread(() -> {
                while (!stopNoise.get()) {
                    java.lang.foreign.MemorySegment[] segs = noisy.toArray(new java.lang.foreign.MemorySegment[0]);
                    if (segs.length == 0) {
                        Thread.onSpinWait();
                        continue;
                    }
                    java.lang.foreign.MemorySegment sg = segs[nr.nextInt(segs.length)];
                    try {
                        long off = (nr.nextLong(Math.max(1, sg.byteSize() / 4))) * 4;
                        vh.getAndAdd(sg, off, 0);
                    } catch (Throwable gone) {
                        // unmapped meanwhile, or past a shrunk end (SIGBUS): nothing written
                    }
                }
            }, "model-noise");
            noiseThread.setDaemon(true);
            noiseThread.start();
        }
        final Random r;
        final List<Node> nodes = new ArrayList<>();
        final List<Map> maps = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        int nextId;

        Run(long seed) {
            this(seed, new Random(seed));
        }

        /** A run whose every choice comes from {@code r}: the fuzzer (modules/fuzz) feeds its input here. */
        Run(long seed, Random r) {
            this.seed = seed;
            this.r = r;
        }

        void fail(String what) {
            StringBuilder sb = new StringBuilder("model divergence, seed " + seed + ": " + what + "\noperations:\n");
            for (int i = 0; i < log.size(); i++) {
                sb.append(i).append(": ").append(log.get(i)).append('\n');
            }
            org.junit.jupiter.api.Assertions.fail(sb.toString());
        }

        List<Node> open() {
            List<Node> l = new ArrayList<>();
            for (Node n : nodes) {
                if (n.handle != null) {
                    l.add(n);
                }
            }
            return l;
        }

        // ---- the model's pages ----

        record Loc(Node base, int page) {}

        Loc resolve(Node n, long page) {
            while (n.slice) {
                page += n.sliceOffPages;
                n = n.parent;
            }
            return new Loc(n, (int) page);
        }

        byte[] exact(Node base, int page) {
            byte[] p = base.pages[page];
            return p == null ? new byte[P] : p;
        }

        /** Checks that {@code actual} (the real page now) is allowed, and pins the page to it. */
        void pin(Node base, int page, byte[] actual, String ctx) {
            if (base.versions[page] == null) {
                return;
            }
            allowed(base, page, actual, ctx);
            base.pages[page] = actual.clone();
            base.versions[page] = null;
        }

        /** Checks that {@code actual} is one of the versions an unpinned page may show. */
        void allowed(Node base, int page, byte[] actual, String ctx) {
            List<byte[]> v = base.versions[page];
            boolean ok = false;
            for (byte[] c : v) {
                if (Arrays.equals(c, actual)) {
                    ok = true;
                    break;
                }
            }
            if (!ok) {
                fail(ctx + ": page " + page + " of VMO " + base.id + " shows a value it never had a right to");
            }
        }

        void propagate(Node base, int page, byte[] content) {
            for (Follower f : base.followers) {
                long i = page - f.offPages;
                if (i < 0 || i >= f.child.sizePages || f.child.versions[(int) i] == null) {
                    continue;
                }
                f.child.versions[(int) i].add(content.clone());
                propagate(f.child, (int) i, content);
            }
        }

        /** Applies a write of {@code data} at byte {@code off} of {@code n}; {@code peek} reads the real page {@code i} of n. */
        void modelWrite(Node n, long off, byte[] data, java.util.function.LongFunction<byte[]> peek, String ctx) {
            long first = off / P;
            long last = (off + data.length - 1) / P;
            for (long pg = first; pg <= last; pg++) {
                Loc l = resolve(n, pg);
                if (l.base.versions[l.page] != null) {
                    pin(l.base, l.page, peek.apply(pg), ctx);
                }
                byte[] content = exact(l.base, l.page).clone();
                long from = Math.max(off, pg * P);
                long to = Math.min(off + data.length, (pg + 1) * P);
                System.arraycopy(data, (int) (from - off), content, (int) (from - pg * P), (int) (to - from));
                l.base.pages[l.page] = content;
                propagate(l.base, l.page, content);
            }
        }

        void check(Node n, long off, byte[] actual, String ctx) {
            for (int i = 0; i < actual.length; ) {
                long at = off + i;
                long pg = at / P;
                int inPage = (int) (at % P);
                int len = (int) Math.min(actual.length - i, P - inPage);
                Loc l = resolve(n, pg);
                List<byte[]> v = l.base.versions[l.page];
                if (v == null) {
                    byte[] e = exact(l.base, l.page);
                    if (!Arrays.equals(e, inPage, inPage + len, actual, i, i + len)) {
                        fail(ctx + ": VMO " + n.id + " byte " + at + ": expected " + firstDiff(e, inPage, actual, i, len));
                    }
                } else {
                    boolean ok = false;
                    for (byte[] c : v) {
                        if (Arrays.equals(c, inPage, inPage + len, actual, i, i + len)) {
                            ok = true;
                            break;
                        }
                    }
                    if (!ok) {
                        fail(ctx + ": VMO " + n.id + " page " + pg + " matches none of " + v.size() + " allowed versions");
                    }
                }
                i += len;
            }
        }

        static String firstDiff(byte[] e, int eo, byte[] a, int ao, int len) {
            for (int k = 0; k < len; k++) {
                if (e[eo + k] != a[ao + k]) {
                    return e[eo + k] + " but read " + a[ao + k] + " (at +" + k + ")";
                }
            }
            return "?";
        }

        // ---- liveness and ZERO_CHILDREN ----

        void maybeDie(Node n) {
            if (!n.alive || n.handle != null || !n.maps.isEmpty() || n.aliveChildren > 0) {
                return;
            }
            n.alive = false;
            if (n.parent != null) {
                n.parent.aliveChildren--;
                if (n.cow) {
                    n.cowBase.aliveCowChildren--;
                }
                maybeDie(n.parent);
            }
        }

        void checkSignals() {
            for (Node n : open()) {
                boolean zero = (n.handle.signals() & Signals.VMO_ZERO_CHILDREN) != 0;
                if (zero != (n.aliveChildren == 0)) {
                    fail("VMO " + n.id + " ZERO_CHILDREN is " + zero + " with " + n.aliveChildren + " live children");
                }
            }
        }

        // ---- operations ----

        byte[] randomBytes(int len) {
            byte[] b = new byte[len];
            r.nextBytes(b);
            return b;
        }

        void step() {
            List<Node> open = open();
            int op = r.nextInt(100);
            if (open.isEmpty() || (op < 6 && open.size() < MAX_LIVE)) {
                create();
            } else if (op < 30) {
                write(pick(open));
            } else if (op < 45) {
                read(pick(open));
            } else if (op < 53) {
                child(pick(open), Vmo.CHILD_SNAPSHOT, open.size());
            } else if (op < 61) {
                child(pick(open), Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE, open.size());
            } else if (op < 65) {
                child(pick(open), Vmo.CHILD_SLICE, open.size());
            } else if (op < 70) {
                map(pick(open));
            } else if (op < 78) {
                mapAccess();
            } else if (op < 81) {
                unmap();
            } else if (op < 86) {
                setSize(pick(open));
            } else if (op < 90) {
                zero(pick(open));
            } else if (op < 92) {
                decommit(pick(open));
            } else {
                close(pick(open));
            }
            checkSignals();
        }

        <T> T pick(List<T> l) {
            return l.get(r.nextInt(l.size()));
        }

        void create() {
            int pages = 1 + r.nextInt(12);
            boolean resizable = r.nextBoolean();
            log.add("create #" + nextId + " pages=" + pages + " resizable=" + resizable);
            Node n = new Node(nextId++, null, false, false, 0, resizable, pages);
            n.handle = Vmo.create((long) pages * P, resizable ? Vmo.RESIZABLE : 0);
            n.rights = n.handle.rights();
            nodes.add(n);
        }

        /** Whether a write-like op on {@code n} makes sense: it has bytes and the WRITE right. */
        boolean writable(Node n) {
            return n.sizePages != 0 && (n.rights & Rights.WRITE) != 0;
        }

        long sizeBytes(Node n) {
            return (long) n.sizePages * P;
        }

        void write(Node n) {
            if (!writable(n)) {
                return;
            }
            long size = sizeBytes(n);
            long off = r.nextLong(size);
            int len = (int) Math.min(size - off, 1 + r.nextInt(r.nextBoolean() ? 64 : 2 * P));
            byte[] data = randomBytes(len);
            log.add("write #" + n.id + " off=" + off + " len=" + len);
            modelWrite(n, off, data, pg -> realPage(n.handle, pg), "write");
            n.handle.write(data, off);
        }

        byte[] realPage(Vmo h, long pg) {
            byte[] b = new byte[P];
            h.read(b, pg * P);
            return b;
        }

        void read(Node n) {
            if (n.sizePages == 0) {
                return;
            }
            long size = sizeBytes(n);
            long off = r.nextLong(size);
            int len = (int) Math.min(size - off, 1 + r.nextInt(3 * P));
            log.add("read #" + n.id + " off=" + off + " len=" + len);
            byte[] b = new byte[len];
            n.handle.read(b, off);
            check(n, off, b, "read");
        }

        void child(Node n, int kind, int liveCount) {
            if (liveCount >= MAX_LIVE) {
                return;
            }
            boolean slice = kind == Vmo.CHILD_SLICE;
            long offPages;
            int sizePages;
            boolean resizable = false;
            boolean noWrite = r.nextInt(6) == 0;
            if (slice) {
                if (n.sizePages == 0) {
                    return;
                }
                if (n.resizable) {
                    expectStatus(Status.ERR_NOT_SUPPORTED, () -> n.handle.createChild(kind, 0, P));
                    return;
                }
                offPages = r.nextInt(n.sizePages);
                sizePages = 1 + r.nextInt(n.sizePages - (int) offPages);
            } else {
                offPages = r.nextInt(n.sizePages + 2);
                sizePages = 1 + r.nextInt(12);
                resizable = !noWrite && r.nextBoolean();
            }
            if (!slice && mapBeforeCut && n.sizePages > 0 && r.nextBoolean()) {
                map(n);
            }
            int opts = kind | (resizable ? Vmo.CHILD_RESIZABLE : 0) | (noWrite ? Vmo.CHILD_NO_WRITE : 0);
            log.add((slice ? "slice" : kind == Vmo.CHILD_SNAPSHOT ? "snapshot" : "at-least-on-write") + " #" + nextId
                    + " of #" + n.id + " offPages=" + offPages + " pages=" + sizePages + " resizable=" + resizable
                    + " noWrite=" + noWrite);
            Node c = new Node(nextId++, n, slice, !slice, offPages, resizable, sizePages);
            if (!slice) {
                // Where the child's content comes from, and how much of it is visible.
                long limitPages = n.sizePages;
                Node base = n;
                long baseOff = offPages;
                while (base.slice) {
                    baseOff += base.sliceOffPages;
                    base = base.parent;
                }
                long visibleFrom = baseOff;
                long visibleTo = baseOff - offPages + limitPages;
                c.cowBase = base;
                for (int i = 0; i < sizePages; i++) {
                    long src = visibleFrom + i;
                    if (src >= visibleTo || src >= base.sizePages) {
                        continue; // zero, pinned
                    }
                    if (kind == Vmo.CHILD_SNAPSHOT) {
                        if (base.versions[(int) src] != null) {
                            // The source (an at-least-on-write child) may go on changing; the snapshot
                            // is a fixed copy of what it shows now, which must be an allowed version.
                            byte[] now = realPage(n.handle, offPages + i);
                            allowed(base, (int) src, now, "snapshot source");
                            c.pages[i] = now;
                            continue;
                        }
                        c.pages[i] = base.pages[(int) src] == null ? null : base.pages[(int) src].clone();
                    } else if (base.versions[(int) src] != null) {
                        c.versions[i] = new ArrayList<>();
                        for (byte[] v : base.versions[(int) src]) {
                            c.versions[i].add(v.clone());
                        }
                    } else {
                        c.pages[i] = base.pages[(int) src] == null ? null : base.pages[(int) src].clone();
                        c.versions[i] = new ArrayList<>();
                        c.versions[i].add(exact(base, (int) src).clone());
                    }
                }
                if (kind == Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE) {
                    base.followers.add(new Follower(c, visibleFrom));
                }
                base.aliveCowChildren++;
            }
            c.handle = n.handle.createChild(opts, offPages * P, (long) sizePages * P);
            c.rights = c.handle.rights();
            n.aliveChildren++;
            nodes.add(c);
        }

        void map(Node n) {
            if (n.sizePages == 0) {
                return;
            }
            long off = r.nextInt(n.sizePages);
            long len = 1 + r.nextInt((int) (n.sizePages - off) + 1); // may extend one page past the end
            boolean writable = (n.rights & Rights.WRITE) != 0 && r.nextInt(4) != 0;
            log.add("map #" + n.id + " offPages=" + off + " pages=" + len + " writable=" + writable);
            Mapping m = n.handle.map(Vmar.PERM_READ | (writable ? Vmar.PERM_WRITE : 0), off * P, len * P);
            Map mp = new Map(n, m, off, len, writable);
            n.maps.add(mp);
            maps.add(mp);
            if (noise && writable) {
                noisy.add(m.segment());
            }
        }

        void mapAccess() {
            if (maps.isEmpty()) {
                return;
            }
            Map mp = pick(maps);
            Node n = mp.node;
            long endPages = Math.min(mp.offPages + mp.lenPages, n.sizePages);
            if (endPages <= mp.offPages) {
                return; // the VMO shrank below the window
            }
            long winBytes = (endPages - mp.offPages) * P;
            long at = r.nextLong(winBytes);
            int len = (int) Math.min(winBytes - at, 1 + r.nextInt(2 * P));
            MemorySegment seg = mp.m.segment();
            if (mp.writable && r.nextBoolean()) {
                byte[] data = randomBytes(len);
                log.add("map-write #" + n.id + " vmoOff=" + (mp.offPages * P + at) + " len=" + len);
                modelWrite(n, mp.offPages * P + at, data, pg -> {
                    byte[] b = new byte[P];
                    MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, (pg - mp.offPages) * P, b, 0, P);
                    return b;
                }, "map-write");
                MemorySegment.copy(data, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, at, len);
            } else {
                log.add("map-read #" + n.id + " vmoOff=" + (mp.offPages * P + at) + " len=" + len);
                byte[] b = new byte[len];
                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, at, b, 0, len);
                check(n, mp.offPages * P + at, b, "map-read");
                if (n.handle != null) {
                    // Coherence: read() shows the same bytes as the mapping.
                    byte[] v = new byte[len];
                    n.handle.read(v, mp.offPages * P + at);
                    if (!Arrays.equals(b, v)) {
                        fail("VMO " + n.id + ": read() and its mapping disagree at " + (mp.offPages * P + at));
                    }
                }
            }
        }

        void unmap() {
            if (maps.isEmpty()) {
                return;
            }
            Map mp = maps.remove(r.nextInt(maps.size()));
            log.add("unmap #" + mp.node.id);
            noisy.remove(mp.m.segment());
            mp.m.close();
            mp.node.maps.remove(mp);
            maybeDie(mp.node);
        }

        void setSize(Node n) {
            if (n.slice || !n.resizable) {
                return;
            }
            int pages = r.nextInt(14);
            long bytes = (long) pages * P;
            if (pages > 0 && r.nextBoolean()) {
                bytes -= 1 + r.nextInt(P - 1);
            }
            log.add("setSize #" + n.id + " bytes=" + bytes);
            int old = n.sizePages;
            if (bytes % P != 0 && pages <= old) {
                // The tail of the last page is zeroed: a write of zeros, as far as the model goes.
                long tail = pages * (long) P - bytes;
                modelWrite(n, bytes, new byte[(int) tail], pg -> realPage(n.handle, pg), "setSize tail");
            }
            n.grow(Math.max(pages, old));
            for (int i = Math.min(pages, old); i < Math.max(pages, old); i++) {
                n.pages[i] = null;
                n.versions[i] = null;
                propagate(n, i, new byte[P]);
            }
            n.sizePages = pages;
            n.handle.setSize(bytes);
        }

        void zero(Node n) {
            if (!writable(n)) {
                return;
            }
            long size = sizeBytes(n);
            long off = r.nextLong(size);
            int len = (int) Math.min(size - off, 1 + r.nextInt(3 * P));
            log.add("zero #" + n.id + " off=" + off + " len=" + len);
            modelWrite(n, off, new byte[len], pg -> realPage(n.handle, pg), "zero");
            n.handle.zero(off, len);
        }

        void decommit(Node n) {
            if (!writable(n)) {
                return;
            }
            long off = r.nextInt(n.sizePages);
            long len = 1 + r.nextInt((int) (n.sizePages - off));
            Loc l = resolve(n, 0);
            log.add("decommit #" + n.id + " offPages=" + off + " pages=" + len);
            if (l.base.cow || l.base.aliveCowChildren > 0) {
                expectStatus(Status.ERR_NOT_SUPPORTED, () -> n.handle.decommit(off * P, len * P));
                return;
            }
            modelWrite(n, off * P, new byte[(int) len * P], pg -> realPage(n.handle, pg), "decommit");
            n.handle.decommit(off * P, len * P);
        }

        void close(Node n) {
            log.add("close #" + n.id);
            n.handle.close();
            n.handle = null;
            maybeDie(n);
        }

        void expectStatus(Status s, Runnable r) {
            try {
                r.run();
            } catch (ZxException e) {
                if (e.status() != s) {
                    fail("expected " + s + " but got " + e);
                }
                return;
            }
            fail("expected " + s + " but the call succeeded");
        }

        void finish() {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, r);
            if (noiseThread != null) {
                stopNoise.set(true);
                try {
                    noiseThread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (forked > 0) {
                    assertEquals(0, Zxuffd.debugReap(forked), "the forked child exited cleanly");
                }
            }
            for (Map mp : new ArrayList<>(maps)) {
                mp.m.close();
            }
            for (int i : order) {
                Node n = nodes.get(i);
                if (n.handle != null) {
                    n.handle.close();
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomTreesMatchTheModel(long seed) {
        run(new Run(seed));
    }

    private static void run(Run run) {
        long seed = run.seed;
        try {
            if (run.noise) {
                run.startNoise();
            }
            for (int i = 0; i < OPS; i++) {
                run.step();
            }
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            run.log.add("!! " + t);
            StringBuilder sb = new StringBuilder("seed " + seed + " threw; operations:\n");
            for (int i = 0; i < run.log.size(); i++) {
                sb.append(i).append(": ").append(run.log.get(i)).append('\n');
            }
            fail(sb.toString(), t);
        } finally {
            run.finish();
            System.out.println("seed " + seed + ": children cut lazily " + CutCounts.lazy() + ", copied " + CutCounts.eager()
                    + ", faults served " + CowEngine.faults());
        }
    }
}
