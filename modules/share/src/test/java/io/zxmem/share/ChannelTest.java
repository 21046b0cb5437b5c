package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Handle;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/** Channels within one process: messages, handle transfer and rights, errors. */
class ChannelTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final long P = Zx.pageSize();
    private static final int RO = Rights.DEFAULT_VMO & ~Rights.WRITE;

    static Status status(Executable e) {
        return assertThrows(ZxException.class, e).status();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void messagesArriveInOrderWithTheirBytes() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]) {
            assertEquals(Channel.DEFAULT_RIGHTS, a.rights());
            a.write(bytes("one"));
            a.write(new byte[0]);
            a.write(null);
            byte[] big = new byte[Channel.MAX_MSG_BYTES];
            big[big.length - 1] = 9;
            a.write(big);
            b.write(bytes("back"));
            assertArrayEquals(bytes("one"), b.read(SECOND).data());
            assertEquals(0, b.read(SECOND).data().length);
            assertEquals(0, b.read(SECOND).data().length);
            assertArrayEquals(big, b.read(SECOND).data());
            assertArrayEquals(bytes("back"), a.read(SECOND).data());
            assertEquals(Status.ERR_TIMED_OUT, status(() -> b.read(Duration.ZERO)));
            assertEquals(Status.ERR_TIMED_OUT, status(() -> b.read(Duration.ofMillis(30))));
        }
    }

    @Test
    void aVmoTravelsWithExactlyItsRightsAndSharesMemory() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P + 5)) {
            v.setName("travelling");
            v.write(bytes("hello"), P);
            Vmo sent = v.duplicate(Rights.SAME_RIGHTS);
            a.write(bytes("take it"), sent);
            assertFalse(sent.isValid(), "a sent handle is consumed");
            assertEquals(Status.ERR_BAD_HANDLE, status(sent::rights));
            try (Message m = b.read(SECOND)) {
                assertArrayEquals(bytes("take it"), m.data());
                Vmo r = m.handle(0, Vmo.class);
                assertEquals(v.rights(), r.rights());
                assertNotEquals(v.koid(), r.koid(), "a received handle is a new object of this process");
                assertEquals(v.size(), r.size());
                assertEquals(2 * P + 5, r.contentSize());
                assertEquals("travelling", r.name());
                byte[] got = new byte[5];
                r.read(got, P);
                assertArrayEquals(bytes("hello"), got);
                try (Mapping rm = r.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P);
                        Mapping vm = v.map(Vmar.PERM_READ, 0, 2 * P)) {
                    rm.segment().set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);
                    assertEquals(0x1122334455667788L, vm.segment().get(ValueLayout.JAVA_LONG, 8));
                    v.write(bytes("live"), 100);
                    assertEquals('l', rm.segment().get(ValueLayout.JAVA_BYTE, 100));
                }
                assertEquals(Status.ERR_WRONG_TYPE, status(() -> m.handle(0, Channel.class)));
                assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> m.handle(1, Vmo.class)));
            }
        }
    }

    @Test
    void readOnlyReceiverCannotWriteEvenWithRawSystemCalls() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(4 * P)) {
            Mapping early = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P);
            a.write(null, v.duplicate(RO));
            Set<Integer> before = Fds.open();
            try (Message m = b.read(SECOND); early) {
                Vmo r = m.handle(0, Vmo.class);
                int fd = Fds.newMemfd(before);
                assertEquals(RO, r.rights());
                assertEquals(Status.ERR_ACCESS_DENIED, status(() -> r.write(bytes("no"), 0)));
                assertEquals(Status.ERR_ACCESS_DENIED, status(() -> r.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P)));
                assertEquals(Status.ERR_ACCESS_DENIED, status(() -> r.zero(0, P)));
                Map<String, String> raw = RawAttempts.writeAttempts(fd, P);
                for (Map.Entry<String, String> e : raw.entrySet()) {
                    if (!e.getKey().equals("reopen-rdwr")) {
                        assertNotEquals("ok", e.getValue(), e.getKey() + " must fail: " + raw);
                    }
                }
                assertEquals("EPERM", raw.get("mmap-shared-write"), raw.toString());
                assertEquals("EPERM", raw.get("reopened-mmap-shared-write"), raw.toString());
                assertEquals("EPERM", raw.get("ftruncate-grow"), raw.toString());
                assertEquals(4 * P, r.size());

                // The sender keeps every way of writing it had: Vmo.write, its existing mapping, a new
                // writable mapping and ZERO; the receiver sees each live.
                try (Mapping rm = r.map(Vmar.PERM_READ, 0, 4 * P)) {
                    MemorySegment seen = rm.segment();
                    v.write(bytes("A"), 0);
                    assertEquals('A', seen.get(ValueLayout.JAVA_BYTE, 0));
                    early.segment().set(ValueLayout.JAVA_BYTE, 1, (byte) 'B');
                    assertEquals('B', seen.get(ValueLayout.JAVA_BYTE, 1));
                    try (Mapping later = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, P, 2 * P)) {
                        later.segment().set(ValueLayout.JAVA_BYTE, 5, (byte) 'C');
                        assertEquals('C', seen.get(ValueLayout.JAVA_BYTE, P + 5));
                    }
                    v.zero(0, 2);
                    assertEquals(0, seen.get(ValueLayout.JAVA_BYTE, 0));
                    assertEquals(0, seen.get(ValueLayout.JAVA_BYTE, 1));
                    byte[] z = {1};
                    r.read(z, 0);
                    assertEquals(0, z[0]);
                }
            }
            // Seals cannot be removed: a writable handle to this memory can no longer leave the process,
            // and the handle is consumed all the same.
            Vmo rw = v.duplicate(Rights.SAME_RIGHTS);
            assertEquals(Status.ERR_NOT_SUPPORTED, status(() -> a.write(null, rw)));
            assertFalse(rw.isValid());
            a.write(null, v.duplicate(RO & ~Rights.DUPLICATE));
            try (Message m = b.read(SECOND)) {
                assertEquals(RO & ~Rights.DUPLICATE, m.handles().get(0).rights());
            }
        }
    }

    @Test
    void withoutResizeNobodyCanChangeTheSize() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            assertTrue((v.rights() & Rights.RESIZE) != 0);
            a.write(null, v.duplicate(v.rights() & ~Rights.RESIZE));
            Set<Integer> before = Fds.open();
            try (Message m = b.read(SECOND)) {
                Vmo r = m.handle(0, Vmo.class);
                int fd = Fds.newMemfd(before);
                assertEquals(Status.ERR_ACCESS_DENIED, status(() -> r.setSize(2 * P)));
                Map<String, String> raw = RawAttempts.writeAttempts(fd, P);
                assertEquals("EPERM", raw.get("ftruncate-grow"), raw.toString());
                assertEquals("EPERM", raw.get("ftruncate-shrink"), raw.toString());
                assertEquals("EPERM", raw.get("reopened-ftruncate"), raw.toString());
                assertEquals("ok", raw.get("pwrite"), "WRITE was given: " + raw);
                // Seals are per file: the sender's size is frozen too.
                assertEquals(Status.ERR_ACCESS_DENIED, status(() -> v.setSize(2 * P)));
                assertEquals(P, v.size());
                v.write(bytes("still writable"), 0);
            }
            assertEquals(Status.ERR_NOT_SUPPORTED, status(() -> a.write(null, v.duplicate(Rights.SAME_RIGHTS))));
        }
    }

    @Test
    void withResizeTheReceiverMayResize() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            a.write(null, v.duplicate(Rights.SAME_RIGHTS));
            try (Message m = b.read(SECOND)) {
                Vmo r = m.handle(0, Vmo.class);
                assertEquals(v.rights(), r.rights());
                r.setSize(3 * P);
                assertEquals(3 * P, r.size());
                r.write(bytes("grown"), 2 * P);
            }
        }
    }

    @Test
    void writeConsumesEveryHandleWhateverFails() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(P)) {
            // No TRANSFER on the second handle: ACCESS_DENIED, and both handles are gone.
            Vmo ok = v.duplicate(Rights.SAME_RIGHTS);
            Vmo noTransfer = v.duplicate(Rights.DEFAULT_VMO & ~Rights.TRANSFER);
            assertEquals(Status.ERR_ACCESS_DENIED, status(() -> a.write(null, ok, noTransfer)));
            assertFalse(ok.isValid());
            assertFalse(noTransfer.isValid());

            Vmo d1 = v.duplicate(Rights.SAME_RIGHTS);
            assertEquals(Status.ERR_BAD_HANDLE, status(() -> a.write(null, d1, null)));
            assertFalse(d1.isValid());
            Vmo d2 = v.duplicate(Rights.SAME_RIGHTS);
            assertEquals(Status.ERR_BAD_HANDLE, status(() -> a.write(null, d2, d2)));
            assertFalse(d2.isValid());

            Vmo d3 = v.duplicate(Rights.SAME_RIGHTS);
            assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> a.write(new byte[Channel.MAX_MSG_BYTES + 1], d3)));
            assertFalse(d3.isValid());
            Handle[] many = new Handle[Channel.MAX_MSG_HANDLES + 1];
            for (int i = 0; i < many.length; i++) {
                many[i] = v.duplicate(Rights.SAME_RIGHTS);
            }
            assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> a.write(null, many)));
            for (Handle h : many) {
                assertFalse(h.isValid());
            }

            Channel writeOnly = a.replace(Channel.DEFAULT_RIGHTS & ~Rights.WRITE);
            Vmo d4 = v.duplicate(Rights.SAME_RIGHTS);
            assertEquals(Status.ERR_ACCESS_DENIED, status(() -> writeOnly.write(null, d4)));
            assertFalse(d4.isValid());
            Channel readOnly = b.replace(Channel.DEFAULT_RIGHTS & ~Rights.READ);
            assertEquals(Status.ERR_ACCESS_DENIED, status(() -> readOnly.read(SECOND)));
            writeOnly.close();
            readOnly.close();
            // Nothing was delivered by any failed write.
        }
    }

    @Test
    void aChannelCannotSendItselfAndLosesItsHandleTrying() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]) {
            assertEquals(Status.ERR_NOT_SUPPORTED, status(() -> a.write(null, a)));
            assertFalse(a.isValid());
            assertEquals(Status.ERR_PEER_CLOSED, status(() -> b.read(SECOND)));
            assertEquals(Status.ERR_BAD_HANDLE, status(() -> a.write(null)));
            assertEquals(Rights.NONE, Channel.DEFAULT_RIGHTS & Rights.DUPLICATE);
            assertEquals(Status.ERR_ACCESS_DENIED, status(() -> b.duplicate(Rights.SAME_RIGHTS)));
        }
    }

    @Test
    void handlesThatCannotLeaveTheProcessAreNotSupported() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]) {
            Vmo discardable = Vmo.create(P, Vmo.DISCARDABLE);
            assertEquals(Status.ERR_NOT_SUPPORTED, status(() -> a.write(null, discardable)));
            assertFalse(discardable.isValid());
            Vmo huge = Vmo.create(0xFFFF_FFFF_FFFC_0000L);
            huge.write(bytes("far"), 0xF000_0000_0000_0000L);
            assertEquals(Status.ERR_NOT_SUPPORTED, status(() -> a.write(null, huge)));
            try (Vmo big = Vmo.create(1L << 40)) {
                // One file, but no internal mapping for the sender to keep writing through: read-only
                // shares are refused, writable ones work.
                assertEquals(Status.ERR_NOT_SUPPORTED, status(() -> a.write(null, big.duplicate(RO))));
                big.write(bytes("terabyte"), (1L << 40) - 8);
                a.write(null, big.duplicate(Rights.SAME_RIGHTS));
                try (Message m = b.read(SECOND)) {
                    byte[] got = new byte[8];
                    m.handle(0, Vmo.class).read(got, (1L << 40) - 8);
                    assertArrayEquals(bytes("terabyte"), got);
                }
            }
            assertEquals(Status.ERR_TIMED_OUT, status(() -> b.read(Duration.ZERO)));
        }
    }

    @Test
    void peerClosedAfterTheQueuedMessages() {
        Channel[] c = Channel.createPair();
        Channel a = c[0];
        try (Channel b = c[1]) {
            assertEquals(Channel.WRITABLE, b.signals() & (Channel.READABLE | Channel.WRITABLE | Channel.PEER_CLOSED));
            a.write(bytes("last words"));
            assertTrue((b.signals() & Channel.READABLE) != 0);
            a.close();
            int s = b.signals();
            assertEquals(Channel.READABLE | Channel.PEER_CLOSED, s & (Channel.READABLE | Channel.WRITABLE | Channel.PEER_CLOSED));
            assertArrayEquals(bytes("last words"), b.read(SECOND).data());
            assertEquals(Channel.PEER_CLOSED, b.signals());
            assertEquals(Status.ERR_PEER_CLOSED, status(() -> b.read(SECOND)));
            assertEquals(Status.ERR_PEER_CLOSED, status(() -> b.write(bytes("anyone?"))));
            Vmo v = Vmo.create(P);
            assertEquals(Status.ERR_PEER_CLOSED, status(() -> b.write(null, v)));
            assertFalse(v.isValid());
            assertEquals(Channel.PEER_CLOSED, b.waitOne(Channel.PEER_CLOSED, SECOND));
        }
    }

    @Test
    void waitOneWakesWhenAMessageArrives() throws Exception {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]) {
            assertEquals(Status.ERR_TIMED_OUT, status(() -> b.waitOne(Channel.READABLE, Duration.ofMillis(20))));
            CompletableFuture<Integer> w = CompletableFuture.supplyAsync(() -> b.waitOne(Channel.READABLE, Duration.ofSeconds(10)));
            Thread.sleep(50);
            a.write(bytes("ding"));
            assertTrue((w.get(10, TimeUnit.SECONDS) & Channel.READABLE) != 0);
            b.signal(0, io.zxmem.Signals.USER_1);
            assertTrue((b.waitOne(io.zxmem.Signals.USER_1, SECOND) & io.zxmem.Signals.USER_1) != 0);
            CompletableFuture<Status> r = CompletableFuture.supplyAsync(() -> {
                try {
                    a.read(Duration.ofSeconds(30));
                    return Status.OK;
                } catch (ZxException e) {
                    return e.status();
                }
            });
            Thread.sleep(50);
            a.close();
            assertEquals(Status.ERR_CANCELED, r.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aChannelEndTravelsOverAChannel() {
        Channel[] c = Channel.createPair();
        Channel[] d = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Channel far = d[1]) {
            a.write(bytes("your end"), d[0]);
            assertFalse(d[0].isValid());
            try (Message m = b.read(SECOND)) {
                Channel mine = m.handle(0, Channel.class);
                assertEquals(Channel.DEFAULT_RIGHTS, mine.rights());
                mine.write(bytes("through the moved end"));
                assertArrayEquals(bytes("through the moved end"), far.read(SECOND).data());
                far.write(bytes("and back"));
                assertArrayEquals(bytes("and back"), mine.read(SECOND).data());
            }
            assertEquals(Status.ERR_PEER_CLOSED, status(() -> far.read(SECOND)));
        }
    }

    @Test
    void listenConnectAccept(@TempDir Path dir) {
        Path path = dir.resolve("chan.sock");
        try (ChannelServer server = Channel.listen(path)) {
            assertTrue(Files.exists(path));
            assertEquals(Status.ERR_ALREADY_EXISTS, status(() -> Channel.listen(path)));
            assertEquals(Status.ERR_TIMED_OUT, status(() -> server.accept(Duration.ofMillis(20))));
            try (Channel client = Channel.connect(path); Channel served = server.accept(SECOND)) {
                client.write(bytes("hi"));
                assertArrayEquals(bytes("hi"), served.read(SECOND).data());
                served.write(bytes("hello"));
                assertArrayEquals(bytes("hello"), client.read(SECOND).data());
            }
            server.close();
            assertFalse(Files.exists(path), "close removes the socket file");
            assertEquals(Status.ERR_BAD_HANDLE, status(server::accept));
        }
        assertEquals(Status.ERR_NOT_FOUND, status(() -> Channel.connect(dir.resolve("nobody"))));
        assertEquals(Status.ERR_NOT_FOUND, status(() -> Channel.listen(dir.resolve("no/such/dir/s"))));
        assertEquals(Status.ERR_INVALID_ARGS, status(() -> Channel.listen(dir.resolve("x".repeat(120)))));
    }

    @Test
    void tenThousandTransfersLeakNoDescriptor() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(P)) {
            v.write(bytes("z"), 0);
            for (int i = 0; i < 100; i++) {
                roundTrip(a, b, v);
            }
            int before = Fds.count();
            for (int i = 0; i < 10_000; i++) {
                roundTrip(a, b, v);
            }
            assertEquals(before, Fds.count());
        }
    }

    private static void roundTrip(Channel a, Channel b, Vmo v) {
        a.write(null, v.duplicate(RO), v.duplicate(RO & ~Rights.MAP));
        try (Message m = b.read(SECOND)) {
            assertEquals(2, m.handles().size());
            byte[] one = new byte[1];
            m.handle(0, Vmo.class).read(one, 0);
            assertEquals('z', one[0]);
        }
    }

    @Test
    void closedMessageClosesItsHandles() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(P)) {
            a.write(null, v.duplicate(Rights.SAME_RIGHTS));
            Message m = b.read(SECOND);
            Handle h = m.handles().get(0);
            m.close();
            assertFalse(h.isValid());
        }
    }
}
