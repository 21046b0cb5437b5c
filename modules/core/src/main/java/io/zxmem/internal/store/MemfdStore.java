package io.zxmem.internal.store;

import static io.zxmem.linux.sys.Linux.FALLOC_FL_KEEP_SIZE;
import static io.zxmem.linux.sys.Linux.FALLOC_FL_PUNCH_HOLE;
import static io.zxmem.linux.sys.Linux.MAP_ANONYMOUS;
import static io.zxmem.linux.sys.Linux.MAP_FIXED;
import static io.zxmem.linux.sys.Linux.MAP_NORESERVE;
import static io.zxmem.linux.sys.Linux.MAP_PRIVATE;
import static io.zxmem.linux.sys.Linux.MAP_SHARED;
import static io.zxmem.linux.sys.Linux.PROT_NONE;
import static io.zxmem.linux.sys.Linux.PROT_READ;
import static io.zxmem.linux.sys.Linux.PROT_WRITE;

import io.zxmem.Status;
import io.zxmem.internal.Copies;
import io.zxmem.internal.Ranges;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.NativeAccess;
import io.zxmem.spi.EmptyFile;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.SharedStore;
import io.zxmem.spi.WatchedFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Anonymous VMO memory: memfd files, mapped {@code MAP_SHARED}, so that every mapping, {@code read}
 * and {@code write} see the same pages, and other processes can map them too.
 *
 * <p><b>Huge sparse VMOs.</b> One Linux file addresses at most 2^63-1 bytes, and a VMO may be almost
 * 2^64. The VMO's range is therefore cut into segments of 2^62 bytes, each its own memfd, created
 * only when something is written, committed or mapped there. Unwritten ranges are file holes and
 * cost nothing.
 *
 * <p><b>Reads and writes.</b> For VMOs up to 64 GiB, {@code read}/{@code write} copy through one
 * internal whole-VMO mapping (memcpy speed, 3-4x {@code pread} at 4 KiB). A read through a shared
 * memfd mapping would allocate the pages it touches, and Zircon's reads do not commit memory, so a
 * read goes through the mapping only for pages known to be resident (a bitmap fed by writes and by
 * {@code mincore}); other reads use {@code pread}, which returns zeros for holes without allocating.
 * Larger VMOs use {@code pread}/{@code pwrite} throughout.
 */
public final class MemfdStore implements SharedStore, WatchedFile {
    /** log2 of the bytes one memfd covers. */
    public static final int SEGMENT_SHIFT = 62;
    public static final long SEGMENT = 1L << SEGMENT_SHIFT;
    /** VMOs up to this size get an internal whole-VMO mapping for read and write. */
    public static final long CANONICAL_MAX = 1L << 36;
    private static final int MAX_SEGMENTS = 4;
    private static final long ST_BLOCKS = Linux.STAT.byteOffset(MemoryLayout.PathElement.groupElement("st_blocks"));
    private static final long ST_SIZE = Linux.STAT.byteOffset(MemoryLayout.PathElement.groupElement("st_size"));

    private static final LibC C = LibC.get();
    /** Commits of at least this many bytes are checked against the memory left (see {@link #checkRoomFor}). */
    private static final long CHECKED_COMMIT = 16L << 20;

    private final long page;
    private final String name;
    private final int[] fds = {-1, -1, -1, -1};
    /** False for a memfd received without WRITE: its internal mapping is then read-only. */
    private final boolean writable;
    /**
     * Whether another process may hold the memfd (it was sent or received): it must then never be
     * taken over as a frozen copy-on-write node, since others keep writing it.
     */
    private volatile boolean shared;
    /**
     * Whether the memfd was handed out ({@link #fd()}): a dup of it may outlive this store, so it is
     * not recycled. Every accessor that gives out the descriptor sets this (or {@link #shared}).
     */
    private volatile boolean exposed;
    private long size;
    private volatile MemorySegment canonical;
    private PageBitmap resident;
    /** Live user windows ({@link #mapWindow}); the monitor also orders them against {@link #watcher}. */
    private final java.util.Set<Tracked> windows = new java.util.HashSet<>();
    /** The copy-on-write engine's watcher, installed once ({@link #watch}). */
    private volatile Watcher watcher;

