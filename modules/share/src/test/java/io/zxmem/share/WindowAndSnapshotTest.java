package io.zxmem.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Slices travel as windows of their parent's file; copy-on-write children of shared VMOs stay true
 * snapshots even though another process holds the parent's memory.
 */
class WindowAndSnapshotTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final long P = Zx.pageSize();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String read(Vmo v, long offset, int n) {
        byte[] b = new byte[n];
        v.read(b, offset);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void aSliceTravelsAsAWindowOfItsParent() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo parent = Vmo.create(8 * P)) {
            parent.write(bytes("before"), 0);
            parent.write(bytes("inside"), 3 * P);
            try (Vmo slice = parent.createChild(Vmo.CHILD_SLICE, 3 * P, 2 * P);
                    Vmo sliceOfSlice = slice.createChild(Vmo.CHILD_SLICE, P, P)) {
                a.write(null, slice.duplicate(Rights.SAME_RIGHTS), sliceOfSlice.duplicate(Rights.SAME_RIGHTS));
            }
            try (Message m = b.read(SECOND)) {
                Vmo w = m.handle(0, Vmo.class);
                Vmo w2 = m.handle(1, Vmo.class);
                assertEquals(2 * P, w.size());
                assertEquals("inside", read(w, 0, 6));
                assertEquals(Status.ERR_OUT_OF_RANGE, ChannelTest.status(() -> w.read(new byte[1], 2 * P)));
                w.write(bytes("from the window"), P + 8);
                assertEquals("from the window", read(parent, 4 * P + 8, 15));
                assertEquals("from the window", read(w2, 8, 15));
                try (Mapping mw = w.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P)) {
                    mw.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 'I');
                    assertEquals("Inside", read(parent, 3 * P, 6));
                }
            }
        }
    }

    @Test
    void aReadOnlySliceSealsItsParentsMemory() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo parent = Vmo.create(4 * P);
                Vmo slice = parent.createChild(Vmo.CHILD_SLICE, P, P)) {
            a.write(null, slice.duplicate(slice.rights() & ~Rights.WRITE));
            try (Message m = b.read(SECOND)) {
                Vmo w = m.handle(0, Vmo.class);
                assertEquals(Status.ERR_ACCESS_DENIED, ChannelTest.status(() -> w.write(bytes("x"), 0)));
                parent.write(bytes("sender still writes"), P);
                assertEquals("sender still writes", read(w, 0, 19));
            }
            // Seals are per file: the whole parent went read-only for everyone else.
            assertEquals(Status.ERR_NOT_SUPPORTED, ChannelTest.status(() -> a.write(null, parent.duplicate(Rights.SAME_RIGHTS))));
        }
    }

    /**
     * Both ways round, with the sender's VMO unmapped and mapped: a mapped parent would take the
     * userfaultfd path, whose write protection another handle's writes would bypass.
     */
    @ParameterizedTest(name = "parent mapped: {0}")
    @ValueSource(booleans = {false, true})
    void aSnapshotOfASharedVmoIsNotChangedByTheOtherSide(boolean mapped) {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P);
             Mapping map = mapped ? v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P) : null) {
            v.write(bytes("original"), 0);
            a.write(null, v.duplicate(Rights.SAME_RIGHTS));
            try (Message m = b.read(SECOND)) {
                Vmo theirs = m.handle(0, Vmo.class);
                // The sender snapshots the VMO it shared; then the other side writes.
                try (Vmo snap = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 2 * P)) {
                    theirs.write(bytes("modified"), 0);
                    assertEquals("modified", read(v, 0, 8));
                    assertEquals("original", read(snap, 0, 8));
                    // The receiver snapshots what it received; then the sender writes.
                    try (Vmo theirSnap = theirs.createChild(Vmo.CHILD_SNAPSHOT, 0, 2 * P)) {
                        v.write(bytes("again!!!"), 0);
                        assertEquals("again!!!", read(theirs, 0, 8));
                        assertEquals("modified", read(theirSnap, 0, 8));
                        assertEquals("original", read(snap, 0, 8));
                    }
                }
                // And the VMOs are still shared.
                theirs.write(bytes("shared"), P);
                assertEquals("shared", read(v, P, 6));
            }
        }
    }

    /**
     * Issue 9, finding 5: a snapshot taken BEFORE its parent (or a slice of it) is sent stays true when
     * the receiver writes: the export completes the parent's children first.
     */
    @ParameterizedTest(name = "parent mapped: {0}, sent as a slice: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void aSnapshotTakenBeforeSendingIsNotChangedByTheReceiver(boolean mapped, boolean asSlice) {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(4 * P);
             Mapping map = mapped ? v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P) : null) {
            v.write(bytes("original"), P);
            try (Vmo snap = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 4 * P);
                 Vmo slice = v.createChild(Vmo.CHILD_SLICE, P, 2 * P)) {
                a.write(null, asSlice ? slice.duplicate(Rights.SAME_RIGHTS) : v.duplicate(Rights.SAME_RIGHTS));
                try (Message m = b.read(SECOND)) {
                    Vmo theirs = m.handle(0, Vmo.class);
                    theirs.write(bytes("\u00be\u00ef\u00be\u00ef"), asSlice ? 0 : P);
                    assertEquals(read(theirs, asSlice ? 0 : P, 8), read(v, P, 8), "still shared");
                    assertEquals("original", read(snap, P, 8), "the receiver's write reached an earlier snapshot");
                    if (map != null) {
                        map.segment().set(ValueLayout.JAVA_BYTE, P, (byte) 'X');
                        assertEquals("original", read(snap, P, 8));
                    }
                }
            }
        }
    }

    /**
     * Issue 9, finding 5: sending a VMO while another thread snapshots it. The cut and the export
     * serialize on the VMO: a snapshot never sees the receiver's later writes, and the sender's later
     * writes keep reaching the receiver.
     */
    @Test
    void sendingWhileSnapshottingKeepsBothTrue() throws Exception {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P);
             Mapping map = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P)) {
            int rounds = 1500;
            int bad = 0;
            for (int i = 0; i < rounds; i++) {
                byte mark = (byte) (i % 100 + 1);
                v.write(new byte[] {mark}, 0);
                Thread sender = new Thread(() -> a.write(null, v.duplicate(Rights.SAME_RIGHTS)));
                sender.start();
                Vmo snap = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 2 * P);
                sender.join();
                try (snap; Message m = b.read(SECOND)) {
                    Vmo theirs = m.handle(0, Vmo.class);
                    theirs.write(new byte[] {(byte) -1}, 0);
                    byte[] got = new byte[1];
                    snap.read(got, 0);
                    map.segment().set(ValueLayout.JAVA_BYTE, 1, mark);
                    byte[] seen = new byte[1];
                    theirs.read(seen, 1);
                    if (got[0] != mark || seen[0] != mark) {
                        bad++;
                    }
                }
            }
            assertEquals(0, bad, bad + " of " + rounds + " rounds: a snapshot saw the receiver, or the receiver lost the sender");
        }
    }

    /** A VMO received without WRITE (its file sealed), mapped read-only, can still be snapshotted. */
    @Test
    void aReadOnlyReceivedAndMappedVmoCanBeSnapshotted() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P)) {
            v.write(bytes("original"), 0);
            a.write(null, v.duplicate(v.rights() & ~Rights.WRITE));
            try (Message m = b.read(SECOND)) {
                Vmo theirs = m.handle(0, Vmo.class);
                try (Mapping mm = theirs.map(Vmar.PERM_READ, 0, 2 * P);
                     Vmo snap = theirs.createChild(Vmo.CHILD_SNAPSHOT, 0, 2 * P)) {
                    v.write(bytes("modified"), 0);
                    assertEquals("modified", read(theirs, 0, 8));
                    assertEquals("original", read(snap, 0, 8));
                }
            }
        }
    }

    @Test
    void aCopyOnWriteChildCannotTravel() {
        Channel[] c = Channel.createPair();
        try (Channel a = c[0]; Channel b = c[1]; Vmo v = Vmo.create(2 * P)) {
            v.write(bytes("x"), 0);
            Vmo snap = v.createChild(Vmo.CHILD_SNAPSHOT, 0, 2 * P);
            // Either the child got its own memfd (then it travels) or it lives in a copy-on-write
            // store (then NOT_SUPPORTED); never a silent wrong share.
            try {
                a.write(null, snap);
                try (Message m = b.read(SECOND)) {
                    assertEquals("x", read(m.handle(0, Vmo.class), 0, 1));
                }
            } catch (io.zxmem.ZxException e) {
                assertEquals(Status.ERR_NOT_SUPPORTED, e.status(), e.getMessage());
            }
            // The parent after the cut is a copy-on-write store too: likewise.
            try {
                a.write(null, v.duplicate(Rights.SAME_RIGHTS));
                try (Message m = b.read(SECOND)) {
                    assertEquals("x", read(m.handle(0, Vmo.class), 0, 1));
                }
            } catch (io.zxmem.ZxException e) {
                assertEquals(Status.ERR_NOT_SUPPORTED, e.status(), e.getMessage());
            }
        }
    }
}
