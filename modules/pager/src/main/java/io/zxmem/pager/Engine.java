package io.zxmem.pager;

import io.zxmem.PageRequest;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.spi.PagerEngine;
import io.zxmem.spi.PagerStore;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One pager: its request queue (Zircon's port) and the page state of every VMO it backs, all under
 * one lock. One lock is enough: it is held only for bookkeeping and for copying supplied pages into
 * the VMO's memfd, never while an accessor waits (waiting releases it).
 */
final class Engine implements PagerEngine {
    final ReentrantLock lock = new ReentrantLock();
    /** Page state of some VMO changed: accessors re-check what they wait for. */
    final Condition changed = lock.newCondition();
    private final Condition queued = lock.newCondition();
    private final ArrayDeque<PageRequest> queue = new ArrayDeque<>();
    private final Set<PagedStore> stores = new HashSet<>();
    private boolean closed;
    /** Faults of other processes' direct lazy windows of this pager's VMOs. */
    final DirectServer direct = new DirectServer(this);
    /** Pager threads in {@link #next} polling the direct windows' userfaultfds instead of {@link #queued}. */
    private int pollers;
    /**
     * How long a pager thread polls natively before it looks again at what it waits for. Not what an
     * interrupt waits for (an interrupt wakes the poll), so tests may make it long.
     */
    static volatile long pollSliceNanos = TimeUnit.MILLISECONDS.toNanos(200);

    @Override
    public PagerStore createStore(int options, long size) {
        lock.lock();
        try {
            if (closed) {
                throw new ZxException(Status.ERR_BAD_STATE, "pager.create_vmo: the pager is closed");
            }
            PagedStore s = new PagedStore(this, options, size);
            stores.add(s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a request; the caller holds the lock. A closed pager takes no requests (its VMOs are detached). */
    void post(int command, long koid, long offset, long length) {
        if (!closed) {
            queue.add(new PageRequest(command, koid, offset, length));
            queued.signalAll();
            if (pollers > 0) {
                direct.wakePollers();
            }
        }
    }

    /** The store was destroyed; the caller holds the lock. */
    void forget(PagedStore s) {
        stores.remove(s);
    }

    @Override
    public PageRequest next(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new ZxException(Status.ERR_BAD_HANDLE, "pager.next: the pager is closed");
                }
                PageRequest r = queue.poll();
                if (r != null) {
                    if (pollers > 0 && !queue.isEmpty()) {
                        // This thread drained a wake-up that may have been meant for another poller too.
                        direct.wakePollers();
                    }
                    return r;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ZxException(Status.ERR_TIMED_OUT, "pager.next: no page request within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
                if (direct.hasWindows()) {
                    // Faults of other processes' direct windows wake this thread itself (see DirectServer);
                    // so does an interrupt, which ends the call as on the condition below: CANCELED, the
                    // thread's interrupt status still set.
                    if (Thread.currentThread().isInterrupted()) {
                        throw new ZxException(Status.ERR_CANCELED, "pager.next: the thread was interrupted");
                    }
                    pollers++;
                    lock.unlock();
                    boolean[] polling = {true};
                    boolean polled;
                    try {
                        // Once its poll returns, this thread needs no wake-up for the requests it queues itself.
                        polled = direct.pollFaults((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(left, pollSliceNanos))), () -> {
                            lock.lock();
                            pollers--;
                            polling[0] = false;
                            lock.unlock();
                        });
                    } finally {
                        lock.lock();
                        if (polling[0]) {
                            pollers--;
                        }
                    }
                    if (polled) {
                        continue;
                    }
                    // No descriptor for the wake-up: wait as without direct windows (the reader's sweep
                    // turns their faults into requests).
                }
                try {
                    queued.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ZxException(Status.ERR_CANCELED, "pager.next: the thread was interrupted");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A direct window came: a pager thread waiting in {@link #next} without any polls them now (threads
     * already polling need no wake-up: the window joined their epoll set).
     */
    void directChanged() {
        lock.lock();
        try {
            queued.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int pendingRequests() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (PagedStore s : stores) {
                s.detachLocked();
            }
            queue.clear();
            queued.signalAll();
            changed.signalAll();
            direct.wakePollers();
        } finally {
            lock.unlock();
        }
    }
}
