package io.zxmem.share;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.SocketAbi;
import io.zxmem.linux.sys.Sockets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile or broken peer that speaks raw sockets: every malformed record is reported as IO with
 * what was wrong, every descriptor that came with it is closed, and the channel stays usable.
 */
class MalformedMessageTest {
    private static final LibC C = LibC.get();
    private static final Sockets S = Sockets.get();
    private static final long P = Zx.pageSize();
    private static final int RO = Rights.DEFAULT_VMO & ~Rights.WRITE;

    @TempDir
    Path dir;
    private ChannelServer server;
    private Channel channel;
    private int raw = -1;
    private final List<Integer> mine = new ArrayList<>();

    @BeforeEach
    void connectARawPeer() {
        server = Channel.listen(dir.resolve("s"));
        raw = S.socket(SocketAbi.AF_UNIX, SocketAbi.SOCK_SEQPACKET | SocketAbi.SOCK_CLOEXEC, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(SocketAbi.SOCKADDR_UN);
            S.connect(raw, addr, SocketAbi.sockaddrUn(addr, dir.resolve("s").toString()));
        }
        channel = server.accept(Duration.ofSeconds(5));
    }

    @AfterEach
    void closeEverything() {
        channel.close();
        server.close();
        if (raw >= 0) {
            C.close(raw);
        }
        for (int fd : mine) {
            C.close(fd);
        }
    }

    /** A memfd of one page, sealed as a handle with {@code rights} would be. */
    private int memfd(int seals) {
        return Fds.sealedMemfd("malformed", seals, mine);
    }

    private static ByteBuffer header(int handles, int data) {
        ByteBuffer b = ByteBuffer.allocate(16 + 72 * handles + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x3143585A).putShort((short) 1).putShort((short) handles).putInt(data).putInt(16 + 72 * handles);
        return b;
    }

    private static void vmoRecord(ByteBuffer b, int rights, long size) {
        b.putInt(1).putInt(rights).putInt(0).putInt(0).putLong(0).putLong(size).putLong(size);
        b.put("raw".getBytes(StandardCharsets.UTF_8)).put(new byte[29]);
    }

