package io.zxmem.internal;

import java.lang.foreign.Arena;

/**
 * One more JVM-wide handshake between closing a shared arena and retiring the memory its segments
 * covered.
 *
 * <p>Closing a shared arena handshakes every thread and makes a thread found inside an access to the
 * arena's memory throw at its next safepoint poll. A thread stopped inside a compiled JDK helper that
 * performs the access (seen here: a C1-compiled, non-inlined {@code Unsafe.getLongUnaligned} under a
 * segment's {@code get(JAVA_LONG_UNALIGNED)}) may still complete its load after the handshake, and,
 * where the handshake was processed at a poll that cannot install the exception, go on to another
 * access before it throws (JDK-8364167, openjdk/jdk PR #30436; not fixed in 25.0.3). A second
 * handshake lets the accesses in flight during the close finish first, but it is no guarantee:
 * unmapping right after it still crashed the JVM ({@code CloseRaceTest}, SIGSEGV, once in four runs
 * under load). So the memory is not unmapped but {@linkplain Quarantine retired}: replaced by
 * throwaway memory, unmapped once later handshakes have passed, which this class counts.
 */
public final class Handshakes {
    private Handshakes() {}

    /** Returns once every Java thread has reached a safepoint poll after this call began. */
    public static void settle() {
        long mark = Quarantine.mark();
        // Closing a shared arena is the public API's JVM-wide handshake (~20-50 us).
        Arena.ofShared().close();
        Quarantine.passed(mark);
    }
}
