package io.zxmem.internal;

import java.lang.foreign.Arena;

/**
 * One more JVM-wide handshake between closing a shared arena and unmapping the memory its segments
 * covered.
 *
 * <p>Closing a shared arena handshakes every thread and makes a thread found inside an access to the
 * arena's memory throw at its next safepoint poll. A thread stopped inside a compiled JDK helper that
 * performs the access but is not itself marked as a scoped access (seen here: a C1-compiled,
 * non-inlined {@code Unsafe.getLongUnaligned} under a segment's {@code get(JAVA_LONG_UNALIGNED)})
 * still completes its load after the handshake and only then throws. Unmapping right after the close
 * turned that load into a SIGSEGV that killed the JVM ({@code CloseRaceTest}, once, under load). After
 * a second handshake every thread has passed a poll later than the first one, so any access that was
 * in flight during the close has finished: the memory can go.
 */
public final class Handshakes {
    private Handshakes() {}

    /** Returns once every Java thread has reached a safepoint poll after this call began. */
    public static void settle() {
        // Closing a shared arena is the public API's JVM-wide handshake (~20-50 us).
        Arena.ofShared().close();
    }
}
