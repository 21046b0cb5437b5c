package io.zxmem;

import io.zxmem.internal.Os;
import io.zxmem.internal.Ranges;
import io.zxmem.linux.LinuxException;
import io.zxmem.spi.ChannelTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A listening channel endpoint on a filesystem path, made by {@link Channel#listen(Path)}: each
 * {@link #accept()} returns the server's end of a channel to one process that called
 * {@link Channel#connect(Path)}. {@link #close()} stops listening and removes the path.
 */
public final class ChannelServer implements AutoCloseable {
    private static final int SLICE_MILLIS = 100;

    private final ChannelTransport.Listener listener;
    private final Path path;
    // Accepts hold the read lock while they use the socket; close takes the write lock, so the
    // socket is never closed under a running accept.
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    ChannelServer(ChannelTransport.Listener listener, Path path) {
        this.listener = listener;
        this.path = path;
    }

    /** {@return the path this server listens on} */
    public Path path() {
        return path;
    }

    /**
     * Waits for the next connection; {@link #accept(Duration)} with no time limit.
     *
     * @return the server's end of the new channel, with {@link Channel#DEFAULT_RIGHTS}
     */
    public Channel accept() {
        return accept(null);
    }

    /**
     * Waits up to {@code timeout} (null: no limit) for the next connection.
     *
     * @param timeout how long to wait at most, null for no limit; negative means not at all, and very
     *                long ones (up to {@code Duration.ofSeconds(Long.MAX_VALUE)}) saturate
     * @return the server's end of the new channel, with {@link Channel#DEFAULT_RIGHTS}
     * @throws ZxException TIMED_OUT when nobody connected in time; BAD_HANDLE when the server is
     *                     closed; CANCELED when it is closed while waiting; NO_RESOURCES when out of
     *                     descriptors
     */
    public Channel accept(Duration timeout) {
        String op = "channel_server.accept(" + path + ")";
        if (closed) {
            throw Ranges.fail(Status.ERR_BAD_HANDLE, op, "the server is closed");
        }
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + nanos(timeout);
        while (true) {
            long left = timeout == null ? Long.MAX_VALUE : deadline - System.nanoTime();
            int slice = left <= 0 ? 0 : (int) Math.min(SLICE_MILLIS, (left + 999_999) / 1_000_000);
            ChannelTransport.Endpoint e;
            lock.readLock().lock();
            try {
                if (closed) {
                    throw Ranges.fail(Status.ERR_CANCELED, op, "the server was closed while waiting");
                }
                e = listener.accept(slice);
            } catch (LinuxException x) {
                throw Os.fail(op, x);
            } finally {
                lock.readLock().unlock();
            }
            if (e != null) {
                return Channel.accepted(e);
            }
            if (timeout != null && deadline - System.nanoTime() <= 0) {
                throw Ranges.fail(Status.ERR_TIMED_OUT, op, "nobody connected within " + timeout);
            }
        }
    }

    /** {@code timeout} in nanoseconds, 0 for negative ones, saturated at about 73 years (no overflow). */
    private static long nanos(Duration timeout) {
        if (timeout.isNegative()) {
            return 0;
        }
        try {
            return Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** Stops listening and removes the socket file. Idempotent. Channels already accepted stay open. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                listener.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "ChannelServer[" + path + (closed ? ", closed" : "") + "]";
    }
}