    private void send(byte[] record, int... fds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(SocketAbi.MSGHDR);
            MemorySegment iov = a.allocate(SocketAbi.IOVEC);
            MemorySegment data = a.allocate(Math.max(1, record.length));
            MemorySegment.copy(record, 0, data, ValueLayout.JAVA_BYTE, 0, record.length);
            iov.set(ValueLayout.ADDRESS, 0, data);
            iov.set(ValueLayout.JAVA_LONG, 8, (long) record.length);
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
            assertEquals(record.length, S.sendmsg(raw, msg, SocketAbi.MSG_NOSIGNAL));
        }
    }

    /** The next read fails with {@code status} naming {@code what}; no descriptor is left behind. */
    private void expect(Status status, String what, Runnable sendIt) {
        int before = Fds.count();
        sendIt.run();
        for (int fd : mine) {
            C.close(fd);
        }
        mine.clear();
        int sent = Fds.count();
        ZxException e = assertThrows(ZxException.class, () -> channel.read(Duration.ofSeconds(5)));
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertEquals(sent, Fds.count(), "descriptors received with a bad message must be closed: " + e.getMessage());
        assertTrue(sent <= before);
        // The channel still works: a well-formed message after the bad one is read normally.
        ByteBuffer ok = header(0, 2);
        ok.put((byte) 'o').put((byte) 'k');
        send(ok.array());
        assertArrayEquals("ok".getBytes(StandardCharsets.UTF_8), channel.read(Duration.ofSeconds(5)).data());
    }

    @Test
    void badMagicOrVersion() {
        expect(Status.ERR_IO, "bad magic", () -> {
            ByteBuffer b = header(1, 0);
            b.putInt(0, 0xDEADBEEF);
            vmoRecord(b, RO, P);
            send(b.array(), memfd(Seals.needed(RO)));
        });
        expect(Status.ERR_IO, "unknown version", () -> {
            ByteBuffer b = header(0, 0);
            b.putShort(4, (short) 7);
            send(b.array());
        });
    }

    @Test
    void truncatedRecords() {
        expect(Status.ERR_IO, "less than the 16-byte header", () -> send(new byte[] {1, 2, 3}, memfd(0)));
        expect(Status.ERR_IO, "truncated", () -> {
            ByteBuffer b = header(1, 10);
            vmoRecord(b, RO, P);
            byte[] cut = new byte[b.capacity() - 4];
            System.arraycopy(b.array(), 0, cut, 0, cut.length);
            send(cut, memfd(Seals.needed(RO)));
        });
        expect(Status.ERR_IO, "an empty record", () -> send(new byte[0], memfd(0)));
    }

    @Test
    void descriptorsThatDoNotMatchTheHeader() {
        expect(Status.ERR_IO, "announces 1 handles but 0 descriptors", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            send(b.array());
        });
        expect(Status.ERR_IO, "announces 0 handles but 2 descriptors", () -> send(header(0, 0).array(),
                memfd(0), memfd(0)));
        // The control buffer takes 128 descriptors: 64 handles, each with a pager link at most.
        expect(Status.ERR_IO, "more descriptors than 128", () -> {
            int[] fds = new int[134];
            for (int i = 0; i < fds.length; i++) {
                fds[i] = memfd(0);
            }
            send(header(0, 0).array(), fds);
        });
    }

    @Test
    void pagerLinksThatDoNotMatch() {
        // A LINK flag (bit 0 of the flags word) promises a second descriptor; a missing one is malformed.
        expect(Status.ERR_IO, "announces 1 handles and 1 pager links but 1 descriptors", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            b.putInt(16 + 12, 1);
            send(b.array(), memfd(Seals.needed(RO)));
        });
        // A link that is not a SOCK_SEQPACKET socket is malformed; both descriptors are closed.
        expect(Status.ERR_IO, "pager link: the descriptor is not a socket", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            b.putInt(16 + 12, 1);
            send(b.array(), memfd(Seals.needed(RO)), memfd(0));
        });
        // Unknown flag bits stay malformed.
        expect(Status.ERR_IO, "reserved bits set", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            b.putInt(16 + 12, 2);
            send(b.array(), memfd(Seals.needed(RO)));
        });
    }

    @Test
    void aRecordLongerThanAnyMessage() {
        expect(Status.ERR_IO, "longer than the largest message", () -> send(new byte[16 + 72 * 64 + 65536 + 1], memfd(0)));
    }

    @Test
    void descriptorsOfTheWrongKind() {
        expect(Status.ERR_IO, "not a regular file", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            send(b.array(), raw);
        });
        expect(Status.ERR_IO, "not a memfd", () -> {
            int fd = C.open(dir.toString(), Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
            mine.add(fd);
            int file = C.open(dir.resolve("plain").toString(), Linux.O_RDWR | Linux.O_CLOEXEC | 0100, 0600);
            mine.add(file);
            C.ftruncate(file, P);
            ByteBuffer b = header(1, 0);
            vmoRecord(b, Rights.DEFAULT_VMO, P);
            send(b.array(), file);
        });
        expect(Status.ERR_IO, "not a socket", () -> {
            ByteBuffer b = header(1, 0);
            b.putInt(2).putInt(Channel.DEFAULT_RIGHTS).put(new byte[64]);
            send(b.array(), memfd(0));
        });
        expect(Status.ERR_IO, "unknown handle type", () -> {
            ByteBuffer b = header(1, 0);
            b.putInt(9).putInt(0).put(new byte[64]);
            send(b.array(), memfd(0));
        });
    }

    @Test
    void rightsTheMemoryDoesNotEnforce() {
        expect(Status.ERR_IO, "lacks the seals", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            send(b.array(), memfd(0));
        });
        expect(Status.ERR_IO, "not open for writing", () -> {
            int fd = memfd(Seals.needed(Rights.DEFAULT_VMO));
            int ro = C.open("/proc/self/fd/" + fd, Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
            mine.add(ro);
            ByteBuffer b = header(1, 0);
            vmoRecord(b, Rights.DEFAULT_VMO, P);
            send(b.array(), ro);
        });
        expect(Status.ERR_IO, "VMO of " + 4 * P + " bytes in a file of " + P, () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, 4 * P);
            send(b.array(), memfd(Seals.needed(RO)));
        });
        expect(Status.ERR_IO, "not page-aligned", () -> {
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P + 1);
            send(b.array(), memfd(Seals.needed(RO)));
        });
    }

    /** Sends {@code fd} as a one-page VMO with {@code rights} and expects it accepted; closes the handle. */
    private void accepted(int fd, int rights) {
        ByteBuffer b = header(1, 0);
        vmoRecord(b, rights, P);
        send(b.array(), fd);
        try (Message m = channel.read(Duration.ofSeconds(5))) {
            assertEquals(rights, m.handle(0, Vmo.class).rights());
        }
    }

    /**
     * The receiver remembers what it checked about a file (FileFacts) and does not ask again: still,
     * a record claiming a seal the file lacks, or more bytes than it has, is caught the second time
     * as the first, since a needed seal that is not known is read from the kernel and the size comes
     * from the fstat every received VMO gets.
     */
    @Test
    void aFileSeenBeforeIsCheckedAgainForWhatItsRecordClaims() {
        int fd = memfd(Seals.needed(Rights.DEFAULT_VMO));
        accepted(fd, Rights.DEFAULT_VMO);
        accepted(fd, Rights.DEFAULT_VMO);
        mine.remove((Integer) fd);
        expect(Status.ERR_IO, "lacks the seals", () -> {
            mine.add(fd);
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, P);
            send(b.array(), fd);
        });
        int fd2 = memfd(Seals.needed(RO));
        accepted(fd2, RO);
        mine.remove((Integer) fd2);
        expect(Status.ERR_IO, "VMO of " + 4 * P + " bytes in a file of " + P, () -> {
            mine.add(fd2);
            ByteBuffer b = header(1, 0);
            vmoRecord(b, RO, 4 * P);
            send(b.array(), fd2);
        });
    }

    /**
     * What the receiver no longer looks at again for a file it accepted with WRITE before: the
     * access mode of a new descriptor of it, and seals added to it since (both could only make a WRITE
     * handle useless, which a sender can always do after any check by adding F_SEAL_FUTURE_WRITE).
     * Such a VMO is accepted, and its first use fails with a ZxException, never a crash or a leak.
     */
    @Test
    void aWritableFileSeenBeforeThatCannotBeWrittenFailsOnFirstUse() {
        // Before Linux 5.9 memfd inode numbers could repeat, so nothing is remembered: such a record
        // is then refused when read, as any file never seen before (rightsTheMemoryDoesNotEnforce).
        org.junit.jupiter.api.Assumptions.assumeTrue(FileFacts.kernelAtLeast(5, 9));
        int fd = memfd(Seals.needed(Rights.DEFAULT_VMO));
        accepted(fd, Rights.DEFAULT_VMO);
        int ro = C.open("/proc/self/fd/" + fd, Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        mine.add(ro);
        acceptedButUnusable(ro);
        C.fcntl(fd, Linux.F_ADD_SEALS, Linux.F_SEAL_FUTURE_WRITE);
        acceptedButUnusable(fd);
    }

    /** Sends {@code fd} as a one-page WRITE VMO: accepted, and its reads and writes fail with ACCESS_DENIED. */
    private void acceptedButUnusable(int fd) {
        ByteBuffer b = header(1, 0);
        vmoRecord(b, Rights.DEFAULT_VMO, P);
        send(b.array(), fd);
        try (Message m = channel.read(Duration.ofSeconds(5))) {
            Vmo v = m.handle(0, Vmo.class);
            ZxException e = assertThrows(ZxException.class, () -> v.write(new byte[] {1}, 0));
            assertEquals(Status.ERR_ACCESS_DENIED, e.status(), e.getMessage());
            e = assertThrows(ZxException.class, () -> v.read(new byte[1], 0));
            assertEquals(Status.ERR_ACCESS_DENIED, e.status(), e.getMessage());
        }
    }

    @Test
    void aWellFormedRawMessageIsAccepted() {
        int fd = memfd(Seals.needed(RO));
        ByteBuffer b = header(1, 3);
        vmoRecord(b, RO, P);
        b.put("raw".getBytes(StandardCharsets.UTF_8));
        send(b.array(), fd);
        try (Message m = channel.read(Duration.ofSeconds(5))) {
            assertArrayEquals("raw".getBytes(StandardCharsets.UTF_8), m.data());
            Vmo v = m.handle(0, Vmo.class);
            assertEquals(RO, v.rights());
            assertEquals("raw", v.name());
            assertEquals(P, v.size());
        }
    }

    @Test
    void aRawPeerThatHangsUpIsPeerClosed() {
        C.close(raw);
        raw = -1;
        assertEquals(Status.ERR_PEER_CLOSED, assertThrows(ZxException.class, () -> channel.read(Duration.ofSeconds(5))).status());
    }
}
