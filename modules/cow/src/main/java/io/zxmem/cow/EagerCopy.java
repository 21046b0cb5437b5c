package io.zxmem.cow;

import io.zxmem.spi.PageStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The always-correct fallback: copy the parent's data extents into the child's own store now. Holes
 * are skipped ({@code SEEK_DATA}/{@code SEEK_HOLE} in the memfd store), so a sparse parent costs only
 * what was written; written pages cost about 1 us each.
 */
final class EagerCopy {
    private static final long CHUNK = 1 << 20;

    private EagerCopy() {}

    /** Copies {@code src}'s content in {@code [offset, min(limit, offset+size))} to {@code dst} at 0. */
    static void copy(PageStore src, long offset, long limit, long size, PageStore dst) {
        if (Long.compareUnsigned(limit, offset) <= 0) {
            return;
        }
        long avail = limit - offset;
        long len = Long.compareUnsigned(avail, size) < 0 ? avail : size;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(CHUNK, 4096);
            src.forEachData(offset, len, (start, n) -> {
                long done = 0;
                while (done != n) {
                    long c = Long.compareUnsigned(n - done, CHUNK) < 0 ? n - done : CHUNK;
                    src.read(start + done, buf, 0, c);
                    dst.write(start + done - offset, buf, 0, c);
                    done += c;
                }
            });
        }
    }
}
