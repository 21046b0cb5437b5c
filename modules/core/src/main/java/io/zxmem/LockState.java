package io.zxmem;

/**
 * The result of locking a discardable VMO ({@code zx_vmo_lock_state_t}): the locked range, and the
 * range that was discarded while the VMO was unlocked (size 0 when nothing was).
 *
 * @param offset          where the locked range starts
 * @param size            its length in bytes
 * @param discardedOffset where the discarded range starts
 * @param discardedSize   its length in bytes, 0 when nothing was discarded
 */
public record LockState(long offset, long size, long discardedOffset, long discardedSize) {
    /** Byte size of the C struct that LOCK fills. */
    public static final int BYTES = 32;

    /** {@return whether any of the locked range was discarded before this lock} */
    public boolean discarded() {
        return discardedSize != 0;
    }
}
