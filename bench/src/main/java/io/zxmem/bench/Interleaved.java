package io.zxmem.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Issue 10's table measured the way the issue measured it: zxmem and its baselines in one JVM,
 * <em>interleaved</em> (each round runs every contender of a row back to back, in an order that
 * rotates from round to round), the median of the rounds. On a machine shared with other work the
 * load changes within seconds; JMH runs one benchmark after the other, so two rows of a JMH table
 * may see different loads, while the contenders of one interleaved round see the same one. This
 * complements the JMH tables (bench/RESULTS.md), it does not replace them.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * io.zxmem.bench.Interleaved [rounds [regex]]} (default 41 rounds of about 20 ms per contender, after 15
 * warm-up rounds; a regex measures only the rows whose title it finds, e.g. {@code 'register|unmap'}). Prints one line per contender: median time per operation and the median of the
 * per-round ratios to the row's reference, with the 25th-75th percentile of those ratios.
 */
public final class Interleaved {
    @FunctionalInterface
    interface Op {
        Object run() throws Throwable;
    }

    record Contender(String name, Op op, int perCall) {}

    record Row(String title, String reference, List<Contender> contenders) {}

    private static Object sink;

    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 41;
        java.util.regex.Pattern only = java.util.regex.Pattern.compile(args.length > 1 ? args[1] : "");
        List<Row> rows = new ArrayList<>();

