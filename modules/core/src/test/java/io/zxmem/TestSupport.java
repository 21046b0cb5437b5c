package io.zxmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the core tests: status assertions, byte patterns, process-wide counters. */
final class TestSupport {
    /** The page size, as the library reports it (checked against the OS in ConstantsTest). */
    static final long P = Zx.pageSize();
    static final int PI = (int) P;

    private TestSupport() {}

    /**
     * Asserts that {@code call} throws a ZxException with {@code status} whose message contains every
     * string of {@code mentions} (the operation and the offending argument).
     */
    static ZxException assertStatus(Status status, Executable call, String... mentions) {
        ZxException e = assertThrows(ZxException.class, call);
        assertEquals(status, e.status(), () -> "wrong status; message: " + e.getMessage());
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), () -> "message should mention '" + m + "': " + e.getMessage());
        }
        return e;
    }

    /** {@code n} bytes that differ from page to page and from seed to seed, never all zero. */
    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (1 + ((i * 31 + seed * 17 + (i >>> 12) * 7) % 251));
        }
        return b;
    }

    static byte[] read(Vmo v, long offset, int n) {
        byte[] b = new byte[n];
        v.read(b, offset);
        return b;
    }

    static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    static long committed(Vmo v) {
        return v.info().committedBytes();
    }

    /** How many file descriptors this process has open now. */
    static int fdCount() {
        Zx.releasePooledMemfds(); // recycled memfds are not leaks
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many memory mappings this process has now (lines of /proc/self/maps). */
    static int mapCount() {
        // Closed windows that other threads may have touched wait a couple of handshakes before they
        // are unmapped (io.zxmem.internal.Quarantine), and may or may not merge with a neighbour: two
        // handshakes release them, so that a count sees only leaks.
        io.zxmem.internal.Handshakes.settle();
        io.zxmem.internal.Handshakes.settle();
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many of this process's mappings are of zxmem memfds (VMO memory), canonical ones included. */
    static int vmoMapCount() {
        try {
            return (int) Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("/memfd:zxmem")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String hex(long x) {
        return "0x" + Long.toHexString(x);
    }
}
