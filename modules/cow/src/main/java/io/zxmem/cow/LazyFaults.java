package io.zxmem.cow;

import io.zxmem.Status;
import io.zxmem.ZxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The engine's native handler serving lazy windows of pager VMOs received from another process
 * (module {@code io.zxmem.pager}, exported to it only). A window registered here faults its missing
 * pages to the native handler thread, which asks the pager's process over a relay socket and resolves
 * the fault when the answer comes; a failed answer leaves a page that raises SIGBUS (an
 * {@link InternalError} in Java). No Java thread of this process takes part in serving a fault, so a
 * fault cannot hold a safepoint open while a Java thread it waits for is stopped at it.
 */
public final class LazyFaults {
    private LazyFaults() {}

    /**
     * @return 1 (full userfaultfd: faults from system calls are served too), 2 (user-mode-only: a
     *         system call touching a missing page gets EFAULT), or 0 when the engine cannot run here
     */
    public static int mode() {
        int m = CowEngine.mode();
        return m > 0 && Zxuffd.dead() == 0 ? m : 0;
    }

    /**
     * Connects a relay to the listening socket at {@code path}.
     *
     * @param path a {@code SOCK_SEQPACKET} channel listener of this process
     * @return the relay
     * @throws ZxException NOT_SUPPORTED without the engine; IO when the socket cannot be reached
     */
    public static MemorySegment connect(Path path) {
        if (mode() == 0) {
            throw new ZxException(Status.ERR_NOT_SUPPORTED, "pager relay: no userfaultfd engine in this process");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment r = Zxuffd.relayConnect(a.allocateFrom(path.toString()), err);
            if (r.equals(MemorySegment.NULL)) {
                throw new ZxException(Status.ERR_IO, "pager relay: cannot connect (errno " + err.get(ValueLayout.JAVA_INT, 0) + ")");
            }
            return r;
        }
    }

    /**
     * Lets go of a relay: it closes now, or when its last window is removed.
     *
     * @param relay a relay from {@link #connect}
     */
    public static void free(MemorySegment relay) {
        Zxuffd.relayFree(relay);
    }

    /**
     * @param relay a relay from {@link #connect}
     * @return 0 while the relay works, else the Zircon status value that failed it
     */
    public static int status(MemorySegment relay) {
        return Zxuffd.relayStatus(relay);
    }

    /**
     * @param relay a relay from {@link #connect}
     * @return page requests the relay sent so far
     */
    public static long requests(MemorySegment relay) {
        return Zxuffd.relayCount(relay, 0);
    }

    /**
     * @param relay a relay from {@link #connect}
     * @return faults of the relay's windows that failed so far
     */
    public static long failures(MemorySegment relay) {
        return Zxuffd.relayCount(relay, 1);
    }

    /**
     * A fault that waits longer than {@code millis} for the pager fails (0: no limit). Process-wide.
     *
     * @param millis the limit in milliseconds, or 0
     */
    public static void faultTimeout(long millis) {
        Zxuffd.setFaultTimeout(millis);
    }

    /**
     * Registers the mapped window {@code [address, address+length)} showing file offset {@code offset}.
     *
     * @param relay   the relay that asks for its pages
     * @param address the window's page-aligned address
     * @param length  its page-aligned length
     * @param offset  the offset in the pager VMO's file that {@code address} shows
     * @return 0, or -errno (the window is then not registered; its missing pages fill with zeros if
     *         touched, so the caller must fetch them first)
     */
    public static int register(MemorySegment relay, long address, long length, long offset) {
        return Zxuffd.addLazyWindow(relay, address, length, offset);
    }

    /**
     * The window at {@code address} is about to be unmapped: it is unregistered, and an access still
     * waiting in it fails (raises SIGBUS) instead of seeing zeros.
     *
     * @param address the window's address, as registered
     * @return false when the caller must not unmap the window: an access may still wait in it, and it
     *         would touch unmapped memory once woken (SIGSEGV kills the JVM). The range then maps an
     *         empty file (SIGBUS on touch, no memory) and stays reserved.
     */
    public static boolean unregister(long address) {
        return Zxuffd.removeWindow(address) == 0;
    }
}