        for (long size : new long[] {4096, 1 << 20}) {
            CreateMapBench b = new CreateMapBench();
            b.size = size;
            rows.add(new Row("create + map + segment + one store + unmap + close, " + human(size), "java_touch_ffmSyscalls", List.of(
                    new Contender("java_touch_ffmSyscalls", b::java_touch_ffmSyscalls, 1),
                    new Contender("c_touch", () -> { b.c_touch(); return null; }, 1),
                    new Contender("zx_touch_arenaConfined", b::zx_touch_arenaConfined, 1),
                    new Contender("java_touch_ffmConfinedArena", b::java_touch_ffmConfinedArena, 1),
                    new Contender("zx_touch_mapping", b::zx_touch_mapping, 1))));
        }
        {
            CreateMapBench b = new CreateMapBench();
            b.size = 4096;
            rows.add(new Row("create + map + unmap + close, address only, 4 KiB", "c_cycle", List.of(
                    new Contender("c_cycle", () -> { b.c_cycle(); return null; }, 1),
                    new Contender("java_cycle_ffmSyscalls", b::java_cycle_ffmSyscalls, 1),
                    new Contender("zx_cycle", b::zx_cycle, 1))));
        }
        ReadWriteBench rw = new ReadWriteBench();
        rw.size = 1 << 20;
        rw.setUp();
        rows.add(new Row("write + read 1 MiB", "c", List.of(
                new Contender("c", () -> { rw.c_write(); return rw.c_read(); }, 1),
                new Contender("zx_segment", () -> { rw.zx_write_segment(); return rw.zx_read_segment(); }, 1),
                new Contender("zx_array", () -> { rw.zx_write_array(); return rw.zx_read_array(); }, 1),
                new Contender("java_segmentCopy", () -> { rw.java_write_segmentCopy(); return rw.java_read_segmentCopy(); }, 1))));
        CowBench.FirstWrite fw = new CowBench.FirstWrite();
        fw.setup();
        rows.add(new Row("at-least-on-write child: create + first write per page (256 pages)", "c_fault", List.of(
                new Contender("c_fault", fw::c_fault, CowBench.FirstWrite.PAGES),
                // The floor of any userfaultfd design: the same first write resolved by a C handler thread.
                new Contender("c_fault_uffd", fw::c_fault_uffd, CowBench.FirstWrite.PAGES),
                new Contender("zx_fault_atleastonwrite_arena", fw::zx_fault_atleastonwrite_arena, CowBench.FirstWrite.PAGES),
                new Contender("zx_fault_atleastonwrite", fw::zx_fault_atleastonwrite, CowBench.FirstWrite.PAGES))));
        ChannelBench ch = new ChannelBench();
        ch.setUp();
        rows.add(new Row("VMO handle round trip over a channel", "c_transfer", List.of(
                new Contender("c_transfer", ch::c_transfer, 1),
                new Contender("zx_transfer", ch::zx_transfer, 1))));
        MmioBench mm = new MmioBench();
        mm.target = "simulated";
        mm.setUp();
        rows.add(new Row("32-bit register read (Mmio, RAM-backed)", "c_read32", List.of(
                new Contender("c_read32", mm::c_read32, MmioBench.N),
                new Contender("zx_read32", mm::zx_read32, MmioBench.N),
                new Contender("zx_read32_local", mm::zx_read32_local, MmioBench.N),
                new Contender("zx_read32_opaque", mm::zx_read32_opaque, MmioBench.N),
                new Contender("java_read32_varHandle", mm::java_read32_varHandle, MmioBench.N))));
        rows.add(new Row("32-bit register write (Mmio, RAM-backed)", "c_write32", List.of(
                new Contender("c_write32", () -> { mm.c_write32(); return null; }, MmioBench.N),
                new Contender("zx_write32_opaque", () -> { mm.zx_write32_opaque(); return null; }, MmioBench.N),
                new Contender("zx_write32", () -> { mm.zx_write32(); return null; }, MmioBench.N))));
        CloseBench cl = new CloseBench();
        cl.setUp();
        rows.add(new Row("map + one store + unmap of a 4 KiB VMO made once", "java_unmap_confinedArena", List.of(
                new Contender("java_unmap_confinedArena", cl::java_unmap_confinedArena, 1),
                new Contender("zx_unmap_arenaConfined", cl::zx_unmap_arenaConfined, 1),
                new Contender("zx_unmap_mappingAddress", cl::zx_unmap_mappingAddress, 1),
                new Contender("zx_unmap_mappingSegment", cl::zx_unmap_mappingSegment, 1),
                new Contender("zx_unmap_arenaShared", cl::zx_unmap_arenaShared, 1),
                new Contender("java_unmap_sharedArena", cl::java_unmap_sharedArena, 1),
                new Contender("java_handshake", () -> { cl.java_handshake(); return null; }, 1))));
        try {
            for (Row row : rows) {
                if (only.matcher(row.title()).find()) {
                    measure(row, rounds);
                }
            }
        } finally {
            cl.tearDown();
            rw.tearDown();
            fw.teardown();
            ch.tearDown();
            mm.tearDown();
        }
    }

    private static void measure(Row row, int rounds) throws Throwable {
        int n = row.contenders().size();
        int[] batch = new int[n];
        for (int i = 0; i < n; i++) {
            batch[i] = calibrate(row.contenders().get(i));
        }
        int warm = 15;
        double[][] perOp = new double[n][rounds];
        for (int r = -warm; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int i = Math.floorMod(k + r, n);
                Contender c = row.contenders().get(i);
                long t0 = System.nanoTime();
                for (int j = 0; j < batch[i]; j++) {
                    sink = c.op().run();
                }
                long t = System.nanoTime() - t0;
                if (r >= 0) {
                    perOp[i][r] = (double) t / batch[i] / c.perCall();
                }
            }
        }
        int ref = -1;
        for (int i = 0; i < n; i++) {
            if (row.contenders().get(i).name().equals(row.reference())) {
                ref = i;
            }
        }
        System.out.println("## " + row.title() + " (ratios to " + row.reference() + ", " + rounds + " rounds)");
        for (int i = 0; i < n; i++) {
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = perOp[i][r] / perOp[ref][r];
            }
            double[] sorted = perOp[i].clone();
            Arrays.sort(sorted);
            Arrays.sort(ratios);
            System.out.println(String.format(Locale.ROOT, "  %-32s median %10.1f ns/op  ratio %.2fx (IQR %.2f-%.2f)",
                    row.contenders().get(i).name(), sorted[rounds / 2], ratios[rounds / 2], ratios[rounds / 4],
                    ratios[3 * rounds / 4]));
        }
    }

    /** Calls per round so that one contender's turn takes about 20 ms. */
    private static int calibrate(Contender c) throws Throwable {
        int calls = 1;
        while (true) {
            long t0 = System.nanoTime();
            for (int j = 0; j < calls; j++) {
                sink = c.op().run();
            }
            long t = System.nanoTime() - t0;
            if (t > 20_000_000L || calls >= 1 << 20) {
                return Math.max(1, calls);
            }
            calls *= 2;
        }
    }

    private static String human(long size) {
        return size >= 1 << 20 ? (size >> 20) + " MiB" : (size >> 10) + " KiB";
    }
}
