package io.zxmem.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link ChannelBench}'s handle round trip, zxmem against C, <em>interleaved</em> in one JVM: each
 * round runs a batch of {@code zx_transfer} and a batch of {@code c_transfer} back to back (the order
 * alternating), so both sides of a ratio see the same load, which JMH's one-benchmark-after-another
 * cannot promise on a shared machine. Besides wall time it reports the thread's CPU time (user and
 * system) per round trip, which a loaded machine disturbs less: preemption adds wall time, not CPU
 * time. Everything runs in the calling thread, so the CPU time is all of each side's work (the
 * cleaner and GC threads excepted).
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * io.zxmem.bench.ChannelInterleaved [rounds]} (default 21 rounds of 2000 round trips per side, after
 * 40 warm-up rounds, about 20 s on a loaded 2-vCPU machine). Prints the medians and the median of the
 * per-round CPU ratios with their 25-75% range.
 *
 * <p>Add {@code -XX:+AlwaysPreTouch}. Without it, G1 hands out eden regions whose pages were never
 * touched, and the benchmark thread pays the page faults (and the memory cgroup's charging) of each
 * first touch: with a 2 GiB heap, phases of seconds, switching at GC pauses (when G1 resizes the young
 * generation), in which a round trip costs 1.5x (here) to 3.5x (earlier runs) more (perf: {@code exc_page_fault},
 * {@code clear_page_erms}, {@code memcg} charging in the benchmark thread; gone with pre-touch).
 * Parallel and Serial GC reuse one eden, touched in the first cycle, so they do not show it.
 */
public final class ChannelInterleaved {
    private ChannelInterleaved() {}

    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        int batch = 2000;
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        ChannelBench b = new ChannelBench();
        b.setUp();
        double[][] cpu = new double[2][rounds];
        double[][] wall = new double[2][rounds];
        double[] ratio = new double[rounds];
        try {
            for (int r = -40; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    int side = (r + k) & 1; // 0 = zx, 1 = c; who goes first alternates
                    long w0 = System.nanoTime();
                    long c0 = tm.getCurrentThreadCpuTime();
                    for (int i = 0; i < batch; i++) {
                        if (side == 0) {
                            b.zx_transfer();
                        } else {
                            b.c_transfer();
                        }
                    }
                    long c1 = tm.getCurrentThreadCpuTime();
                    long w1 = System.nanoTime();
                    if (r >= 0) {
                        cpu[side][r] = (double) (c1 - c0) / batch;
                        wall[side][r] = (double) (w1 - w0) / batch;
                    }
                }
                if (r >= 0) {
                    ratio[r] = cpu[0][r] / cpu[1][r];
                }
            }
        } finally {
            b.tearDown();
        }
        for (double[][] x : new double[][][] {cpu, wall}) {
            for (double[] y : x) {
                Arrays.sort(y);
            }
        }
        Arrays.sort(ratio);
        int m = rounds / 2;
        System.out.printf(Locale.ROOT, "VMO handle round trip, %d rounds of %d: CPU zx %.0f ns, c %.0f ns, zx/c %.2fx (IQR %.2f-%.2f);"
                + " wall zx %.0f ns, c %.0f ns%n", rounds, batch, cpu[0][m], cpu[1][m], ratio[m], ratio[rounds / 4],
                ratio[3 * rounds / 4], wall[0][m], wall[1][m]);
    }
}
