package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 12 items 5, 6 and 7 for channels: a failed write seals nothing, a shared resizable VMO has
 * one size for every holder, and very long timeouts saturate instead of throwing.
 */
class FailureCleanTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final long P = Zx.pageSize();
    private static final int RO = Rights.DEFAULT_VMO & ~Rights.WRITE;

    static Status status(Executable e) {
        return assertThrows(ZxException.class, e).status();
    }

    /** The VMO is not sealed: its size can change and a handle with WRITE can still be sent. */
    private static void notSealed(Vmo v) {
        v.setSize(2 * P);
        v.setSize(P);
        Channel[] live = Channel.createPair();
        try (Channel a = live[0]; Channel b = live[1]) {
            a.write(null, v.duplicate(Rights.SAME_RIGHTS));
            try (Message m = b.read(SECOND)) {
                assertEquals(v.rights(), m.handle(0, Vmo.class).rights());
            }
        }
    }

    @Test
    void writeOfAReadOnlyHandleToAClosedPeerSealsNothing() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            Channel[] c = Channel.createPair();
            c[1].close();
            try (Channel a = c[0]) {
                assertEquals(Status.ERR_PEER_CLOSED, status(() -> a.write(null, v.duplicate(RO))));
                assertEquals(Status.ERR_PEER_CLOSED, status(() -> a.write(null, v.duplicate(RO & ~Rights.RESIZE))));
            }
            notSealed(v);
        }
    }

    @Test
    void writeOfAReadOnlyHandleToAFullQueueSealsNothing() {
        try (Vmo v = Vmo.create(P, Vmo.RESIZABLE)) {
            Channel[] c = Channel.createPair();
            try (Channel a = c[0]; Channel b = c[1]) {
                byte[] chunk = new byte[Channel.MAX_MSG_BYTES];
                int sent = 0;
                while (true) {
                    try {
                        a.write(chunk);
                        sent++;
                    } catch (ZxException full) {
                        assertEquals(Status.ERR_SHOULD_WAIT, full.status());
                        break;
                    }
                    assertTrue(sent < 100_000, "the queue never filled");
                }
                assertEquals(Status.ERR_SHOULD_WAIT, status(() -> a.write(null, v.duplicate(RO))));
                notSealed(v);
                b.read(SECOND).close(); // the channel still works
            }
        }
    }

    @Test
    void aSharedResizableVmoHasOneSizeForEveryHolder() {
        byte[] content = new byte[(int) P];
        java.util.Arrays.fill(content, (byte) 7);
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(4 * P, Vmo.RESIZABLE)) {
            v.write(content, 0);
            v.write(content, 3 * P);
            a.write(null, v.duplicate(Rights.SAME_RIGHTS));
            try (Message m = b.read(SECOND)) {
                Vmo peer = m.handle(0, Vmo.class);
                assertEquals(4 * P, peer.size());
                // The peer shrinks: the sender sees it, and past the new end fails as after its own shrink.
                peer.setSize(2 * P);
                assertEquals(2 * P, v.size());
                assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> v.read(new byte[(int) P], 3 * P)));
                assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> v.write(content, 3 * P)));
                byte[] back = new byte[(int) P];
                v.read(back, 0);
                assertArrayEquals(content, back);
                // The peer grows: the sender sees the new size, and the new range reads zero.
                peer.setSize(5 * P);
                assertEquals(5 * P, v.size());
                v.read(back, 3 * P);
                assertArrayEquals(new byte[(int) P], back, "a range that grows back reads zero");
                v.write(content, 4 * P);
                peer.read(back, 4 * P);
                assertArrayEquals(content, back);
                // The sender shrinks: the peer sees it too.
                v.setSize(P);
                assertEquals(P, peer.size());
                assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> peer.read(new byte[1], P)));
            }
        }
    }

    @Test
    void aSharedVmoShrunkByThePeerFailsCleanlyThroughOldMappings() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P, Vmo.RESIZABLE)) {
            a.write(null, v.duplicate(Rights.SAME_RIGHTS));
            try (Message m = b.read(SECOND); Mapping map = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P)) {
                Vmo peer = m.handle(0, Vmo.class);
                peer.setSize(P);
                // Copying from the dead half of the mapping: OUT_OF_RANGE, not a raw InternalError.
                assertEquals(Status.ERR_OUT_OF_RANGE, status(() -> peer.write(map.segment().asSlice(P, P), 0)));
                assertEquals(P, v.size());
            }
        }
    }

    @Test
    void acceptWithAnEnormousTimeoutSaturates() throws Exception {
        Path dir = Files.createTempDirectory("zxmem-accept");
        Path sock = dir.resolve("s.sock");
        try (ChannelServer server = Channel.listen(sock); Channel client = Channel.connect(sock)) {
            try (Channel accepted = server.accept(Duration.ofSeconds(Long.MAX_VALUE))) {
                client.write("hi".getBytes());
                try (Message m = accepted.read(SECOND)) {
                    assertEquals("hi", new String(m.data()));
                }
            }
            CompletableFuture<Status> waiting = CompletableFuture.supplyAsync(
                    () -> status(() -> server.accept(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))));
            Thread.sleep(50);
            server.close();
            assertEquals(Status.ERR_CANCELED, waiting.get(10, TimeUnit.SECONDS));
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void waitForAUserSignalWakesWhenTheSignalIsSet() throws Exception {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]) {
            for (int i = 0; i < 200; i++) {
                CompletableFuture<Integer> w = CompletableFuture.supplyAsync(
                        () -> a.waitOne(io.zxmem.Signals.USER_0 | Channel.READABLE, Duration.ofSeconds(10)));
                a.signal(0, io.zxmem.Signals.USER_0);
                assertTrue((w.get(10, TimeUnit.SECONDS) & io.zxmem.Signals.USER_0) != 0);
                a.signal(io.zxmem.Signals.USER_0, 0);
                CompletableFuture<Integer> r = CompletableFuture.supplyAsync(
                        () -> a.waitOne(io.zxmem.Signals.USER_0 | Channel.READABLE, Duration.ofSeconds(10)));
                b.write(new byte[] {1});
                assertTrue((r.get(10, TimeUnit.SECONDS) & Channel.READABLE) != 0);
                a.read(SECOND).close();
            }
        }
    }
}
