package io.zxmem.internal;

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
 * back truncates it to 0, which frees every page; the next VMO grows it with {@code ftruncate}, so it
 * reads zero everywhere, exactly as a new file does.
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
    private static int count;

    private MemfdPool() {}

    /**
     * A memfd named {@code name} of {@code length} bytes, all zero: a recycled one when there is one,
     * else a new one ({@code MFD_CLOEXEC|MFD_ALLOW_SEALING}).
     */
    public static int open(String name, long length) {
        boolean pooled = NAME.equals(name);
        int fd = pooled ? take() : -1;
        if (fd < 0) {
            fd = pooled ? C.memfd_create(ENCODED_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING)
                    : C.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        }
        try {
            if (length != 0) {
                C.ftruncate(fd, length);
            }
        } catch (RuntimeException e) {
            C.close(fd);
            throw e;
        }
        return fd;
    }

    private static int take() {
        synchronized (LOCK) {
            return count == 0 ? -1 : FDS[--count];
        }
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
            C.ftruncate(fd, 0);
        } catch (RuntimeException e) {
            return false;
        }
        synchronized (LOCK) {
            if (count >= CAPACITY) {
                return false;
            }
            FDS[count++] = fd;
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
            int fd = take();
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
