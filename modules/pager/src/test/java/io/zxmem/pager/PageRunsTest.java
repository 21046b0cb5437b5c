package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link PageRuns} against a plain bitmap model over a small space, with random adds and removes: the
 * queries without garbage ({@code covers}, {@code intersects}) must agree with the model and with the
 * list-building ones ({@code gaps}, {@code covered}), including ranges at the top of the unsigned space.
 */
class PageRunsTest {
    private static final int N = 64;

    @Test
    void queriesAgreeWithABitmapModel() {
        Random rnd = new Random(7);
        for (long base : new long[] {0, -N * 2L}) { // -2N: offsets above 2^63, compared unsigned
            PageRuns runs = new PageRuns();
            boolean[] model = new boolean[N];
            for (int step = 0; step < 4000; step++) {
                int a = rnd.nextInt(N + 1);
                int b = rnd.nextInt(N + 1);
                int s = Math.min(a, b);
                int e = Math.max(a, b);
                if (rnd.nextBoolean()) {
                    runs.add(base + s, base + e);
                    java.util.Arrays.fill(model, s, e, true);
                } else {
                    runs.remove(base + s, base + e);
                    java.util.Arrays.fill(model, s, e, false);
                }
                int qa = rnd.nextInt(N + 1);
                int qb = rnd.nextInt(N + 1);
                int qs = Math.min(qa, qb);
                int qe = Math.max(qa, qb);
                boolean all = true;
                boolean any = false;
                for (int i = qs; i < qe; i++) {
                    all &= model[i];
                    any |= model[i];
                }
                String at = "step " + step + ", query [" + qs + ", " + qe + ")";
                assertEquals(all, runs.covers(base + qs, base + qe), at);
                assertEquals(any, runs.intersects(base + qs, base + qe), at);
                assertEquals(runs.gaps(base + qs, base + qe).isEmpty(), runs.covers(base + qs, base + qe), at);
                assertEquals(!runs.covered(base + qs, base + qe).isEmpty(), runs.intersects(base + qs, base + qe), at);
                long bytes = 0;
                for (boolean m : model) {
                    bytes += m ? 1 : 0;
                }
                assertEquals(bytes, runs.bytes(), at);
            }
        }
    }
}
