package io.zxmem.linux.sys;

import static io.zxmem.linux.sys.SocketAbi.AF_UNIX;
import static io.zxmem.linux.sys.SocketAbi.SOCK_CLOEXEC;
import static io.zxmem.linux.sys.SocketAbi.SOCK_NONBLOCK;
import static io.zxmem.linux.sys.SocketAbi.SOCK_SEQPACKET;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.linux.LinuxException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket bindings against the real kernel, and the CMSG_* helpers against gcc. */
class SocketsTest {
    private static final Sockets S = Sockets.get();
    private static final LibC C = LibC.get();

    @Test
    void cmsgMacrosMatchGcc(@TempDir Path dir) throws Exception {
        Path headers = Path.of(System.getProperty("zx.nativeHeaders", "../../native-headers")).toAbsolutePath();
        StringBuilder c = new StringBuilder("#include \"zxmem_linux.h\"\n#include <stdio.h>\nint main(void) {\n")
                .append("  struct cmsghdr h; printf(\"%zu\\n\", (size_t)((unsigned char *)CMSG_DATA(&h) - (unsigned char *)&h));\n");
        int[] counts = {0, 1, 2, 3, 7, 64, 253};
        for (int n : counts) {
            c.append("  printf(\"%zu %zu\\n\", (size_t)CMSG_SPACE(").append(n).append(" * sizeof(int)), (size_t)CMSG_LEN(")
                    .append(n).append(" * sizeof(int)));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("cmsg.c");
        Path exe = dir.resolve("cmsg");
        Files.writeString(src, c);
        run(List.of("gcc", "-std=gnu11", "-Wall", "-Werror", "-I", headers.toString(), src.toString(), "-o", exe.toString()));
        String[] lines = run(List.of(exe.toString())).trim().split("\n");
        assertEquals(Long.parseLong(lines[0].trim()), SocketAbi.CMSG_LEN(0), "CMSG_DATA offset");
        for (int i = 0; i < counts.length; i++) {
            String[] p = lines[i + 1].trim().split(" ");
            assertEquals(Long.parseLong(p[0]), SocketAbi.CMSG_SPACE(4L * counts[i]), "CMSG_SPACE for " + counts[i] + " fds");
            assertEquals(Long.parseLong(p[1]), SocketAbi.CMSG_LEN(4L * counts[i]), "CMSG_LEN for " + counts[i] + " fds");
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    /** Sends one byte and {@code fds} with SCM_RIGHTS. */
    private static long send(Arena a, int sock, int[] fds) {
        MemorySegment msg = a.allocate(SocketAbi.MSGHDR);
        MemorySegment iov = a.allocate(SocketAbi.IOVEC);
        MemorySegment data = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 42);
        iov.set(ValueLayout.ADDRESS, 0, data);
        iov.set(ValueLayout.JAVA_LONG, 8, 1L);
        msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iov")), iov);
        msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iovlen")), 1L);
        if (fds.length > 0) {
            MemorySegment ctl = a.allocate(SocketAbi.CMSG_SPACE(4L * fds.length), 8);
            ctl.set(ValueLayout.JAVA_LONG, 0, SocketAbi.CMSG_LEN(4L * fds.length));
            ctl.set(ValueLayout.JAVA_INT, 8, SocketAbi.SOL_SOCKET);
            ctl.set(ValueLayout.JAVA_INT, 12, SocketAbi.SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                ctl.set(ValueLayout.JAVA_INT, SocketAbi.CMSG_LEN(0) + 4L * i, fds[i]);
            }
            msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_control")), ctl);
            msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_controllen")), ctl.byteSize());
        }
        return S.sendmsg(sock, msg, SocketAbi.MSG_NOSIGNAL);
    }

    @Test
    void scmRightsCarriesADescriptorThatSeesTheSameFile() {
        int[] sv = S.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        int memfd = C.memfd_create("sockets-test", Linux.MFD_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            C.ftruncate(memfd, 4096);
            assertEquals(1, send(a, sv[0], new int[] {memfd}));

            MemorySegment msg = a.allocate(SocketAbi.MSGHDR);
            MemorySegment iov = a.allocate(SocketAbi.IOVEC);
            MemorySegment buf = a.allocate(16);
            MemorySegment ctl = a.allocate(SocketAbi.CMSG_SPACE(4 * 4), 8);
            iov.set(ValueLayout.ADDRESS, 0, buf);
            iov.set(ValueLayout.JAVA_LONG, 8, buf.byteSize());
            msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iov")), iov);
            msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iovlen")), 1L);
            msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_control")), ctl);
            msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_controllen")), ctl.byteSize());
            assertEquals(1, S.recvmsg(sv[1], msg, SocketAbi.MSG_CMSG_CLOEXEC));
            assertEquals(42, buf.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(SocketAbi.CMSG_LEN(4), ctl.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(SocketAbi.SCM_RIGHTS, ctl.get(ValueLayout.JAVA_INT, 12));
            int got = ctl.get(ValueLayout.JAVA_INT, SocketAbi.CMSG_LEN(0));
            assertNotEquals(memfd, got);
            try {
                // The received descriptor names the same file: a byte written through it is read through the original.
                assertEquals(1, C.pwrite(got, a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 7), 1, 100));
                MemorySegment one = a.allocate(1);
                assertEquals(1, C.pread(memfd, one, 1, 100));
                assertEquals(7, one.get(ValueLayout.JAVA_BYTE, 0));
                assertEquals(Linux.FD_CLOEXEC, C.fcntl(got, Linux.F_GETFD, 0) & Linux.FD_CLOEXEC);
            } finally {
                C.close(got);
            }
        } finally {
            C.close(memfd);
            C.close(sv[0]);
            C.close(sv[1]);
        }
    }

    @Test
    void emptyNonBlockingQueueReturnsMinusOneAndClosedPeerZero() {
        int[] sv = S.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(SocketAbi.MSGHDR);
            MemorySegment iov = a.allocate(SocketAbi.IOVEC);
            iov.set(ValueLayout.ADDRESS, 0, a.allocate(8));
            iov.set(ValueLayout.JAVA_LONG, 8, 8L);
            msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iov")), iov);
            msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iovlen")), 1L);
            assertEquals(-1, S.recvmsg(sv[1], msg, 0));
            S.shutdown(sv[0], SocketAbi.SHUT_WR);
            assertEquals(0, S.recvmsg(sv[1], msg, 0));
            C.close(sv[0]);
            sv[0] = -1;
            LinuxException e = assertThrows(LinuxException.class, () -> send(a, sv[1], new int[0]));
            assertEquals("sendmsg", e.call());
            assertEquals(Errno.EPIPE, e.errno());
        } finally {
            if (sv[0] >= 0) {
                C.close(sv[0]);
            }
            C.close(sv[1]);
        }
    }

    @Test
    void listenConnectAcceptAndPeerCredentials(@TempDir Path dir) {
        String path = dir.resolve("s").toString();
        int server = S.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int client = S.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        int accepted = -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(SocketAbi.SOCKADDR_UN);
            int len = SocketAbi.sockaddrUn(addr, path);
            assertEquals(2 + path.getBytes(StandardCharsets.UTF_8).length + 1, len);
            S.bind(server, addr, len);
            S.listen(server, 8);
            assertEquals(-1, S.accept4(server, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC));
            S.connect(client, addr, len);
            accepted = S.accept4(server, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
            assertTrue(accepted >= 0);
            MemorySegment cred = a.allocate(SocketAbi.UCRED);
            MemorySegment credLen = a.allocateFrom(ValueLayout.JAVA_INT, (int) SocketAbi.UCRED.byteSize());
            S.getsockopt(accepted, SocketAbi.SOL_SOCKET, SocketAbi.SO_PEERCRED, cred, credLen);
            assertEquals(C.getpid(), cred.get(ValueLayout.JAVA_INT, 0));

            LinuxException e = assertThrows(LinuxException.class, () -> S.bind(
                    S.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), addr, len));
            assertEquals(Errno.EADDRINUSE, e.errno());
        } finally {
            C.close(server);
            C.close(client);
            if (accepted >= 0) {
                C.close(accepted);
            }
        }
    }

    @Test
    void tooLongPathIsRefused() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(SocketAbi.SOCKADDR_UN);
            assertThrows(IllegalArgumentException.class, () -> SocketAbi.sockaddrUn(addr, "/tmp/" + "x".repeat(200)));
        }
    }
}
