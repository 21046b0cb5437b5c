package io.zxmem.internal;

import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.MappableStore;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Where a closed window's address range goes when a late segment access may still land in it: an
 * anonymous mapping that replaces the window in one step, unmapped only after two more JVM handshakes.
 *
 * <p>Why: closing a shared arena handshakes every thread so that one found inside an access to the
 * arena's memory throws instead of continuing. In HotSpot up to 25 that handshake may be processed at
 * a safepoint poll that cannot install the asynchronous exception; the thread then goes on and may
 * make one more access to the closed memory before it throws (JDK-8364167, fixed in mainline by
 * openjdk/jdk PR #30436 in 2026-03, not in 25.0.3). One more handshake ({@link Handshakes#settle})
 * narrows that window but does not close it: {@code CloseRaceTest} still crashed the JVM (SIGSEGV,
 * {@code SEGV_MAPERR} in a C1-compiled {@code Unsafe.getLongUnaligned}) once in four runs under load.
 * So no such range is ever left as a hole: {@link #retire} puts {@code mmap(MAP_FIXED | MAP_PRIVATE |
 * MAP_ANONYMOUS | MAP_NORESERVE)} in the window's place, which the kernel does atomically, so that a
 * late load reads zeros and a late store lands in throwaway memory; pages never touched cost nothing.
 * The window's own memory (a VMO's memfd) is no longer mapped there, so the VMO is freed at once.
 *
 * <p>The replacement is unmapped once {@value #HANDSHAKES} handshakes that began after it completed:
 * every thread has then passed that many safepoint polls since, and a thread left inside an access by
 * the bug throws at the first poll that can install its exception. Handshakes are counted in
 * {@link Handshakes#settle}, which every close that retires a window runs, so ranges go a close or
 * two later; at most {@value #MAX_PENDING} ranges and {@value #MAX_PENDING_BYTES} bytes of address
 * space wait (so {@code vm.max_map_count} and the address space stay bounded): a retire that finds
 * more runs handshakes of its own until they are released. If the replacement fails (ENOMEM: the map
 * count is exhausted), the window is unmapped as before.
 *
 * <p>Only windows whose segments other threads may be using go through here (a {@code Mapping} that
 * gave out a segment, an {@code ArenaMapping} of a shared arena); a confined arena's window, or a
 * mapping that never gave out a segment, is unmapped at once.
 */
public final class Quarantine {
    private static final LibC C = LibC.get();
    private static final System.Logger LOG = System.getLogger("io.zxmem.leaks");

    /** Handshakes that must complete after a replacement before its range can be unmapped. */
    static final int HANDSHAKES = 2;
    /** Ranges that may wait at once. */
    public static final int MAX_PENDING = 64;
    /** Bytes of address space that may wait at once (huge windows: a second one must still find room). */
    public static final long MAX_PENDING_BYTES = 1L << 40;

    /** Set while {@link #retire} runs a window's unmap: its {@link #unmap} calls replace instead. */
    private static final ThreadLocal<Boolean> RETIRING = new ThreadLocal<>();

    /** A replaced range, and how many handshakes have completed since. */
    private static final class Range {
        final long address;
        final long length;
        final long seq;
        int handshakes;
        /** The next range to unmap, in a {@link #passed} call's list (no allocation on every close). */
        Range nextFree;

        Range(long address, long length, long seq) {
            this.address = address;
            this.length = length;
            this.seq = seq;
        }
    }

    private static final Object LOCK = new Object();
    /** Oldest first, guarded by {@link #LOCK}. */
    private static final ArrayDeque<Range> PENDING = new ArrayDeque<>();
    private static long nextSeq;
    private static long pendingBytes;

    private Quarantine() {}

    /**
     * Removes {@code w} from the address space, replacing (not unmapping) every range its unmap gives
     * to {@link #unmap}, and a {@link MappableStore.Window.Own} (which is just {@code munmap}) whole.
     */
    public static void retire(MappableStore.Window w) {
        boolean outer = RETIRING.get() == null;
        if (outer) {
            RETIRING.set(Boolean.TRUE);
        }
        try {
            unmap(w);
        } finally {
            if (outer) {
                RETIRING.remove();
            }
        }
        if (outer) {
            // Outside the window's locks: this may run handshakes.
            bound();
        }
    }

    /** Unmaps {@code w}, a part of a window: inside {@link #retire}, a {@link MappableStore.Window.Own} is replaced. */
    public static void unmap(MappableStore.Window w) {
        if (RETIRING.get() != null && w instanceof MappableStore.Window.Own own) {
            replace(own.address(), own.length());
        } else {
            w.unmap();
        }
    }

    /**
     * The store's {@code munmap} of a window's range: inside {@link #retire}, replaces the range with
     * anonymous memory and keeps it; otherwise unmaps it.
     */
    public static void unmap(MemorySegment address, long length) {
        if (RETIRING.get() != null) {
            replace(address.address(), length);
        } else {
            C.munmap(address, length);
        }
    }

    private static void replace(long address, long length) {
        MemorySegment at = MemorySegment.ofAddress(address);
        try {
            C.mmap(at, length, Linux.PROT_READ | Linux.PROT_WRITE,
                    Linux.MAP_FIXED | Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS | Linux.MAP_NORESERVE, -1, 0);
        } catch (LinuxException e) {
            // No room for one more mapping: the caller's handshakes are all the protection left.
            C.munmap(at, length);
            return;
        }
        synchronized (LOCK) {
            PENDING.addLast(new Range(address, length, nextSeq++));
            pendingBytes += length;
        }
    }

    /** @return a mark for {@link #passed}: the ranges replaced before this call are older than it */
    static long mark() {
        synchronized (LOCK) {
            return nextSeq;
        }
    }

    /**
     * Counts a handshake that began after {@code mark} was taken and has completed, and unmaps the
     * ranges older than the mark that have now seen {@value #HANDSHAKES}.
     */
    static void passed(long mark) {
        Range free = null;
        synchronized (LOCK) {
            for (Iterator<Range> it = PENDING.iterator(); it.hasNext(); ) {
                Range r = it.next();
                if (r.seq >= mark) {
                    break;
                }
                if (++r.handshakes >= HANDSHAKES) {
                    it.remove();
                    pendingBytes -= r.length;
                    r.nextFree = free;
                    free = r;
                }
            }
        }
        for (Range r = free; r != null; r = r.nextFree) {
            try {
                C.munmap(MemorySegment.ofAddress(r.address), r.length);
            } catch (LinuxException e) {
                LOG.log(System.Logger.Level.WARNING, "zxmem: unmapping the retired range " + Ranges.hex(r.address)
                        + "+" + Ranges.hex(r.length) + " failed", e);
            }
        }
    }

    /** Runs handshakes until no more than the allowed ranges and bytes wait. */
    private static void bound() {
        while (true) {
            synchronized (LOCK) {
                if (PENDING.size() <= MAX_PENDING && pendingBytes <= MAX_PENDING_BYTES) {
                    return;
                }
            }
            Handshakes.settle();
        }
    }

    /** @return how many replaced ranges wait to be unmapped */
    public static int pending() {
        synchronized (LOCK) {
            return PENDING.size();
        }
    }

    /** @return the bytes of address space the waiting ranges hold */
    public static long pendingBytes() {
        synchronized (LOCK) {
            return pendingBytes;
        }
    }

    /** @return whether {@code [address, address+length)} is among the ranges waiting */
    public static boolean isPending(long address, long length) {
        synchronized (LOCK) {
            for (Range r : PENDING) {
                if (r.address == address && r.length == length) {
                    return true;
                }
            }
            return false;
        }
    }
}
