package io.zxmem.linux.sys;

import io.zxmem.linux.LinuxException;
import java.lang.foreign.MemorySegment;

/**
 * The socket calls zxmem's channels use (Unix domain sockets carrying descriptors), one method per C
 * function, named after it. Structs are laid out as in {@link SocketAbi}.
 *
 * <p>Failures throw {@link LinuxException} with the call's own errno. Calls that a signal can
 * interrupt are retried on {@code EINTR}, except {@code connect}, whose retry would report
 * {@code EALREADY}. Calls that may find nothing to do on a non-blocking socket return {@code -1} for
 * {@code EAGAIN} instead of throwing, so that a full or empty queue costs no exception.
 */
public interface Sockets {

    /** @return the process-wide implementation, backed by FFM downcalls */
    static Sockets get() {
        return FfmSockets.INSTANCE;
    }

    int socket(int domain, int type, int protocol);

    /** @return the two connected descriptors */
    int[] socketpair(int domain, int type, int protocol);

    void bind(int fd, MemorySegment addr, int addrlen);

    void listen(int fd, int backlog);

    /** @return the accepted descriptor, or {@code -1} for EAGAIN. {@code addr}, {@code addrlen} may be NULL. */
    int accept4(int fd, MemorySegment addr, MemorySegment addrlen, int flags);

    void connect(int fd, MemorySegment addr, int addrlen);

    /** @return bytes sent, or {@code -1} for EAGAIN */
    long sendmsg(int fd, MemorySegment msg, int flags);

    /** @return bytes received (0: the peer closed its end), or {@code -1} for EAGAIN */
    long recvmsg(int fd, MemorySegment msg, int flags);

    void shutdown(int fd, int how);

    /** {@code getsockopt}; {@code len} is a {@code socklen_t} holding the size of {@code value}. */
    void getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len);
}
