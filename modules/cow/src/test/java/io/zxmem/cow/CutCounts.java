package io.zxmem.cow;

import java.util.concurrent.atomic.AtomicLong;

/** Counts the cuts {@link Cuts} reports, from the first use of this class on. */
final class CutCounts {
    private static final AtomicLong LAZY = new AtomicLong();
    private static final AtomicLong EAGER = new AtomicLong();

    static {
        Cuts.observe(lazy -> (lazy ? LAZY : EAGER).incrementAndGet());
    }

    private CutCounts() {}

    /** @return children cut over userfaultfd so far */
    static long lazy() {
        return LAZY.get();
    }

    /** @return children whose pages were copied at the cut so far */
    static long eager() {
        return EAGER.get();
    }
}
