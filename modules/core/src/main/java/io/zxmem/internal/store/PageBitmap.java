package io.zxmem.internal.store;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A set of page indexes, thread-safe, allocated in chunks only where pages are set, so that a bitmap
 * for a 64 GiB range costs nothing until used.
 */
public final class PageBitmap {
    private static final int CHUNK_SHIFT = 16;
    private static final int CHUNK_PAGES = 1 << CHUNK_SHIFT;
    private static final int WORDS = CHUNK_PAGES / 64;

    private final AtomicReferenceArray<AtomicLongArray> chunks;

    /** A bitmap for page indexes {@code [0, pages)}. */
    public PageBitmap(long pages) {
        long n = (pages + CHUNK_PAGES - 1) >>> CHUNK_SHIFT;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many pages for a bitmap: " + pages);
        }
        chunks = new AtomicReferenceArray<>((int) Math.max(1, n));
    }

    private AtomicLongArray chunk(long page, boolean create) {
        int i = (int) (page >>> CHUNK_SHIFT);
        if (i >= chunks.length()) {
            return null;
        }
        AtomicLongArray c = chunks.get(i);
        if (c == null && create) {
            chunks.compareAndSet(i, null, new AtomicLongArray(WORDS));
            c = chunks.get(i);
        }
        return c;
    }

    /** Sets pages {@code [from, to]} (inclusive). */
    public void set(long from, long to) {
        for (long p = from; p <= to; p++) {
            AtomicLongArray c = chunk(p, true);
            if (c == null) {
                return;
            }
            int bit = (int) (p & (CHUNK_PAGES - 1));
            long mask = 1L << (bit & 63);
            int w = bit >>> 6;
            if ((c.get(w) & mask) == 0) {
                c.getAndUpdate(w, x -> x | mask);
            }
        }
    }

    /** Clears pages {@code [from, to]} (inclusive). */
    public void clear(long from, long to) {
        for (long p = from; p <= to; p++) {
            AtomicLongArray c = chunk(p, false);
            if (c == null) {
                p = ((p >>> CHUNK_SHIFT) + 1 << CHUNK_SHIFT) - 1;
                continue;
            }
            int bit = (int) (p & (CHUNK_PAGES - 1));
            long mask = 1L << (bit & 63);
            c.getAndUpdate(bit >>> 6, x -> x & ~mask);
        }
    }

    /** Clears every page. */
    public void clearAll() {
        for (int i = 0; i < chunks.length(); i++) {
            chunks.set(i, null);
        }
    }

    /** @return whether every page of {@code [from, to]} (inclusive) is set */
    public boolean allSet(long from, long to) {
        for (long p = from; p <= to; p++) {
            AtomicLongArray c = chunk(p, false);
            if (c == null) {
                return false;
            }
            int bit = (int) (p & (CHUNK_PAGES - 1));
            long word = c.get(bit >>> 6);
            // Whole words at once where the range allows: the common case is a long run of set pages.
            if ((bit & 63) == 0 && to - p >= 63) {
                if (word != -1L) {
                    return false;
                }
                p += 63;
            } else if ((word & (1L << (bit & 63))) == 0) {
                return false;
            }
        }
        return true;
    }
}
