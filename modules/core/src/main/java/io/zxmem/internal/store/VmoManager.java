package io.zxmem.internal.store;

import static io.zxmem.linux.sys.Linux.FALLOC_FL_KEEP_SIZE;
import static io.zxmem.linux.sys.Linux.FALLOC_FL_PUNCH_HOLE;
import static io.zxmem.linux.sys.Linux.MAP_ANONYMOUS;
import static io.zxmem.linux.sys.Linux.MAP_FIXED;
import static io.zxmem.linux.sys.Linux.MAP_NORESERVE;
import static io.zxmem.linux.sys.Linux.MAP_PRIVATE;
import static io.zxmem.linux.sys.Linux.MAP_SHARED;
import static io.zxmem.linux.sys.Linux.PROT_NONE;

import io.zxmem.internal.Ranges;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.PageStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The page-aligned memfd segments that hold one anonymous VMO's bytes: the design's VMO manager.
 *
 * <p>One Linux file addresses at most 2^63-1 bytes, and a VMO may be almost 2^64. The VMO's range is
 * therefore cut into segments of 2^62 bytes, each its own memfd, created only when something is
 * written, committed or mapped there (the first one from the start: it is the file that is shared,
 * recycled and mapped whole). Unwritten ranges are file holes and cost nothing. This class turns
 * VMO offsets into (segment, file offset) pieces and runs the file calls on them; what the bytes
 * mean is the store's.
 *
 * <p>Thread safety: segments are created under this object's monitor; everything else runs under
 * the VMO's lock as the store's contract says ({@link #resize} and {@link #close} exclusive).
 * OS failures propagate as {@code LinuxException}: the VM object names the Zircon call that failed.
 */
public final class VmoManager {
    /** log2 of the bytes one memfd covers. */
    public static final int SEGMENT_SHIFT = 62;
    public static final long SEGMENT = 1L << SEGMENT_SHIFT;
    private static final int MAX_SEGMENTS = 4;
    private static final long ST_BLOCKS = Linux.STAT.byteOffset(MemoryLayout.PathElement.groupElement("st_blocks"));
    private static final long ST_SIZE = Linux.STAT.byteOffset(MemoryLayout.PathElement.groupElement("st_size"));
    private static final LibC C = LibC.get();

    private final String name;
    private final int[] fds = {-1, -1, -1, -1};
    private long size;

    /** Segments for a new VMO of {@code size} bytes: the first memfd now (from {@link MemfdPool}), the rest on use. */
    VmoManager(String name, long size) {
        this.name = name;
        this.size = size;
        fds[0] = MemfdPool.open(name, segmentLength(0, size));
    }

    /** Segments around an adopted memfd of {@code size} bytes, which covers one segment at most. */
    VmoManager(String name, int fd, long size) {
        if (Ranges.above(size, SEGMENT)) {
            throw new IllegalArgumentException("an adopted memfd covers one segment at most");
        }
        this.name = name;
        this.size = size;
        fds[0] = fd;
    }

    static int segment(long offset) {
        return (int) (offset >>> SEGMENT_SHIFT);
    }

    /** Bytes of segment {@code k} that lie below {@code size}. */
    private static long segmentLength(int k, long size) {
        long start = (long) k << SEGMENT_SHIFT;
        if (Long.compareUnsigned(size, start) <= 0) {
            return 0;
        }
        return Ranges.min(size - start, SEGMENT);
    }

    /** @return the size the segments are cut for */
    long size() {
        return size;
    }

    /** @return the memfd of the first segment (-1 once closed) */
    int first() {
        return fds[0];
    }

    /** @return the memfd of the first segment when it is the only one, else -1 */
    int onlyFile() {
        return fds[1] < 0 && fds[2] < 0 && fds[3] < 0 ? fds[0] : -1;
    }

    /**
     * @return the memfd of the first segment when it holds every byte (one file, the VMO not larger
     *         than a segment), else -1; decided under the monitor that creates segments
     */
    synchronized int wholeFile() {
        return onlyFile() >= 0 && !Ranges.above(size, SEGMENT) ? fds[0] : -1;
    }

    /** The memfd behind segment {@code k}, created on first use. */
    int fd(int k) {
        int fd = fds[k];
        if (fd >= 0) {
            return fd;
        }
        synchronized (this) {
            if (fds[k] < 0) {
                fds[k] = MemfdPool.open(name, segmentLength(k, size));
            }
            return fds[k];
        }
    }

    /**
     * Copies {@code [offset, offset+length)} into {@code dst} with {@code pread}, which returns zeros
     * for holes without allocating; segments never created read zero.
     */
    void pread(long offset, MemorySegment dst, long dstOffset, long length) {
        pieces(offset, length, (k, in, at, n) -> {
            int fd = fds[k];
            long done = 0;
            while (fd >= 0 && done < n) {
                long r = C.pread(fd, dst.asSlice(dstOffset + at + done, n - done), n - done, in + done);
                if (r == 0) {
                    break;
                }
                done += r;
            }
            if (done < n) {
                dst.asSlice(dstOffset + at + done, n - done).fill((byte) 0);
            }
        });
    }

    /** Copies {@code src} to {@code [offset, offset+length)} with {@code pwrite}, creating segments as needed. */
    void pwrite(long offset, MemorySegment src, long srcOffset, long length) {
        pieces(offset, length, (k, in, at, n) -> {
            int fd = fd(k);
            long done = 0;
            while (done < n) {
                done += C.pwrite(fd, src.asSlice(srcOffset + at + done, n - done), n - done, in + done);
            }
        });
    }

    /** Allocates the pages of {@code [offset, offset+length)} ({@code fallocate}), creating segments as needed. */
    void allocate(long offset, long length) {
        eachSegment(offset, length, true, (fd, off, len) -> C.fallocate(fd, 0, off, len));
    }

    /**
     * Punches a hole over {@code [offset, offset+length)} of the segments that exist: whole pages are
     * freed, the bytes of partial pages zeroed.
     */
    void punchHole(long offset, long length) {
        eachSegment(offset, length, false,
                (fd, off, len) -> C.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len));
    }

    /** Data extents from {@code SEEK_DATA}/{@code SEEK_HOLE}, in ascending order. */
    void forEachData(long offset, long length, PageStore.Extents action) {
        long at = offset;
        long left = length;
        while (left != 0) {
            int k = segment(at);
            long in = at & (SEGMENT - 1);
            long n = Ranges.min(left, SEGMENT - in);
            int fd = fds[k];
            long segBase = at - in;
            long end = in + n;
            long pos = in;
            while (fd >= 0 && pos < end) {
                long data = C.lseek(fd, pos, Linux.SEEK_DATA);
                if (data < 0 || data >= end) {
                    break;
                }
                long hole = C.lseek(fd, data, Linux.SEEK_HOLE);
                if (hole < 0 || hole > end) {
                    hole = end;
                }
                action.accept(segBase + data, hole - data);
                pos = hole;
            }
            at += n;
            left -= n;
        }
    }

    /** @return bytes allocated to the segments' files ({@code st_blocks}) */
    long allocatedBytes() {
        long total = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Linux.STAT);
            for (int fd : fds) {
                if (fd >= 0) {
                    C.fstat(fd, st);
                    total += st.get(ValueLayout.JAVA_LONG, ST_BLOCKS) * 512;
                }
            }
        }
        return total;
    }

    /** @return the size of the first segment's memfd as the kernel has it now ({@code fstat}) */
    long firstFileSize() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Linux.STAT);
            C.fstat(fds[0], st);
            return st.get(ValueLayout.JAVA_LONG, ST_SIZE);
        }
    }

    /** Cuts the files to {@code newSize}: pages past it are freed, new ones read zero. */
    void resize(long newSize) {
        int keep = newSize == 0 ? 1 : segment(newSize - 1) + 1;
        for (int k = 0; k < MAX_SEGMENTS; k++) {
            if (fds[k] < 0) {
                continue;
            }
            if (k >= keep) {
                // Truncate, do not close: a mapping made earlier still maps this very file. Emptied,
                // it faults there while the range is gone; kept, the file is what that mapping, read
                // and write all use again once the VMO grows back (a new file would leave it stale).
                C.ftruncate(fds[k], 0);
            } else {
                C.ftruncate(fds[k], segmentLength(k, newSize));
            }
        }
        size = newSize;
    }

    /** Takes {@code newSize} without touching the files (another process resized the shared memfd). */
    void adoptSize(long newSize) {
        size = newSize;
    }

    /**
     * Maps {@code [offset, offset+length)} {@code MAP_SHARED}. A range within one segment is one
     * mapping; a range across two reserves the whole length and places each file's piece into it.
     */
    MemorySegment map(long offset, long length, int prot) {
        int first = segment(offset);
        int last = segment(offset + length - 1);
        if (first == last) {
            return C.mmap(MemorySegment.NULL, length, prot, MAP_SHARED, fd(first), offset & (SEGMENT - 1));
        }
        MemorySegment base = C.mmap(MemorySegment.NULL, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        try {
            long at = 0;
            while (at < length) {
                long off = offset + at;
                long n = Math.min(length - at, SEGMENT - (off & (SEGMENT - 1)));
                C.mmap(MemorySegment.ofAddress(base.address() + at), n, prot, MAP_SHARED | MAP_FIXED,
                        fd(segment(off)), off & (SEGMENT - 1));
                at += n;
            }
        } catch (RuntimeException e) {
            C.munmap(base, length);
            throw e;
        }
        return base;
    }

    /**
     * Closes every segment's memfd; with {@code recycle}, first offers the first one to
     * {@link MemfdPool} (the caller vouches that it never left the store).
     */
    void close(boolean recycle) {
        if (recycle) {
            MemfdPool.recycle(name, fds, size);
        }
        for (int k = 0; k < MAX_SEGMENTS; k++) {
            if (fds[k] >= 0) {
                C.close(fds[k]);
                fds[k] = -1;
            }
        }
    }

    /**
     * Cuts {@code [offset, offset+length)} at segment boundaries and runs {@code op} on each piece:
     * segment index, offset inside that segment's file, offset of the piece from {@code offset}, length.
     */
    private static void pieces(long offset, long length, PieceOp op) {
        long at = 0;
        while (length != 0) {
            long in = (offset + at) & (SEGMENT - 1);
            long n = Ranges.min(length, SEGMENT - in);
            op.apply(segment(offset + at), in, at, n);
            at += n;
            length -= n;
        }
    }

    @FunctionalInterface
    private interface PieceOp {
        void apply(int segment, long fileOffset, long at, long length);
    }

    /** Runs {@code op(fd, offsetInFile, length)} for each segment piece, creating missing files if asked. */
    private void eachSegment(long offset, long length, boolean create, SegmentOp op) {
        pieces(offset, length, (k, in, at, n) -> {
            int fd = create ? fd(k) : fds[k];
            if (fd >= 0) {
                op.apply(fd, in, n);
            }
        });
    }

    @FunctionalInterface
    private interface SegmentOp {
        void apply(int fd, long offset, long length);
    }
}