    @Override
    public Watcher watcher() {
        return watcher;
    }

    @Override
    public void watch(Watcher w) {
        synchronized (windows) {
            if (watcher != null) {
                throw new IllegalStateException("a store has one watcher");
            }
            java.util.List<Tracked> told = new java.util.ArrayList<>();
            try {
                for (Tracked t : windows) {
                    w.mapped(t.address, t.shown, t.offset);
                    told.add(t);
                }
            } catch (RuntimeException | Error e) {
                for (Tracked t : told) {
                    w.unmapping(t.address, t.shown, t.offset);
                }
                throw e;
            }
            watcher = w;
        }
    }

    @Override
    public int file() {
        // The engine may keep (a dup of) this file as a child's source: it must never be recycled.
        exposed = true;
        return fds[1] < 0 && fds[2] < 0 && fds[3] < 0 ? fds[0] : -1;
    }

    private void modifying(long offset, long length) {
        Watcher w = watcher;
        if (w != null && length != 0) {
            w.modifying(offset, length);
        }
    }

    /** A store of {@code size} bytes (page-aligned), all zero. */
    public MemfdStore(String name, long size, long page) {
        this.name = name;
        this.page = page;
        this.size = size;
        this.writable = true;
        fds[0] = createFd(0, size);
        if (size <= CANONICAL_MAX && size >= 0) {
            resident = new PageBitmap(size / page);
        }
    }

    /** A store around an existing memfd of {@code size} bytes (received from another process). */
    public MemfdStore(String name, int fd, long size, long page) {
        this(name, fd, size, page, true);
    }

    /**
     * A store around an existing memfd of {@code size} bytes; {@code writable} false when it came
     * without WRITE (the file is then sealed against writes and only read-only mappings of it work).
     */
    public MemfdStore(String name, int fd, long size, long page, boolean writable) {
        if (Ranges.above(size, SEGMENT)) {
            throw new IllegalArgumentException("an adopted memfd covers one segment at most");
        }
        this.name = name;
        this.page = page;
        this.size = size;
        this.writable = writable;
        this.shared = true;
        fds[0] = fd;
        if (size <= CANONICAL_MAX) {
            resident = new PageBitmap(size / page);
        }
    }

