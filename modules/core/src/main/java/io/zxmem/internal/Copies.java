package io.zxmem.internal;

import io.zxmem.Status;
import io.zxmem.linux.sys.LibC;
import java.lang.foreign.MemorySegment;

/**
 * Copies between a VMO's internal mapping and a caller's buffer. Large copies to or from a Java array
 * go through glibc's {@code memcpy} in one critical downcall: at 1 MiB it is about 15% faster here
 * than the JDK's copy (bench/RESULTS.md, {@code c_read} against {@code java_read_arrayCopy}).
 *
 * <p>Only when nothing can fault: a SIGBUS inside native code crashes the JVM, where the JDK's own
 * copy turns it into an {@link InternalError}. A Java array never faults, and the caller vouches for
 * the internal mapping (its range is checked against the VMO's size under the VMO's lock, and no
 * other process can shrink the file). A native buffer of the caller's may be a mapping of a file
 * that shrank, so it always takes the JDK's copy. That costs little: at 1 MiB write + read, the JDK's
 * copy ran at 0.96-1.0x of memcpy's time on the loaded 2-vCPU machine (1.16x on a quiet one), and a
 * kernel copy that would fail with EFAULT instead ({@code pwrite} + {@code pread} of the memfd) took
 * 3.8x as long (bench/RESULTS.md, issue 10 second session).
 */
public final class Copies {
    /** Copies at least this long take memcpy (below it the downcall's fixed cost is not worth it). */
    static final long NATIVE_MIN = 64 << 10;
    /** The garbage collector waits for a critical call; cut long copies so it never waits long. */
    private static final long CHUNK = 1 << 20;
    private static final LibC C = LibC.get();

    private Copies() {}

    /** {@code MemorySegment.copy(src, srcOffset, dst, dstOffset, length)}, through memcpy where that is safe and faster. */
    public static void copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long length,
            boolean mappingMayFault) {
        if (length < NATIVE_MIN || mappingMayFault || src.isNative() == dst.isNative() || dst.isReadOnly()) {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, length);
            return;
        }
        // Slicing checks both ranges, as MemorySegment.copy would.
        MemorySegment from = src.asSlice(srcOffset, length);
        MemorySegment to = dst.asSlice(dstOffset, length);
        for (long at = 0; at < length; at += CHUNK) {
            long n = Math.min(CHUNK, length - at);
            C.memcpy(to.asSlice(at, n), from.asSlice(at, n), n);
        }
    }

    /**
     * INVALID_ARGS for a caller's segment this thread may not touch: its arena is closed, or confined
     * to another thread.
     */
    public static void checkUsable(String op, String what, MemorySegment s) {
        if (!s.scope().isAlive()) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "the " + what + " segment's arena is closed");
        }
        if (!s.isAccessibleBy(Thread.currentThread())) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "the " + what + " segment belongs to an arena confined to"
                    + " another thread");
        }
    }
}
