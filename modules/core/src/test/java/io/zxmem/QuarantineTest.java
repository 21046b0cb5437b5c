package io.zxmem;

import static io.zxmem.TestSupport.P;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.internal.Handshakes;
import io.zxmem.internal.Quarantine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A closed window that other threads may still be touching (JDK-8364167: an access can land after the
 * shared arena's close) is replaced by throwaway memory, not unmapped, and unmapped a couple of
 * handshakes later; at most a bounded number of such ranges wait.
 */
class QuarantineTest {

    @BeforeEach
    void nothingWaits() {
        // Two handshakes release every range an earlier test left waiting.
        Handshakes.settle();
        Handshakes.settle();
        assertEquals(0, Quarantine.pending());
    }

    /** The /proc/self/maps line of the mapping that contains {@code address}, or null. */
    static String mapsLineAt(long address) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long end = Long.parseUnsignedLong(range[1], 16);
                if (Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0) {
                    return line;
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines of /proc/self/maps now, the waiting ranges included (TestSupport.mapCount releases them first). */
    static int mapsLines() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the maps line is anonymous memory (no file, no memfd). */
    static boolean anonymous(String line) {
        return line.trim().split("\\s+").length == 5;
    }

    @Test
    void aLateAccessAfterCloseReadsZerosAndWritesNowhere() {
        try (Vmo v = Vmo.create(4 * P)) {
            byte[] content = TestSupport.pattern((int) (4 * P), 7);
            v.write(content, 0);
            Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 4 * P);
            long addr = m.address();
            long len = m.length();
            assertEquals(content[5], m.segment().get(ValueLayout.JAVA_BYTE, 5));
            assertTrue(mapsLineAt(addr).contains("memfd:zxmem"), mapsLineAt(addr));
            m.close();

            assertEquals(0, v.info().numMappings(), "the VMO lists the mapping no more");
            assertTrue(Quarantine.isPending(addr, len));
            String line = mapsLineAt(addr);
            assertNotNull(line, "the range stays mapped");
            assertTrue(anonymous(line), "the VMO's memory is no longer mapped there: " + line);

            // What a late access through the closed segment would do, done here on purpose.
            MemorySegment raw = MemorySegment.ofAddress(addr).reinterpret(len);
            for (long off = 0; off < len; off += 512) {
                assertEquals(0L, raw.get(ValueLayout.JAVA_LONG_UNALIGNED, off));
            }
            raw.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, -1L);
            byte[] now = new byte[content.length];
            v.read(now, 0);
            assertArrayEquals(content, now, "a late store does not reach the VMO");
        }
    }

    @Test
    void theRangeIsUnmappedTwoHandshakesLater() {
        try (Vmo v = Vmo.create(2 * P)) {
            Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P);
            m.segment().set(ValueLayout.JAVA_INT, 0, 1);
            long addr = m.address();
            m.close();
            assertTrue(Quarantine.isPending(addr, 2 * P));
            Handshakes.settle();
            assertTrue(Quarantine.isPending(addr, 2 * P), "one handshake is not enough");
            assertNotNull(mapsLineAt(addr));
            Handshakes.settle();
            assertFalse(Quarantine.isPending(addr, 2 * P));
            String line = mapsLineAt(addr);
            assertTrue(line == null || !anonymous(line) || !line.startsWith(Long.toHexString(addr) + "-"),
                    "the range is unmapped: " + line);
        }
    }

    @Test
    void laterClosesReleaseEarlierRanges() {
        try (Vmo v = Vmo.create(P)) {
            for (int i = 0; i < 10; i++) {
                Mapping m = v.map(Vmar.PERM_READ, 0, P);
                m.segment();
                m.close();
                // Each close runs a handshake of its own: what two closes before it retired is gone.
                assertTrue(Quarantine.pending() <= 2, "pending " + Quarantine.pending());
            }
            // (The freed addresses come back for the next windows: count, do not look them up.)
        }
    }

    @Test
    void mappingsThatGaveOutNoSegmentAreUnmappedAtOnce() {
        try (Vmo v = Vmo.create(P)) {
            Mapping m = v.map(Vmar.PERM_READ, 0, P);
            long addr = m.address();
            m.close();
            assertEquals(0, Quarantine.pending());
            String line = mapsLineAt(addr);
            assertTrue(line == null || !line.contains("memfd:zxmem"), line);
        }
    }

    @Test
    void sharedArenaWindowsAreRetiredConfinedOnesUnmapped() {
        try (Vmo v = Vmo.create(2 * P)) {
            long shared;
            try (Arena a = Arena.ofShared()) {
                MemorySegment s = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P, a);
                s.set(ValueLayout.JAVA_INT, 0, 5);
                shared = s.address();
            }
            assertTrue(Quarantine.isPending(shared, 2 * P));
            assertEquals(0, MemorySegment.ofAddress(shared).reinterpret(2 * P).get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, v.info().numMappings());

            long confined;
            try (Arena a = Arena.ofConfined()) {
                confined = v.map(Vmar.PERM_READ, 0, P, a).address();
            }
            assertFalse(Quarantine.isPending(confined, P));
            assertEquals(1, Quarantine.pending());
            String line = mapsLineAt(confined);
            assertTrue(line == null || !line.contains("memfd:zxmem"), line);
        }
    }

    @Test
    void atMostMaxPendingRangesWait() {
        int n = Quarantine.MAX_PENDING + 20;
        try (Vmo v = Vmo.create(P)) {
            List<Mapping> maps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P);
                m.segment();
                // The protect closes the segments' arena (and runs the handshakes), so the close runs none.
                m.protect(Vmar.PERM_READ);
                maps.add(m);
            }
            int lines = mapsLines();
            for (Mapping m : maps) {
                m.close();
                assertTrue(Quarantine.pending() <= Quarantine.MAX_PENDING, "pending " + Quarantine.pending());
            }
            // Closing n mappings took n lines away and left at most MAX_PENDING anonymous ones (the JVM's own
            // mappings may come and go meanwhile).
            int after = mapsLines();
            assertTrue(after <= lines - n + Quarantine.MAX_PENDING + 16, lines + " lines before, " + after + " after");
            assertFalse(Quarantine.isPending(maps.get(0).address(), P));
        }
        Handshakes.settle();
        Handshakes.settle();
        assertEquals(0, Quarantine.pending());
    }

    @Test
    void atMostMaxPendingBytesWait() {
        // Two windows that together hold more address space than may wait.
        long size = Quarantine.MAX_PENDING_BYTES / 2 + (1L << 30);
        try (Vmo v = Vmo.create(size)) {
            Mapping a = v.map(Vmar.PERM_READ, 0, size);
            a.segment();
            a.close();
            assertTrue(Quarantine.isPending(a.address(), size));
            Mapping b = v.map(Vmar.PERM_READ, 0, size);
            b.segment();
            b.close();
            assertTrue(Quarantine.pendingBytes() <= Quarantine.MAX_PENDING_BYTES, "bytes " + Quarantine.pendingBytes());
            assertFalse(Quarantine.isPending(a.address(), size));
        }
    }
}
