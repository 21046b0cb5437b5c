package io.zxmem.pager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of byte ranges {@code [start, end)}, kept as disjoint, non-adjacent runs ordered by unsigned
 * start. Sparse by design: a pager VMO may be almost 2^64 bytes, so per-page bitmaps are out. Offsets
 * are unsigned; every end is at most {@code Vmo.MAX_SIZE}, so {@code end} never wraps. Not thread-safe:
 * the engine's lock guards every instance.
 */
final class PageRuns {
    private final TreeMap<Long, Long> runs = new TreeMap<>(Long::compareUnsigned);
    private long bytes;

    private static boolean lt(long a, long b) {
        return Long.compareUnsigned(a, b) < 0;
    }

    private static long max(long a, long b) {
        return lt(a, b) ? b : a;
    }

    private static long min(long a, long b) {
        return lt(a, b) ? a : b;
    }

    /** @return the bytes covered */
    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return runs.isEmpty();
    }

    void clear() {
        runs.clear();
        bytes = 0;
    }

    void add(long start, long end) {
        if (!lt(start, end)) {
            return;
        }
        Map.Entry<Long, Long> f = runs.floorEntry(start);
        if (f != null && !lt(f.getValue(), start)) {
            start = f.getKey();
            end = max(end, f.getValue());
            runs.remove(f.getKey());
            bytes -= f.getValue() - f.getKey();
        }
        while (true) {
            Map.Entry<Long, Long> n = runs.ceilingEntry(start);
            if (n == null || lt(end, n.getKey())) {
                break;
            }
            end = max(end, n.getValue());
            runs.remove(n.getKey());
            bytes -= n.getValue() - n.getKey();
        }
        runs.put(start, end);
        bytes += end - start;
    }

    void remove(long start, long end) {
        if (!lt(start, end)) {
            return;
        }
        Map.Entry<Long, Long> f = runs.lowerEntry(start);
        if (f != null && lt(start, f.getValue())) {
            long fe = f.getValue();
            runs.put(f.getKey(), start);
            bytes -= fe - start;
            if (lt(end, fe)) {
                runs.put(end, fe);
                bytes += fe - end;
                return;
            }
        }
        while (true) {
            Map.Entry<Long, Long> n = runs.ceilingEntry(start);
            if (n == null || !lt(n.getKey(), end)) {
                break;
            }
            runs.remove(n.getKey());
            bytes -= n.getValue() - n.getKey();
            if (lt(end, n.getValue())) {
                runs.put(end, n.getValue());
                bytes += n.getValue() - end;
                break;
            }
        }
    }

    /** @return the pieces of {@code [start, end)} this set covers, ascending, as {start, end} pairs */
    List<long[]> covered(long start, long end) {
        List<long[]> out = new ArrayList<>();
        if (!lt(start, end)) {
            return out;
        }
        Map.Entry<Long, Long> f = runs.lowerEntry(start);
        if (f != null && lt(start, f.getValue())) {
            out.add(new long[] {start, min(end, f.getValue())});
        }
        for (Map.Entry<Long, Long> n : runs.subMap(start, true, end, false).entrySet()) {
            out.add(new long[] {n.getKey(), min(end, n.getValue())});
        }
        return out;
    }

    /** @return the pieces of {@code [start, end)} this set does not cover, ascending */
    List<long[]> gaps(long start, long end) {
        List<long[]> out = new ArrayList<>();
        long at = start;
        for (long[] c : covered(start, end)) {
            if (lt(at, c[0])) {
                out.add(new long[] {at, c[0]});
            }
            at = c[1];
        }
        if (lt(at, end)) {
            out.add(new long[] {at, end});
        }
        return out;
    }

    /** @return whether every byte of {@code [start, end)} is in the set */
    boolean covers(long start, long end) {
        if (!lt(start, end)) {
            return true;
        }
        // Runs never touch (add merges adjacent ones): a covered range lies inside one run. No garbage:
        // this runs several times per page request.
        Map.Entry<Long, Long> f = runs.floorEntry(start);
        return f != null && !lt(f.getValue(), end);
    }

    /** @return whether any byte of {@code [start, end)} is in the set */
    boolean intersects(long start, long end) {
        if (!lt(start, end)) {
            return false;
        }
        // The last run that starts before end reaches furthest of those that do.
        Map.Entry<Long, Long> l = runs.lowerEntry(end);
        return l != null && lt(start, l.getValue());
    }
}
