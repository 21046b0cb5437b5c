package io.zxmem.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@link PagerBench}'s first touches, zxmem against C, <em>interleaved</em> in one JVM: each round runs
 * a few invocations of every contender back to back, in an order that rotates from round to round, and
 * the ratios are taken per round. The C round trip on this VM swings between about 5 and 50 us per page
 * from one JMH run to the next (an idle vCPU's wake-up, or none), so a ratio of two JMH runs taken
 * minutes apart says little; within one round both sides see the same regime. Only the touches are
 * timed for zxmem (the VMO, its transfer and its mapping are made and dropped outside the clock, as in
 * JMH's per-invocation setup); C's round includes its window's setup, as in {@link PagerBench}.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -XX:+AlwaysPreTouch -cp bench/target/benchmarks.jar
 * io.zxmem.bench.PagerInterleaved [rounds [contenders]]} (default 41 rounds of 8 invocations of 256 pages per
 * contender; {@code contenders} picks some by index, e.g. {@code 0,3}: C and the lazy touch; 4 and 5 are the lazy touch and
 * the in-process read supplied from memory instead of an aux VMO; the ratios need 0 and 1).
 */
public final class PagerInterleaved {
    private PagerInterleaved() {}

    private static final String[] NAMES = {"c_first_touch", "c_first_touch_cross_process", "zx_first_touch_inprocess",
        "zx_first_touch_lazy", "zx_first_touch_lazy_memory", "zx_first_touch_inprocess_memory"};

    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 41;
        int invocations = 8;
        // Optional: the contenders to run, as indices into NAMES (e.g. "0,3"); all by default.
        int[] pick = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {0, 1, 2, 3, 4, 5};
        PagerBench b = new PagerBench();
        PagerBench bm = new PagerBench();
        bm.supplyFromMemory = true;
        PagerBench.Remote remote = new PagerBench.Remote();
        PagerBench.Remote fromMemory = new PagerBench.Remote();
        fromMemory.supply = "memory";
        b.start();
        bm.start();
        remote.start();
        fromMemory.start();
        long sink = 0;
        int n = NAMES.length;
        double[][] perPage = new double[n][rounds];
        try {
            // The pager JVM compiles its side for seconds: 10 rounds left its first ratios twice the settled ones.
            int warm = Integer.getInteger("warm", 100);
            for (int r = -warm; r < rounds; r++) {
                for (int k = 0; k < pick.length; k++) {
                    int i = pick[Math.floorMod(k + r, pick.length)];
                    long total = 0;
                    for (int j = 0; j < invocations; j++) {
                        long t0;
                        switch (i) {
                            case 0 -> { t0 = System.nanoTime(); sink += b.c_first_touch(); total += System.nanoTime() - t0; }
                            case 1 -> { t0 = System.nanoTime(); sink += b.c_first_touch_cross_process(); total += System.nanoTime() - t0; }
                            case 2, 5 -> {
                                PagerBench in = i == 2 ? b : bm;
                                in.freshVmo();
                                t0 = System.nanoTime();
                                sink += in.zx_first_touch_inprocess();
                                total += System.nanoTime() - t0;
                                in.closeVmo();
                            }
                            default -> {
                                PagerBench.Remote via = i == 3 ? remote : fromMemory;
                                via.freshMapping();
                                t0 = System.nanoTime();
                                sink += b.zx_first_touch_lazy(via);
                                total += System.nanoTime() - t0;
                                via.closeMapping();
                            }
                        }
                    }
                    if (r >= 0) {
                        perPage[i][r] = (double) total / invocations / PagerBench.PAGES / 1000.0;
                    }
                }
            }
        } finally {
            fromMemory.stop();
            remote.stop();
            bm.stop();
            b.stop();
        }
        System.out.println("## first touch of a page (ratios to c_first_touch, " + rounds + " rounds of " + invocations
                + " x " + PagerBench.PAGES + " pages; sink " + (sink & 1) + ")");
        for (int i : pick) {
            double[] ratios = new double[rounds];
            double[] crossRatios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = perPage[i][r] / perPage[0][r];
                crossRatios[r] = perPage[i][r] / perPage[1][r];
            }
            double[] sorted = perPage[i].clone();
            Arrays.sort(sorted);
            Arrays.sort(ratios);
            Arrays.sort(crossRatios);
            System.out.println(String.format(Locale.ROOT,
                    "  %-30s median %7.1f us/page (best round %6.1f)  ratio %.2fx (IQR %.2f-%.2f)  to cross-process C %.2fx",
                    NAMES[i], sorted[rounds / 2], sorted[0], ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4],
                    crossRatios[rounds / 2]));
        }
    }
}
