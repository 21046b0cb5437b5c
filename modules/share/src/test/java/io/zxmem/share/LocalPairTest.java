package io.zxmem.share;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
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
import io.zxmem.spi.ChannelTransport.Endpoint;
import io.zxmem.spi.ChannelTransport.Received;
import io.zxmem.spi.SharedFile;
import io.zxmem.spi.TransferredHandle;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The in-process rule (LocalPair): on a pair made by createPair whose ends never left the process, a
 * received VMO is checked from what its sender knew instead of with fstat and F_GET_SEALS; once either
 * end went into a message, every record is checked in full again, so a peer in another process can
 * never pass off its records as ours.
 */
class LocalPairTest {
    private static final LibC C = LibC.get();
    private static final Sockets S = Sockets.get();
    private static final long P = Zx.pageSize();
    private static final int RO = Rights.DEFAULT_VMO & ~Rights.WRITE;
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final UnixTransport transport = new UnixTransport();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        for (Endpoint e : endpoints) {
            e.close();
        }
        for (int fd : fds) {
            C.close(fd);
        }
    }

    private SocketEndpoint[] pair() {
        Endpoint[] e = transport.pair();
        endpoints.addAll(Arrays.asList(e));
        return new SocketEndpoint[] {(SocketEndpoint) e[0], (SocketEndpoint) e[1]};
    }

    /** A memfd of one page, with {@code seals} on it. */
    private int memfd(int seals) {
        return Fds.sealedMemfd("local-pair", seals, fds);
    }

    /** A store of this process, as far as the transport is concerned: the file behind a VMO. */
    private record File(int fd) implements SharedFile {
        @Override
        public int sharedFd() {
            return fd;
        }

        @Override
        public long sharedOffset() {
            return 0;
        }

        @Override
        public boolean prepareWriteSeal() {
            return true;
        }
    }

    private static TransferredHandle vmo(int rights, int fd, SharedFile file) {
        return new TransferredHandle(TransferredHandle.TYPE_VMO, rights, fd, 0, P, P, 0, "local", file);
    }

    /** Writes a record with {@code handles}' descriptors straight to {@code fd}, as a peer in another process does. */
    private static void rawSend(int fd, TransferredHandle... handles) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(WireFormat.MAX_RECORD, 8);
            int length = WireFormat.encode(buf, new byte[0], List.of(handles));
            MemorySegment msg = a.allocate(SocketAbi.MSGHDR);
            MemorySegment iov = a.allocate(SocketAbi.IOVEC);
            iov.set(ValueLayout.ADDRESS, 0, buf);
            iov.set(ValueLayout.JAVA_LONG, 8, (long) length);
            msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iov")), iov);
            msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_iovlen")), 1L);
            MemorySegment ctl = a.allocate(SocketAbi.CMSG_SPACE(4L * handles.length), 8);
            ctl.set(ValueLayout.JAVA_LONG, 0, SocketAbi.CMSG_LEN(4L * handles.length));
            ctl.set(ValueLayout.JAVA_INT, 8, SocketAbi.SOL_SOCKET);
            ctl.set(ValueLayout.JAVA_INT, 12, SocketAbi.SCM_RIGHTS);
            for (int i = 0; i < handles.length; i++) {
                ctl.set(ValueLayout.JAVA_INT, SocketAbi.CMSG_LEN(0) + 4L * i, handles[i].fd());
            }
            msg.set(ValueLayout.ADDRESS, SocketAbi.MSGHDR.byteOffset(groupElement("msg_control")), ctl);
            msg.set(ValueLayout.JAVA_LONG, SocketAbi.MSGHDR.byteOffset(groupElement("msg_controllen")), ctl.byteSize());
            assertEquals(length, S.sendmsg(fd, msg, SocketAbi.MSG_NOSIGNAL));
        }
    }

    /** The memo a sender of this process leaves for a read-only VMO whose file carries every seal. */
    private static long[] sealedReadOnlyMemo() {
        return new long[] {Seals.needed(RO), P};
    }

    private static Received receive(SocketEndpoint e) {
        Received r = e.receive(1000);
        assertNotNull(r, "nothing arrived");
        return r;
    }

    @Test
    void aPairIsLocalUntilOneOfItsEndsIsSent() {
        SocketEndpoint[] e = pair();
        SocketEndpoint[] carrier = pair();
        assertTrue(e[0].isLocal() && e[1].isLocal());
        assertTrue(carrier[0].send(new byte[0], List.of(TransferredHandle.channel(Channel.DEFAULT_RIGHTS, e[1].fd()))));
        assertFalse(e[0].isLocal(), "the end that stayed");
        assertFalse(e[1].isLocal(), "the end that went");
        assertTrue(carrier[0].isLocal(), "the pair that carried it is still only in this process");
        Received r = receive(carrier[1]);
        endpoints.add(transport.adopt(r.handles().get(0).fd()));
        assertFalse(((SocketEndpoint) endpoints.getLast()).isLocal(), "a received end is never local");
    }

    @Test
    void aPairWhoseEndGoesAsAPagerLinkIsNotLocalAnyMore() {
        SocketEndpoint[] link = pair();
        SocketEndpoint[] carrier = pair();
        int fd = memfd(0);
        TransferredHandle paged = new TransferredHandle(TransferredHandle.TYPE_VMO, Rights.DEFAULT_VMO, fd, 0, P, P, 0,
                "paged", new File(fd), link[1].fd());
        assertTrue(carrier[0].send(new byte[0], List.of(paged)));
        assertFalse(link[0].isLocal(), "the pager's end hears from another process now");
        TransferredHandle got = receive(carrier[1]).handles().get(0);
        fds.add(got.fd());
        fds.add(got.linkFd());
        assertFalse(got.sizeFrozen(), "a VMO with a pager link is checked in full");
    }

    @Test
    void aPairWhoseEndLeftChecksEveryRecordInFull() {
        SocketEndpoint[] e = pair();
        SocketEndpoint[] carrier = pair();
        // The end goes to "another process" (here: whoever reads the carrier), which can now write records
        // that a receiver must not take for ours, even with a memo of ours waiting: say a send of this
        // process pushed one and its sendmsg lands after the peer's record.
        assertTrue(carrier[0].send(new byte[0], List.of(TransferredHandle.channel(Channel.DEFAULT_RIGHTS, e[1].fd()))));
        int peer = receive(carrier[1]).handles().get(0).fd();
        fds.add(peer);
        e[0].pair().toward(0).push(sealedReadOnlyMemo());
        // A read-only record whose memfd has no seal at all: the full check sees it.
        rawSend(peer, vmo(RO, memfd(0), null));
        ZxException x = assertThrows(ZxException.class, () -> e[0].receive(1000));
        assertEquals(Status.ERR_IO, x.status());
        assertTrue(x.getMessage().contains("lacks the seals"), x.getMessage());
    }

    @Test
    void onALocalPairTheMemoIsWhatIsChecked() {
        // What the test above relies on: on a pair still local, a record is taken with its memo and no
        // system call; only this process can write to it, so the memo is true (here the test lies).
        SocketEndpoint[] e = pair();
        e[0].pair().toward(0).push(sealedReadOnlyMemo());
        rawSend(e[1].fd(), vmo(RO, memfd(0), null));
        Received r = receive(e[0]);
        fds.add(r.handles().get(0).fd());
        assertEquals(Seals.needed(RO), r.handles().get(0).seals());
        assertTrue(r.handles().get(0).sizeFrozen());
    }

    @Test
    void aMemoWithoutWhatTheRightsNeedFallsBackToTheFullCheck() {
        SocketEndpoint[] e = pair();
        // No seals known, or no size known for a handle without RESIZE: the kernel is asked.
        e[0].pair().toward(0).push(new long[] {0, P});
        rawSend(e[1].fd(), vmo(RO, memfd(0), null));
        assertEquals(Status.ERR_IO, assertThrows(ZxException.class, () -> e[0].receive(1000)).status());
        e[0].pair().toward(0).push(new long[] {Seals.needed(RO), -1});
        rawSend(e[1].fd(), vmo(RO, memfd(Seals.needed(RO)), null));
        Received r = receive(e[0]);
        fds.add(r.handles().get(0).fd());
        assertFalse(r.handles().get(0).sizeFrozen(), "checked in full: the size read may predate the seals");
        assertEquals(0, e[0].pair().toward(0).size());
    }

    @Test
    void aSenderLeavesItsFactsForTheReceiver() {
        SocketEndpoint[] e = pair();
        int fd = memfd(0);
        File file = new File(fd);
        assertTrue(e[1].send(new byte[0], List.of(vmo(RO, fd, file))));
        assertEquals(1, e[0].pair().toward(0).size());
        Received r = receive(e[0]);
        TransferredHandle h = r.handles().get(0);
        fds.add(h.fd());
        assertEquals(0, e[0].pair().toward(0).size());
        assertEquals(Seals.needed(RO), h.seals() & Seals.needed(RO));
        assertEquals(P, h.fileSize());
        assertTrue(h.sizeFrozen(), "sealed before the sender read its size");
        assertEquals(Seals.needed(RO), C.fcntl(fd, Linux.F_GET_SEALS, 0) & Seals.needed(RO), "the seals are really on");
    }

    @Test
    void aSendThatFailsTakesItsMemoBack() {
        SocketEndpoint[] e = pair();
        int fd = memfd(0);
        File file = new File(fd);
        int sent = 0;
        while (e[1].send(new byte[64], List.of())) {
            sent++;
            assertTrue(sent < 1_000_000, "the queue never filled");
        }
        assertFalse(e[1].send(new byte[0], List.of(vmo(Rights.DEFAULT_VMO, fd, file))), "the queue is full");
        assertEquals(sent, e[0].pair().toward(0).size(), "one memo per record that went out");
        for (int i = 0; i < sent; i++) {
            assertEquals(64, receive(e[0]).data().length);
        }
        assertEquals(0, e[0].pair().toward(0).size());
        // In step: the next VMO is taken with its own memo.
        assertTrue(e[1].send(new byte[0], List.of(vmo(Rights.DEFAULT_VMO, fd, file))));
        TransferredHandle h = receive(e[0]).handles().get(0);
        fds.add(h.fd());
        assertTrue(h.sizeFrozen());
        assertEquals(P, h.fileSize());
        assertEquals(0, e[0].pair().toward(0).size());
    }

    @Test
    void aVmoLargerThanItsFileIsRefusedOnALocalPairToo() {
        SocketEndpoint[] e = pair();
        int fd = memfd(0); // one page
        TransferredHandle tooLarge = new TransferredHandle(TransferredHandle.TYPE_VMO, Rights.DEFAULT_VMO, fd, 0, 2 * P,
                2 * P, 0, "local", new File(fd));
        assertTrue(e[1].send(new byte[0], List.of(tooLarge)));
        ZxException x = assertThrows(ZxException.class, () -> e[0].receive(1000));
        assertEquals(Status.ERR_IO, x.status());
        assertTrue(x.getMessage().contains("in a file of"), x.getMessage());
        assertEquals(0, e[0].pair().toward(0).size());
    }

    @Test
    void handlesGoBackAndForthOnALocalPairWithTheirRightsAndBytes() {
        byte[] bytes = new byte[(int) P];
        Arrays.fill(bytes, (byte) 0x5C);
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P)) {
            v.write(bytes, P);
            for (int rights : new int[] {Rights.DEFAULT_VMO, RO}) {
                a.write(null, v.duplicate(rights));
                for (int i = 0; i < 50; i++) {
                    try (Message there = b.read(SECOND)) {
                        b.write(null, there.handles().get(0));
                    }
                    try (Message back = a.read(SECOND)) {
                        Vmo got = back.handle(0, Vmo.class);
                        assertEquals(rights, got.rights());
                        assertEquals(2 * P, got.size());
                        byte[] in = new byte[(int) P];
                        got.read(in, P);
                        assertArrayEquals(bytes, in);
                        if ((rights & Rights.WRITE) == 0) {
                            assertEquals(Status.ERR_ACCESS_DENIED,
                                    assertThrows(ZxException.class, () -> got.write(in, 0)).status());
                        }
                        a.write(null, got.duplicate(Rights.SAME_RIGHTS));
                    }
                }
                try (Message last = b.read(SECOND)) {
                    assertEquals(rights, last.handles().get(0).rights());
                }
            }
        }
    }
}
