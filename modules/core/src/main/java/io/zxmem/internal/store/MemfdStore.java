package io.zxmem.internal.store;

import io.zxmem.internal.Copies;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.spi.SharedStore;
import io.zxmem.spi.WatchedFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Anonymous VMO memory: memfd files, mapped {@code MAP_SHARED}, so that every mapping, {@code read}
 * and {@code write} see the same pages, and other processes can map them too. The store puts four
 * parts together, each with one job:
 * <ul>
 * <li>{@link VmoManager}: the 2^62-byte memfd segments and the file calls on them;
 * <li>{@link CanonicalMapping}: the internal whole-VMO mapping that reads and writes copy through,
 *     and the residency bitmap that keeps reads from committing pages;
 * <li>{@link WindowTable}: the user windows and the copy-on-write engine's {@link Watcher};
 * <li>{@link WriteSeal}: how this process keeps writing after sharing the file read-only;
 * </ul>
 * and {@link MemoryHeadroom} checks large commits. This class decides which part serves each call.
 *
 * <p>OS failures propagate as {@code LinuxException}: the VM object that called names the Zircon
 * call in the {@code ZxException} it makes of them ({@code Os.fail}). The store itself throws
 * {@code ZxException} only for refusals Zircon would make (NO_MEMORY for a commit that cannot fit).
 */
public final class MemfdStore implements SharedStore, WatchedFile, WindowTable.Mapper {
    /** log2 of the bytes one memfd covers. */
    public static final int SEGMENT_SHIFT = VmoManager.SEGMENT_SHIFT;
    public static final long SEGMENT = VmoManager.SEGMENT;
    /** VMOs up to this size get an internal whole-VMO mapping for read and write. */
    public static final long CANONICAL_MAX = CanonicalMapping.MAX;

    private final long page;
    private final VmoManager segments;
    private final CanonicalMapping canonical;
    private final WindowTable windows = new WindowTable();
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

    /** A store of {@code size} bytes (page-aligned), all zero. */
    public MemfdStore(String name, long size, long page) {
        this.page = page;
        this.writable = true;
        this.segments = new VmoManager(name, size);
        this.canonical = new CanonicalMapping(size, page, true);
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
        this.segments = new VmoManager(name, fd, size);
        this.page = page;
        this.writable = writable;
        this.shared = true;
        this.canonical = new CanonicalMapping(size, page, writable);
    }

    @Override
    public Watcher watcher() {
        return windows.watcher();
    }

    @Override
    public void watch(Watcher w) {
        windows.watch(w);
    }

    @Override
    public int file() {
        // The engine may keep (a dup of) this file as a child's source: it must never be recycled.
        exposed = true;
        return segments.onlyFile();
    }

    /**
     * @return whether the memfd has left or entered this process: another process may write it (or,
     *         holding RESIZE, resize it) without passing through this store
     */
    @Override
    public boolean isShared() {
        return shared;
    }

    /** @return the memfd of the first segment, for sharing with other processes */
    public int fd() {
        exposed = true;
        return segments.first();
    }

