package io.zxmem;

import static io.zxmem.TestSupport.P;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One round of a touch past a shrunk VMO's end followed by {@code Mapping.close} and {@code setSize},
 * shared by {@link LateFaultTest} and the child JVM of its entry test ({@link TestChild}).
 *
 * <p>What may come out of the calls after the touch is exactly what the JVM allows (see
 * io.zxmem.internal.Faults): the touch's own late error, once, raised at one of the calls before that
 * call began. HotSpot raises a pending asynchronous error while it enters an interpreted method (at the
 * runtime call its invocation counter makes there) as if the call instruction had thrown it: the
 * callee's handlers are skipped, so no library can catch it, and its stack trace names the callee's
 * first line. Such an error is accepted once per round, only if the touch did not report its fault at
 * once, and only if the call it came out of did nothing (the mapping is still open, the size
 * unchanged); the call is then made again. Anything else is a failure: a second error, an error after
 * a synchronous report, another error, or a call left half done.
 */
final class LateFaultRound {
    static final int RW = Vmar.PERM_READ | Vmar.PERM_WRITE;

    /** Counters over rounds: [0] bytes read (kept live), [1] synchronous reports, [2] late errors at a call. */
    static final int SYNCHRONOUS = 1;
    static final int AT_CALL = 2;

    private LateFaultRound() {}

    /** {@return whether {@code t} is the JVM's report of a fault in an unsafe memory access} */
    static boolean isUnsafeAccessFault(Throwable t) {
        return t instanceof InternalError && t.getMessage() != null && t.getMessage().contains("unsafe memory access");
    }

    /**
     * Runs one round. Called thousands of times so that C2 compiles it whole: the touch then reads
     * garbage and its error waits for the next safepoint poll, which lies inside (or at) the next call.
     * @return what broke the contract above, or null
     */
    static Throwable round(boolean closeFirst, long[] sink) {
        Vmo v = Vmo.create(2 * P, Vmo.RESIZABLE);
        Mapping m = v.map(RW, 0, 2 * P);
        MemorySegment s = m.segment();
        v.setSize(P);
        boolean pending = true;
        try {
            sink[0] += s.get(ValueLayout.JAVA_BYTE, P);
        } catch (InternalError synchronous) {
            sink[SYNCHRONOUS]++;
            pending = false;
        }
        Throwable failed = null;
        for (int step = 0; step < 2 && failed == null; step++) {
            boolean close = (step == 0) == closeFirst;
            try {
                if (close) {
                    m.close();
                } else {
                    v.setSize(2 * P);
                }
            } catch (InternalError e) {
                failed = lateAtCall(e, pending, close, m, v);
                if (failed == null) {
                    pending = false;
                    sink[AT_CALL]++;
                    step--; // nothing of the call ran: make it again
                }
            } catch (Throwable t) {
                failed = t;
            }
        }
        if (failed != null) {
            // Clean up as far as possible so that the leak count shows only what the close lost.
            try {
                m.close();
            } catch (Throwable again) {
                // reported through failed
            }
        }
        try {
            v.close();
        } catch (Throwable t) {
            failed = failed == null ? t : failed;
        }
        return failed;
    }

    /** {@code t} with the top of its stack, and its cause's: enough to tell where an error came out. */
    static String describe(Throwable t) {
        String d = t + " at " + Arrays.toString(Arrays.copyOf(t.getStackTrace(), Math.min(4, t.getStackTrace().length)));
        return t.getCause() == null ? d : d + " caused by " + describe(t.getCause());
    }

    /** @return null if {@code e} is the touch's late error raised before the call began, else what is wrong */
    private static Throwable lateAtCall(InternalError e, boolean pending, boolean close, Mapping m, Vmo v) {
        String call = close ? "Mapping.close" : "Vmo.setSize";
        if (!isUnsafeAccessFault(e)) {
            return e;
        }
        if (!pending) {
            return new AssertionError(call + " threw an unsafe-access error with none of the caller's pending", e);
        }
        String done = null;
        if (close) {
            try {
                m.segment();
            } catch (IllegalStateException closed) {
                done = "the mapping was closed";
            }
        } else if (v.size() != P) {
            done = "the size changed to " + v.size();
        }
        return done == null ? null : new AssertionError(call + " threw the late error after it began: " + done, e);
    }
}
