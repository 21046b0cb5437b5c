package io.zxmem.spi;

import io.zxmem.PageRequest;

/**
 * One user pager: the VMOs it backs and the queue of page requests they send it. Every method may be
 * called from any thread.
 */
public interface PagerEngine {

    /**
     * Makes the store of a new pager VMO.
     *
     * @param options {@code Vmo.RESIZABLE}, {@code Pager.TRAP_DIRTY}, {@code Vmo.UNBOUNDED} (validated)
     * @param size    the page-aligned size ({@code Vmo.MAX_SIZE} for UNBOUNDED)
     */
    PagerStore createStore(int options, long size);

    /**
     * Takes the oldest page request, waiting up to {@code timeoutNanos}.
     *
     * @throws io.zxmem.ZxException TIMED_OUT when none came in time; BAD_HANDLE when the pager was
     *                              closed; CANCELED when the thread was interrupted
     */
    PageRequest next(long timeoutNanos);

    /** @return how many requests wait to be taken with {@link #next} */
    int pendingRequests();

    /** The pager is gone: every VMO is detached (waiting accessors fail with BAD_STATE). Idempotent. */
    void close();
}
