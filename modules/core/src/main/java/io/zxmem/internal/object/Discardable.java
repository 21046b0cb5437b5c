package io.zxmem.internal.object;

import io.zxmem.LockState;
import io.zxmem.Status;
import io.zxmem.ZxException;

/**
 * The lock state of one discardable VMO: locked n times, unlocked, or discarded.
 *
 * <p>Linux never discards shmem pages by itself (no MADV_FREE on shared mappings, and without swap
 * nothing reclaims them), so discarding is zxmem's job, as Chromium's discardable memory does it:
 * the {@link Purger} discards unlocked VMOs under memory pressure, past a budget, or on demand.
 */
final class Discardable {
    private int locks;
    private boolean discarded;
    /** Position in the purger's least-recently-unlocked order. */
    long unlockedAt;

    /** LOCK: always succeeds; reports the whole range discarded if it was. */
    synchronized LockState lock(long size) {
        boolean was = discarded;
        discarded = false;
        locks++;
        return new LockState(0, size, 0, was ? size : 0);
    }

    /** TRY_LOCK: fails with UNAVAILABLE if the VMO was discarded. */
    synchronized LockState tryLock(long size) {
        if (discarded) {
            throw new ZxException(Status.ERR_UNAVAILABLE, "vmo.op_range(TRY_LOCK): the VMO was discarded; LOCK it to reuse it");
        }
        locks++;
        return new LockState(0, size, 0, 0);
    }

    /** UNLOCK: BAD_STATE when not locked. @return whether the VMO is now unlocked */
    synchronized boolean unlock() {
        if (locks == 0) {
            throw new ZxException(Status.ERR_BAD_STATE, "vmo.op_range(UNLOCK): the VMO is not locked");
        }
        return --locks == 0;
    }

    synchronized boolean unlockedAndKept() {
        return locks == 0 && !discarded;
    }

    /** Marks the VMO discarded if it is unlocked and not yet discarded. @return whether it did */
    synchronized boolean markDiscarded() {
        if (locks != 0 || discarded) {
            return false;
        }
        discarded = true;
        return true;
    }

    synchronized boolean isLocked() {
        return locks > 0;
    }
}
