package io.zxmem.internal;

/**
 * The JVM's late report of a memory fault in an unsafe access.
 *
 * <p>When compiled code touches a mapping past the end of its file (a VMO that shrank, a file a peer
 * process truncated), the kernel raises SIGBUS; HotSpot skips the faulting instruction and installs an
 * <em>asynchronous</em> {@link InternalError} ("a fault occurred in an unsafe memory access
 * operation") that the thread throws at its next safepoint poll: the return of some later method or a
 * loop back edge, possibly inside an unrelated call, in the middle of taking or releasing a lock.
 * The interpreter throws it at once instead. zxmem therefore
 * <ul>
 *   <li>ends every copy it makes into or out of memory that may fault with {@link #deliver()}, inside
 *       the {@code try} that holds its lock, so its own fault is thrown there and never after the
 *       lock is released (or while it is being released);</li>
 *   <li>calls {@link #deliver()} first thing, in a {@code try} that {@link #discard}s the error, in calls that release resources (closing a
 *       mapping or a handle, resizing), so a fault left pending by an earlier access of the caller
 *       surfaces at a point where nothing is half done, and is discarded there: it belongs to an
 *       access that already completed (with garbage), not to the call, and throwing it from a
 *       {@code close} would leak what the close was about to free.</li>
 * </ul>
 * Only this asynchronous unsafe-access error is caught; every other {@link InternalError} propagates.
 *
 * <p>One delivery point is beyond any library: the entry of a method. When the interpreter enters a
 * method it may call into the runtime before the first bytecode (to create the method's counters, and
 * every 2<sup>{@code Tier0InvokeNotifyFreqLog}</sup> (128) invocations to report them to the
 * compilation policy), and a pending error is thrown on the way back. HotSpot treats it as thrown by
 * the call instruction: the method is not "officially entered" yet ({@code do_not_unlock_if_synchronized}),
 * so {@code InterpreterRuntime::exception_handler_for_exception} unwinds its frame without looking at
 * its handlers, even one that covers bytecode 0. The error comes out of the caller's call, its stack
 * trace naming the callee's first line, and nothing of the callee has run. So a public method of
 * zxmem ({@code close} and {@code setSize} included) can throw the calling thread's own late error at
 * its call, before it begins; it has then done nothing, and the call can simply be made again.
 * Whatever the method calls is covered: a {@code try} in its frame, entered before the first
 * {@link #deliver()} (or the entry of the method that calls it), catches a delivery there. (A
 * SIGBUS installs one error, thrown once: {@code -Xlog:exceptions} shows one installation per touch.
 * LateFaultTest makes the entry delivery happen in most rounds by keeping {@code Mapping.close} and
 * {@code Vmo.setSize} interpreted with {@code -XX:Tier0InvokeNotifyFreqLog=0}.)
 */
public final class Faults {
    private static final Object PROBE = new Object();
    private static final System.Logger LOG = System.getLogger("io.zxmem.faults");

    private Faults() {}

    /** @return whether {@code t} is the JVM's report of a fault in an unsafe memory access */
    public static boolean isUnsafeAccessFault(Throwable t) {
        return t instanceof InternalError && t.getMessage() != null && t.getMessage().contains("unsafe memory access");
    }

    /**
     * Makes the thread throw a pending asynchronous error here. A call to a native method is a point
     * where HotSpot always delivers pending asynchronous exceptions (on the way back from native
     * code), and {@code Thread.holdsLock} is a cheap one that the JIT does not replace by an intrinsic.
     */
    public static void deliver() {
        Thread.holdsLock(PROBE);
    }

    /**
     * Throws a pending late unsafe-access fault of an earlier access and discards it (a few times:
     * HotSpot may deliver it at a poll after the first point). Callers still wrap the call in a
     * {@code try} of their own, for a delivery on their own entry (see {@link #discard}).
     */
    public static void discardPending() {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                deliver();
                return;
            } catch (InternalError e) {
                discard(e);
            }
        }
    }

    /**
     * Discards {@code e} if it is the late unsafe-access error of an earlier access; rethrows anything
     * else. Callers wrap {@link #deliver()} in their own {@code try}: HotSpot may also deliver the
     * pending error at the call of {@code deliver} (on entry, see above), which only a {@code try} in the
     * calling frame catches:
     * <pre>{@code
     * try {
     *     Faults.deliver();
     * } catch (InternalError e) {
     *     Faults.discard(e);
     * }
     * }</pre>
     */
    public static void discard(InternalError e) {
        if (!isUnsafeAccessFault(e)) {
            throw e;
        }
        LOG.log(System.Logger.Level.DEBUG, "zxmem: discarded a late unsafe-access fault of an earlier access", e);
    }
}