    /** Also marks the store shared, after its watcher let every copy-on-write child take what it needs. */
    @Override
    public int sharedFd() {
        synchronized (segments) {
            int fd = segments.wholeFile();
            if (fd >= 0) {
                windows.exporting();
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
        return WriteSeal.prepare(canonical, segments.first(), segments.size());
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        if (length == 0) {
            return;
        }
        MemorySegment m = canonical.get(segments.first());
        if (m != null && canonical.resident(m, offset, length)) {
            Copies.copy(m, offset, dst, dstOffset, length, shared);
            return;
        }
        try {
            segments.pread(offset, dst, dstOffset, length);
        } catch (LinuxException e) {
            if (e.errno() != Errno.EFAULT) {
                throw e;
            }
            // dst is a mapping whose page fault the kernel may not raise for us: a userfaultfd-guarded
            // mapping with a user-mode-only userfaultfd (unprivileged processes). Copy in user mode.
            bounced(offset, dst, dstOffset, length);
        }
    }

    private void bounced(long offset, MemorySegment dst, long dstOffset, long length) {
        long chunk = Math.min(length, 1L << 20);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(chunk, page);
            for (long done = 0; done < length;) {
                long n = Math.min(chunk, length - done);
                segments.pread(offset + done, buf, 0, n);
                MemorySegment.copy(buf, 0, dst, dstOffset + done, n);
                done += n;
            }
        }
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        if (length == 0) {
            return;
        }
        windows.modifying(offset, length);
        writeModified(offset, src, srcOffset, length);
    }

    /** {@link #write} once the copy-on-write windows were told. */
    private void writeModified(long offset, MemorySegment src, long srcOffset, long length) {
        MemorySegment m = canonical.get(segments.first());
        if (m != null) {
            Copies.copy(src, srcOffset, m, offset, length, shared);
            canonical.touched(offset, length);
            return;
        }
        segments.pwrite(offset, src, srcOffset, length);
    }

    /** Set once {@code pwrite} met a seal against writes: seals stay, so it is not tried again. */
    private volatile boolean writeSealed;

    /**
     * Writes pages that are holes and that another process may be faulting on at this moment (a user
     * pager's supply), so that no reader ever maps one half written. {@code pwrite} gives that: shmem
     * keeps a new page locked and not up to date until the copy into it is done, so a concurrent fault
     * waits for it. A store through the internal mapping does not: its own page fault puts a zeroed page
     * in the page cache first, which another process's fault maps at once, and that process reads zeros
     * where the bytes are still to come. Where {@code pwrite} cannot be used, the internal mapping is:
     * a heap {@code src} is bounced through native memory first; a file sealed against {@code write(2)}
     * (a read-only handle was shared, {@code F_SEAL_FUTURE_WRITE}) refuses it, and so does a {@code src}
     * the kernel cannot fault in for us (EFAULT); then a reader elsewhere may still see a page while it
     * is written.
     */
    public void writeWhole(long offset, MemorySegment src, long srcOffset, long length) {
        if (length == 0) {
            return;
        }
        windows.modifying(offset, length);
        if (!writeSealed) {
            try (Arena a = src.isNative() ? null : Arena.ofConfined()) {
                MemorySegment from = src;
                long at = srcOffset;
                if (a != null) {
                    from = a.allocate(length, page).copyFrom(src.asSlice(srcOffset, length));
                    at = 0;
                }
                segments.pwrite(offset, from, at, length);
                canonical.touched(offset, length);
                return;
            } catch (LinuxException e) {
                if (e.errno() == Errno.EPERM) {
                    writeSealed = true;
                } else if (e.errno() != Errno.EFAULT) {
                    throw e;
                }
            }
        }
        writeModified(offset, src, srcOffset, length);
    }

    /** Data extents from {@code SEEK_DATA}/{@code SEEK_HOLE}: a copy of a sparse VMO touches only what was written. */
    @Override
    public void forEachData(long offset, long length, Extents action) {
        segments.forEachData(offset, length, action);
    }

    @Override
    public void commit(long offset, long length) {
        MemoryHeadroom.checkCommit(offset, length, segments::forEachData);
        segments.allocate(offset, length);
        canonical.touched(offset, length);
    }

    /** Throws NO_MEMORY when committing the holes of the range would not fit ({@link #commit}'s check). */
    public void ensureRoom(long offset, long length) {
        MemoryHeadroom.checkCommit(offset, length, segments::forEachData);
    }

    @Override
    public void decommit(long offset, long length) {
        zero(offset, length);
    }

    @Override
    public void zero(long offset, long length) {
        windows.modifying(offset, length);
        // A hole punched into a partial page zeroes those bytes and keeps the page; whole pages are freed.
        try {
            segments.punchHole(offset, length);
        } catch (LinuxException e) {
            if (!WriteSeal.zero(canonical, e, offset, length)) {
                throw e;
            }
            return;
        }
        canonical.freed(offset, length);
    }

    @Override
    public long committedBytes() {
        return segments.allocatedBytes();
    }

    @Override
    public void resize(long newSize) {
        long size = segments.size();
        if (Long.compareUnsigned(newSize, size) < 0) {
            windows.modifying(newSize, size - newSize);
        }
        segments.resize(newSize);
        canonical.reset(newSize);
    }

    /** @return the size of the first segment's memfd as the kernel has it now ({@code fstat}) */
    public long fileSize() {
        return segments.firstFileSize();
    }

    /**
     * Another process resized the shared memfd to {@code newSize}: take that size without touching
     * the file (an {@code ftruncate} here could undo a later resize of the peer). Under the VMO's
     * exclusive lock.
     */
    public void adoptSize(long newSize) {
        canonical.reset(newSize);
        segments.adoptSize(newSize);
    }

    @Override
    public void discard() {
        windows.modifying(0, segments.size());
        segments.punchHole(0, segments.size());
        canonical.freedAll();
    }

    @Override
    public MemorySegment map(long offset, long length, int prot, int cachePolicy) {
        try {
            return segments.map(offset, length, prot);
        } catch (LinuxException e) {
            // Only a window inside one segment can be the sealed file's (one segment at most is shared).
            MemorySegment dup = VmoManager.segment(offset) == VmoManager.segment(offset + length - 1)
                    ? WriteSeal.writableWindow(canonical, e, offset, length, prot)
                    : null;
            if (dup == null) {
                throw e;
            }
            return dup;
        }
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
        // The store is its own mapper: a method reference would be one more object on every map.
        return windows.open(this, offset, length, shown, prot, cachePolicy);
    }

    @Override
    public void close() {
        boolean watched = windows.closing(); // the engine saves what dependents still need, then forgets this store
        canonical.drop();
        segments.close(!shared && !exposed && writable && !watched);
    }
}
