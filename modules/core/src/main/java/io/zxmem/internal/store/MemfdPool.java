package io.zxmem.internal.store;

import static io.zxmem.linux.sys.Linux.FALLOC_FL_KEEP_SIZE;
import static io.zxmem.linux.sys.Linux.FALLOC_FL_PUNCH_HOLE;
import static io.zxmem.linux.sys.Linux.MFD_ALLOW_SEALING;
import static io.zxmem.linux.sys.Linux.MFD_CLOEXEC;

import io.zxmem.linux.sys.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Empty memfds kept for the next anonymous VMO: a VMO's life without its own {@code memfd_create} and
 * {@code close} (the benchmarks' create/map/unmap/close cycle drops from about 1.25x C to below C).
 *
 * <p>Only memfds that never left this VMO's store are taken back: never sent to or received from
 * another process (no one else holds the file), never handed to a copy-on-write engine or guard (no
 * {@code dup} of it lives on), never sealed, one segment, at most {@link #MAX_BYTES} bytes. Giving one
 * back punches a hole over the whole file ({@code fallocate(PUNCH_HOLE|KEEP_SIZE)}), which frees
 * every page, so it reads zero everywhere, exactly as a new file does; the next VMO of the same size
 * takes it as it is, one of another size resizes it with {@code ftruncate}. A VMO's life on a
 * recycled memfd is then three system calls ({@code mmap}, {@code munmap}, {@code fallocate}) plus
 * its page faults, against five for a new file.
 *
 * <p>The pool holds at most {@code -Dzxmem.memfdPool=N} descriptors (default {@value #DEFAULT_CAPACITY};
 * 0 turns recycling off). They count as open descriptors of the process: {@code io.zxmem.Zx}'s
 * {@code pooledMemfds()} says how many there are and {@code releasePooledMemfds()} closes them, which
 * is what descriptor leak checks call first.
 */
public final class MemfdPool {
    /** The name of anonymous VMOs' memfds, the only ones recycled. */
    public static final String NAME = "zxmem-vmo";
    /** The largest VMO whose memfd is recycled. */
    public static final long MAX_BYTES = 16L << 20;
    static final int DEFAULT_CAPACITY = 16;
    private static final int CAPACITY = Math.max(0, Math.min(1024, Integer.getInteger("zxmem.memfdPool", DEFAULT_CAPACITY)));
    private static final LibC C = LibC.get();
    /** Encoded once: memfd_create would otherwise open an arena and encode the name per VMO. */
    private static final MemorySegment ENCODED_NAME = Arena.global().allocateFrom(NAME);

    private static final Object LOCK = new Object();
    private static final int[] FDS = new int[CAPACITY];
    /** The file size of each pooled memfd (its content is all holes). */
    private static final long[] SIZES = new long[CAPACITY];
    private static int count;

    private MemfdPool() {}

    /**
     * A memfd named {@code name} of {@code length} bytes, all zero: a recycled one when there is one,
     * else a new one ({@code MFD_CLOEXEC|MFD_ALLOW_SEALING}).
     */
    public static int open(String name, long length) {
        boolean pooled = NAME.equals(name);
        long taken = pooled ? take(length) : -1;
        int fd;
        long size;
        if (taken >= 0) {
            fd = (int) taken;
            size = taken >>> 32;
        } else {
            fd = pooled ? C.memfd_create(ENCODED_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING)
                    : C.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
            size = 0;
        }
        try {
            if (length != size) {
                C.ftruncate(fd, length);
            }
        } catch (RuntimeException e) {
            C.close(fd);
            throw e;
        }
        return fd;
    }

    /**
     * A pooled memfd, preferably one of {@code length} bytes already.
     *
     * @return {@code size << 32 | fd} (pooled sizes are at most {@link #MAX_BYTES}), or -1 if the pool is empty
     */
    private static long take(long length) {
        int fd;
        long size;
        synchronized (LOCK) {
            if (count == 0) {
                return -1;
            }
            int pick = count - 1;
            for (int i = count - 1; i >= 0; i--) {
                if (SIZES[i] == length) {
                    pick = i;
                    break;
                }
            }
            fd = FDS[pick];
            size = SIZES[pick];
            count--;
            FDS[pick] = FDS[count];
            SIZES[pick] = SIZES[count];
        }
        return size << 32 | fd;
    }

    /**
     * Takes back the memfd of a store that is being closed, if it qualifies and there is room; the
     * caller vouches that the file never left the store and was never sealed.
     *
     * @param fds the store's memfds by segment; on success {@code fds[0]} is set to -1
     * @return whether the memfd was taken (else the caller closes it)
     */
    public static boolean recycle(String name, int[] fds, long size) {
        int fd = fds[0];
        if (fd < 0 || !NAME.equals(name) || Long.compareUnsigned(size, MAX_BYTES) > 0 || count >= CAPACITY) {
            return false;
        }
        for (int k = 1; k < fds.length; k++) {
            if (fds[k] >= 0) {
                return false;
            }
        }
        try {
            if (size != 0) {
                C.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, size);
            }
        } catch (RuntimeException e) {
            return false;
        }
        synchronized (LOCK) {
            if (count >= CAPACITY) {
                return false;
            }
            FDS[count] = fd;
            SIZES[count] = size;
            count++;
        }
        fds[0] = -1;
        return true;
    }

    /** @return how many memfds the pool holds open right now */
    public static int pooled() {
        synchronized (LOCK) {
            return count;
        }
    }

    /** @return the most memfds the pool may hold ({@code -Dzxmem.memfdPool}) */
    public static int capacity() {
        return CAPACITY;
    }

    /** Closes every pooled memfd. @return how many were closed */
    public static int drain() {
        int n = 0;
        while (true) {
            int fd = (int) take(-1);
            if (fd < 0) {
                return n;
            }
            try {
                C.close(fd);
            } catch (RuntimeException ignored) {
                // Gone either way.
            }
            n++;
        }
    }
}