    private static int segment(long offset) {
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

    private int createFd(int k, long size) {
        return MemfdPool.open(name, segmentLength(k, size));
    }

    /** The memfd behind segment {@code k}, created on first use. */
    private int fd(int k) {
        int fd = fds[k];
        if (fd >= 0) {
            return fd;
        }
        synchronized (fds) {
            if (fds[k] < 0) {
                fds[k] = createFd(k, size);
            }
            return fds[k];
        }
    }

    /**
     * @return whether the memfd has left or entered this process: another process may write it (or,
     *         holding RESIZE, resize it) without passing through this store
     */
    public boolean isShared() {
        return shared;
    }

    /** @return the memfd of the first segment, for sharing with other processes */
    public int fd() {
        exposed = true;
        return fds[0];
    }

    /** Also marks the store shared, after its watcher let every copy-on-write child take what it needs. */
    @Override
    public int sharedFd() {
        synchronized (fds) {
            int fd = fds[1] < 0 && fds[2] < 0 && fds[3] < 0 && !Ranges.above(size, SEGMENT) ? fds[0] : -1;
            if (fd >= 0) {
                Watcher w = watcher;
                if (w != null) {
                    w.exporting();
                }
                shared = true;
            }
            return fd;
        }
    }

    @Override
    public long sharedOffset() {
        return 0;
    }

    /**
     * Writes go through the internal mapping, which keeps working under {@code F_SEAL_FUTURE_WRITE}
     * when it exists before the seal; so create it now. VMOs too large for one cannot be sealed.
     */
    @Override
    public boolean prepareWriteSeal() {
        return !writable || size == 0 || canonical() != null;
    }

    /** @return the internal whole-VMO mapping, created on first use, or null if the VMO is too large */
    private MemorySegment canonical() {
        MemorySegment m = canonical;
        if (m != null || resident == null || size == 0) {
            return m;
        }
        synchronized (fds) {
            if (canonical == null) {
                int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
                MemorySegment addr = C.mmap(MemorySegment.NULL, size, prot, MAP_SHARED, fds[0], 0);
                canonical = NativeAccess.segment(addr, size);
            }
            return canonical;
        }
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        if (length == 0) {
            return;
        }
        MemorySegment m = canonical();
        if (m != null && resident(m, offset, length)) {
            Copies.copy(m, offset, dst, dstOffset, length, shared);
            return;
        }
        try {
            preadInto(offset, dst, dstOffset, length);
        } catch (LinuxException e) {
            if (e.errno() != Errno.EFAULT) {
                throw e;
            }
            // dst is a mapping whose page fault the kernel may not raise for us: a userfaultfd-guarded
            // mapping with a user-mode-only userfaultfd (unprivileged processes). Copy in user mode.
            bounced(offset, dst, dstOffset, length);
        }
    }

    private void preadInto(long offset, MemorySegment dst, long dstOffset, long length) {
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

    private void bounced(long offset, MemorySegment dst, long dstOffset, long length) {
        long chunk = Math.min(length, 1L << 20);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(chunk, page);
            for (long done = 0; done < length;) {
                long n = Math.min(chunk, length - done);
                preadInto(offset + done, buf, 0, n);
                MemorySegment.copy(buf, 0, dst, dstOffset + done, n);
                done += n;
            }
        }
    }

    /** Whether every page of the range is in the page cache, asking the kernel for pages not yet known. */
    private boolean resident(MemorySegment m, long offset, long length) {
        long first = offset / page;
        long last = (offset + length - 1) / page;
        if (resident.allSet(first, last)) {
            return true;
        }
        long pages = last - first + 1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment vec = a.allocate(pages);
            C.mincore(m.asSlice(first * page, pages * page), pages * page, vec);
            boolean all = true;
            for (long i = 0; i < pages; i++) {
                if ((vec.get(ValueLayout.JAVA_BYTE, i) & 1) != 0) {
                    resident.set(first + i, first + i);
                } else {
                    all = false;
                }
            }
            return all;
        }
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        if (length == 0) {
            return;
        }
        modifying(offset, length);
        MemorySegment m = canonical();
        if (m != null) {
            Copies.copy(src, srcOffset, m, offset, length, shared);
            resident.set(offset / page, (offset + length - 1) / page);
            return;
        }
        pieces(offset, length, (k, in, at, n) -> {
            int fd = fd(k);
            long done = 0;
            while (done < n) {
                done += C.pwrite(fd, src.asSlice(srcOffset + at + done, n - done), n - done, in + done);
            }
        });
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

    /** Data extents from {@code SEEK_DATA}/{@code SEEK_HOLE}: a copy of a sparse VMO touches only what was written. */
    @Override
    public void forEachData(long offset, long length, Extents action) {
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

    @Override
    public void commit(long offset, long length) {
        if (Long.compareUnsigned(length, CHECKED_COMMIT) >= 0) {
            checkRoomFor(offset, length);
        }
        eachSegment(offset, length, true, (fd, off, len) -> C.fallocate(fd, 0, off, len));
        if (resident != null && length != 0) {
            resident.set(offset / page, (offset + length - 1) / page);
        }
    }

    /** Throws NO_MEMORY when committing the holes of the range would not fit ({@link #commit}'s check). */
    public void ensureRoom(long offset, long length) {
        if (Long.compareUnsigned(length, CHECKED_COMMIT) >= 0) {
            checkRoomFor(offset, length);
        }
    }

    /**
     * Shmem pages never fail to allocate with ENOMEM: past the memory of the machine or of the
     * cgroup, the kernel kills a process instead (this JVM, most likely). So a large COMMIT first
     * counts the holes it would fill and, as Zircon does, fails with NO_MEMORY when they do not fit.
     */
    private void checkRoomFor(long offset, long length) {
        long[] allocated = {0};
        forEachData(offset, length, (off, len) -> allocated[0] += len);
        long needed = length - allocated[0];
        long room = MemoryHeadroom.bytes();
        if (Long.compareUnsigned(needed, room) > 0) {
            throw Ranges.fail(Status.ERR_NO_MEMORY, "vmo.op_range(COMMIT, offset=" + Ranges.hex(offset) + ", size="
                    + Ranges.hex(length) + ")", "needs " + Ranges.hex(needed) + " more bytes but only " + Ranges.hex(room)
                    + " are left to this process (MemAvailable and cgroup memory limits)");
        }
    }

    @Override
    public void decommit(long offset, long length) {
        zero(offset, length);
    }

    @Override
    public void zero(long offset, long length) {
        modifying(offset, length);
        // A hole punched into a partial page zeroes those bytes and keeps the page; whole pages are freed.
        try {
            eachSegment(offset, length, false,
                    (fd, off, len) -> C.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len));
        } catch (LinuxException e) {
            // Sealed against writes (shared read-only): punching holes is refused, so write zeros
            // through the internal mapping instead; the pages stay committed.
            MemorySegment m = canonical;
            if (e.errno() != Errno.EPERM || m == null || !writable) {
                throw e;
            }
            m.asSlice(offset, length).fill((byte) 0);
            return;
        }
        if (resident != null && length != 0) {
            long first = Ranges.ceil(offset, page) / page;
            long end = Ranges.floor(offset + length, page) / page;
            if (end > first) {
                resident.clear(first, end - 1);
            }
        }
    }

    @Override
    public long committedBytes() {
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

    @Override
    public void resize(long newSize) {
        if (Long.compareUnsigned(newSize, size) < 0) {
            modifying(newSize, size - newSize);
        }
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
        dropCanonical();
        size = newSize;
        resident = newSize <= CANONICAL_MAX && newSize >= 0 ? new PageBitmap(newSize / page) : null;
    }

    /** @return the size of the first segment's memfd as the kernel has it now ({@code fstat}) */
    public long fileSize() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Linux.STAT);
            C.fstat(fds[0], st);
            return st.get(ValueLayout.JAVA_LONG, ST_SIZE);
        }
    }

    /**
     * Another process resized the shared memfd to {@code newSize}: take that size without touching
     * the file (an {@code ftruncate} here could undo a later resize of the peer). Under the VMO's
     * exclusive lock.
     */
    public void adoptSize(long newSize) {
        dropCanonical();
        size = newSize;
        resident = newSize <= CANONICAL_MAX && newSize >= 0 ? new PageBitmap(newSize / page) : null;
    }

    private void dropCanonical() {
        MemorySegment m = canonical;
        if (m != null) {
            canonical = null;
            C.munmap(m, m.byteSize());
        }
    }

    @Override
    public void discard() {
        modifying(0, size);
        eachSegment(0, size, false,
                (fd, off, len) -> C.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len));
        if (resident != null) {
            resident.clearAll();
        }
    }

    @Override
    public MemorySegment map(long offset, long length, int prot, int cachePolicy) {
        int first = segment(offset);
        int last = segment(offset + length - 1);
        if (first == last) {
            try {
                return C.mmap(MemorySegment.NULL, length, prot, MAP_SHARED, fd(first), offset & (SEGMENT - 1));
            } catch (LinuxException e) {
                MemorySegment dup = sealedWritableWindow(e, offset, length, prot);
                if (dup == null) {
                    throw e;
                }
                return dup;
            }
        }
        // The window spans two files: reserve the whole range, then place each file's piece into it.
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
     * After the file was sealed with {@code F_SEAL_FUTURE_WRITE} (a handle without WRITE went to another
     * process), nobody can map it writable any more; but a mapping of the pages of our own writable
     * internal mapping, made by {@code mremap} with old size 0, still can. So the sealing process keeps
     * its full write access to what it shared read-only.
     *
     * @return the new mapping, or null when this is not that case
     */
    private MemorySegment sealedWritableWindow(LinuxException e, long offset, long length, int prot) {
        MemorySegment m = canonical;
        if (e.errno() != Errno.EPERM || (prot & PROT_WRITE) == 0 || m == null
                || !Ranges.inside(offset, length, m.byteSize())) {
            return null;
        }
        MemorySegment dup = C.mremap(MemorySegment.ofAddress(m.address() + offset), 0, length, Linux.MREMAP_MAYMOVE,
                MemorySegment.NULL);
        if ((prot & ~(PROT_READ | PROT_WRITE)) != 0) {
            C.mprotect(dup, length, prot);
        }
        return dup;
    }

    /** Like {@link #map}, and the window is known to this store's {@link Watcher}. */
    @Override
    public boolean windowsAreOwnMappings() {
        return true;
    }

    @Override
    public Window mapWindow(long offset, long length, int prot, int cachePolicy) {
        return mapWindow(offset, length, length, prot, cachePolicy);
    }

    /** The watcher hears only of the {@code shown} part; the rest is an empty file from the start. */
    @Override
    public Window mapWindow(long offset, long length, long shown, int prot, int cachePolicy) {
        synchronized (windows) {
            MemorySegment addr = map(offset, length, prot, cachePolicy);
            try {
                if (shown != length) {
                    EmptyFile.map(MemorySegment.ofAddress(addr.address() + shown), length - shown, prot, true);
                }
            } catch (RuntimeException | Error e) {
                C.munmap(addr, length);
                throw e;
            }
            Tracked w = new Tracked(addr.address(), length, offset, shown);
            Watcher g = watcher;
            if (g != null) {
                try {
                    g.mapped(w.address, shown, offset);
                } catch (RuntimeException | Error e) {
                    C.munmap(addr, length);
                    throw e;
                }
            }
            windows.add(w);
            return w;
        }
    }

    /** A user window: {@code munmap} under the windows' monitor, so a watcher never sees it half gone. */
    private final class Tracked implements Window {
        final long address;
        final long length;
        final long offset;
        /** The part that shows this store's file (the rest maps an empty file): all the watcher knows of. */
        final long shown;

        Tracked(long address, long length, long offset, long shown) {
            this.address = address;
            this.length = length;
            this.offset = offset;
            this.shown = shown;
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void protect(int prot) {
            C.mprotect(MemorySegment.ofAddress(address), length, prot);
        }

        @Override
        public void unmap() {
            synchronized (windows) {
                windows.remove(this);
                Watcher g = watcher;
                if (g != null) {
                    g.unmapping(address, shown, offset);
                }
                C.munmap(MemorySegment.ofAddress(address), length);
            }
        }
    }

    @Override
    public void close() {
        Watcher w = watcher;
        if (w != null) {
            w.closing(); // the engine saves what dependents still need, then forgets this store
        }
        dropCanonical();
        if (!shared && !exposed && writable && w == null) {
            MemfdPool.recycle(name, fds, size);
        }
        for (int k = 0; k < MAX_SEGMENTS; k++) {
            if (fds[k] >= 0) {
                C.close(fds[k]);
                fds[k] = -1;
            }
        }
    }
}
