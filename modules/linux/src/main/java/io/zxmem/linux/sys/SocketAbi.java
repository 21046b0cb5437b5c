package io.zxmem.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * Constants and struct layouts of Unix domain sockets and ancillary data ({@code <sys/socket.h>},
 * {@code <sys/un.h>}), for x86-64 and aarch64 Linux with glibc. Names are the C names; the header test
 * checks every one. The {@code CMSG_*} function-like macros cannot be fields, so they are methods here,
 * computed from {@link #CMSGHDR} with the C definitions, and {@code SocketsTest} compares them with
 * what gcc computes.
 */
@HeaderChecked
public final class SocketAbi {
    private SocketAbi() {}

    // <sys/socket.h>
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_TYPE = 3;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_PEERCRED = 17;
    public static final int SCM_RIGHTS = 1;
    public static final int SCM_CREDENTIALS = 2;
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    // <poll.h> with _GNU_SOURCE: the peer shut its end for writing (or closed it)
    public static final short POLLRDHUP = 0x2000;

    // <sys/stat.h> file types: what a received descriptor is (a memfd is S_IFREG, a channel S_IFSOCK)
    public static final int S_IFMT = 0170000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFSOCK = 0140000;

    /** {@code struct iovec}. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len")).withName("iovec");

    /** {@code struct msghdr}. */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"),
            JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4)).withName("msghdr");

    /** {@code struct cmsghdr}; the data ({@code CMSG_DATA}) follows at {@code CMSG_LEN(0)}. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            JAVA_LONG.withName("cmsg_len"),
            JAVA_INT.withName("cmsg_level"),
            JAVA_INT.withName("cmsg_type")).withName("cmsghdr");

    /** {@code struct sockaddr_un}. */
    public static final StructLayout SOCKADDR_UN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sun_family"),
            MemoryLayout.sequenceLayout(108, JAVA_BYTE).withName("sun_path")).withName("sockaddr_un");

    /** {@code struct ucred} (what {@code SO_PEERCRED} reports). */
    public static final StructLayout UCRED = MemoryLayout.structLayout(
            JAVA_INT.withName("pid"),
            JAVA_INT.withName("uid"),
            JAVA_INT.withName("gid")).withName("ucred");

    /** Bytes of {@code sun_path}, the terminating NUL included. */
    public static int sunPathMax() {
        return (int) SOCKADDR_UN.select(MemoryLayout.PathElement.groupElement("sun_path")).byteSize();
    }

    /** {@code CMSG_ALIGN(len)}: ancillary data is aligned to {@code sizeof(size_t)}. */
    public static long CMSG_ALIGN(long len) {
        return (len + 8 - 1) & ~(8L - 1);
    }

    /** {@code CMSG_LEN(len)}: the {@code cmsg_len} of a message carrying {@code len} data bytes. */
    public static long CMSG_LEN(long len) {
        return CMSG_ALIGN(CMSGHDR.byteSize()) + len;
    }

    /** {@code CMSG_SPACE(len)}: the control buffer bytes a message of {@code len} data bytes takes. */
    public static long CMSG_SPACE(long len) {
        return CMSG_ALIGN(CMSGHDR.byteSize()) + CMSG_ALIGN(len);
    }

    /**
     * Fills {@code addr} (at least {@code SOCKADDR_UN.byteSize()} bytes) with an {@code AF_UNIX} address
     * for {@code path}.
     *
     * @return the address length to pass to {@code bind} or {@code connect}
     * @throws IllegalArgumentException when the path, as UTF-8 plus its NUL, does not fit {@code sun_path}
     */
    public static int sockaddrUn(java.lang.foreign.MemorySegment addr, String path) {
        byte[] b = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long at = SOCKADDR_UN.byteOffset(MemoryLayout.PathElement.groupElement("sun_path"));
        if (b.length + 1 > sunPathMax()) {
            throw new IllegalArgumentException("socket path is " + b.length + " bytes; at most "
                    + (sunPathMax() - 1) + " fit in sun_path: " + path);
        }
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                throw new IllegalArgumentException("socket path contains a NUL byte: " + path);
            }
        }
        addr.asSlice(0, SOCKADDR_UN.byteSize()).fill((byte) 0);
        addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
        java.lang.foreign.MemorySegment.copy(b, 0, addr, JAVA_BYTE, at, b.length);
        return (int) (at + b.length + 1);
    }
}
