package io.zxmem.spi;

import java.nio.file.Path;
import java.util.List;

/**
 * Moves channel messages, bytes and handles, between processes of one machine. The core's
 * {@code io.zxmem.Channel} validates rights, consumes the sent handles and makes the received ones;
 * a transport moves bytes and descriptors and enforces, with the kernel, the rights each handle
 * travels with. Found with {@link java.util.ServiceLoader}; the module {@code io.zxmem.share}
 * provides one over Unix domain sockets.
 *
 * <p>Failures are {@code ZxException}s with the Zircon status a caller of {@code zx_channel_*} would
 * see, or a {@code LinuxException} that the core translates.
 */
public interface ChannelTransport {

    /** @return two connected endpoints */
    Endpoint[] pair();

    /** Listens on a filesystem path; ALREADY_EXISTS when something is there. */
    Listener listen(Path path);

    /** Connects to a listener; NOT_FOUND when nothing is at the path, PEER_CLOSED when nobody listens. */
    Endpoint connect(Path path);

    /** Wraps an endpoint received in a message; takes ownership of {@code fd}. */
    Endpoint adopt(int fd);

    /**
     * Called once a received VMO's descriptor belongs to {@code file}, the store of the new VMO: what
     * the transport learned about the file while checking it ({@link TransferredHandle#seals()}) then
     * spares a check when that VMO is sent on. Must not fail.
     */
    default void adopted(TransferredHandle received, SharedFile file) {}

    /** A message as received. Whoever holds it owns the descriptors of its handles. */
    record Received(byte[] data, List<TransferredHandle> handles) {}

    /** One end of a channel. Sends and receives may run on different threads at once. */
    interface Endpoint {
        /** Readiness bits of {@link #await}, Zircon's channel signal values. */
        int READABLE = 1 << 0;
        int WRITABLE = 1 << 1;
        int PEER_CLOSED = 1 << 2;

        /** @return the descriptor, to send this endpoint to another process */
        int fd();

        /**
         * Sends one message, first applying to each VMO's file the seals its rights call for.
         *
         * @return false when the peer's queue is full and nothing was sent
         */
        boolean send(byte[] data, List<TransferredHandle> handles);

        /**
         * Receives one message, waiting at most {@code timeoutMillis} (0: do not wait).
         *
         * @return the message, or null when none arrived in time
         * @throws RuntimeException PEER_CLOSED when the peer is gone and nothing is queued; IO for a
         *                          malformed message (its descriptors are closed)
         */
        Received receive(int timeoutMillis);

        /**
         * Waits at most {@code timeoutMillis} until one of {@code signals} is asserted.
         *
         * @return the readiness bits asserted now
         */
        int await(int signals, int timeoutMillis);

        /** Closes the descriptor. Called once, when no operation is running on the endpoint. */
        void close();
    }

    /** A listening socket. */
    interface Listener {
        /** @return a connected endpoint, or null when nobody connected within {@code timeoutMillis} */
        Endpoint accept(int timeoutMillis);

        /** Closes the socket and removes its path. Called once, when no accept is running. */
        void close();
    }
}
