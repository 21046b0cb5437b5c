package io.zxmem.internal.object;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.ChannelTransport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;

/**
 * One end of a channel: the transport endpoint behind every handle to it. Operations retain the
 * object while they run, so the endpoint's descriptor is closed only after the last handle is gone
 * and no read, write or wait is using it.
 *
 * <p>A wait for user signals and socket readiness at once polls the socket and an eventfd of its own,
 * registered here; every change of the signal word writes to the registered eventfds.
 */
public final class ChannelObject extends KernelObject {
    private static final LibC C = LibC.get();

    private final ChannelTransport.Endpoint endpoint;
    /** Eventfds of current waiters; guarded by itself (a descriptor is never written after its close). */
    private final Set<Integer> wakers = new HashSet<>();

    public ChannelObject(ChannelTransport.Endpoint endpoint) {
        super(0);
        this.endpoint = endpoint;
    }

    public ChannelTransport.Endpoint endpoint() {
        return endpoint;
    }

    /** @return a new non-blocking eventfd that is written whenever the signals change; give it back with {@link #unregister} */
    public int register() {
        int fd = C.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        synchronized (wakers) {
            wakers.add(fd);
        }
        return fd;
    }

    /** Forgets and closes an eventfd from {@link #register}. */
    public void unregister(int fd) {
        synchronized (wakers) {
            wakers.remove(fd);
        }
        C.close(fd);
    }

    @Override
    protected void signalled() {
        synchronized (wakers) {
            if (wakers.isEmpty()) {
                return;
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment one = a.allocateFrom(ValueLayout.JAVA_LONG, 1L);
                for (int fd : wakers) {
                    try {
                        C.write(fd, one, 8);
                    } catch (RuntimeException full) {
                        // EAGAIN: the counter is already far from zero, so the waiter wakes anyway.
                    }
                }
            }
        }
    }

    @Override
    protected void destroy() {
        endpoint.close();
    }
}
