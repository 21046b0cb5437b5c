package io.zxmem;

import io.zxmem.internal.Faults;
import io.zxmem.internal.Handshakes;
import io.zxmem.internal.Os;
import io.zxmem.internal.Quarantine;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.VmMapping;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Linux;
import io.zxmem.linux.sys.NativeAccess;
import io.zxmem.spi.PageStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * A window of a VMO mapped into this process's address space by {@link Vmar#map}.
 *
 * <p>{@link #segment()} gives a {@link MemorySegment} over the window, usable from any thread. It is
 * read-only unless the mapping has {@link Vmar#PERM_WRITE}. After {@link #close()} (or a
 * {@link #protect} that removes a permission) every segment handed out before throws
 * {@link IllegalStateException} on access instead of touching unmapped memory: each mapping's
 * segments belong to a shared arena that is closed before the memory is unmapped or protected.
 * That arena is made on the first call to {@code segment()}, so a mapping used only through its
 * {@link #address()} (handed to native code, say) never pays for one.
 *
 * <p>Touching the window beyond the VMO's current size (after it shrank) raises an
 * {@link InternalError} in the touching thread; the JVM keeps running.
 */
public final class Mapping implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final VmMapping mapped;
    private final long address;
    private final long length;
    private final long vmoOffset;
    private final int allowedPerms;
    private final Unmapper unmapper;
    private final Cleaner.Cleanable cleanable;
    private int perms;
    /** Set under this mapping's monitor before the unmap, so no segment can be made after it. */
    private boolean closed;
    private Arena arena;
    private volatile MemorySegment segment;

    /** Unmaps once: from close(), or from the cleaner when a mapping was dropped without ever giving out a segment. */
    private static final class Unmapper implements Runnable {
        /** What the VMO lists for this mapping (not the mapping itself, which the cleaner watches). */
        final VmMapping mapped;
        final long address;
        final long length;
        volatile boolean segmentGiven;
        /**
         * Whether a segment was ever given out: another thread may then still be inside an access
         * when the close unmaps, so the range is retired instead (io.zxmem.internal.Quarantine).
         */
        volatile boolean lateAccess;
        boolean done;

        final PageStore.Window window;

        Unmapper(VmMapping mapped) {
            this.mapped = mapped;
            this.window = mapped.window();
            this.address = window.address();
            this.length = window.length();
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            if (segmentGiven) {
                // A segment may still be reachable; unmapping under it could crash. Leak, loudly.
                System.getLogger("io.zxmem.leaks").log(System.Logger.Level.WARNING,
                        "zxmem: a mapping of VMO " + mapped.vmo().koid() + " at " + Ranges.hex(address)
                        + " was never closed; its memory stays mapped");
                done = true;
                return;
            }
            done = true;
            try {
                if (lateAccess) {
                    Quarantine.retire(window);
                } else {
                    window.unmap();
                }
            } finally {
                mapped.vmo().unmapped(mapped);
            }
        }
    }

    Mapping(VmMapping mapped, long vmoOffset, int perms, int allowedPerms) {
        this.mapped = mapped;
        this.address = mapped.window().address();
        this.length = mapped.window().length();
        this.vmoOffset = vmoOffset;
        this.perms = perms;
        this.allowedPerms = allowedPerms;
        this.unmapper = new Unmapper(mapped);
        this.cleanable = CLEANER.register(this, unmapper);
    }

    /**
     * {@return a segment over the whole window, read-only without {@link Vmar#PERM_WRITE}}
     * @throws IllegalStateException if the mapping is closed
     * @throws ZxException ACCESS_DENIED if the mapping has no read permission (touching it would crash)
     */
    public MemorySegment segment() {
        MemorySegment s = segment;
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the mapping at " + Ranges.hex(address) + " is closed");
            }
            if ((perms & Vmar.PERM_READ) == 0) {
                throw new ZxException(Status.ERR_ACCESS_DENIED, "mapping.segment: the mapping has no read permission");
            }
            if (segment == null) {
                if (arena == null) {
                    arena = Arena.ofShared();
                    unmapper.segmentGiven = true;
                    unmapper.lateAccess = true;
                }
                MemorySegment seg = NativeAccess.segment(MemorySegment.ofAddress(address), length, arena, null);
                segment = (perms & Vmar.PERM_WRITE) != 0 ? seg : seg.asReadOnly();
            }
            return segment;
        }
    }

    /** {@return the start address of the mapping} */
    public long address() {
        return address;
    }

    /** {@return the mapping's length in bytes (a multiple of the page size)} */
    public long length() {
        return length;
    }

    /** {@return the offset in the VMO where the window starts} */
    public long vmoOffset() {
        return vmoOffset;
    }

    /** {@return the current {@code Vmar.PERM_*} bits} */
    public synchronized int perms() {
        return perms;
    }

    /**
     * Changes the permissions. Removing a permission first invalidates every segment handed out (they
     * throw {@link IllegalStateException}); call {@link #segment()} again for one that matches.
     *
     * @param newPerms the new {@code Vmar.PERM_*} bits
     * @throws ZxException INVALID_ARGS for unknown bits or write/execute without read; ACCESS_DENIED
     *                     beyond the rights of the handle the mapping was made with; NOT_FOUND when closed
     */
    public void protect(int newPerms) {
        try {
            Faults.discardPending();
        } catch (InternalError e) {
            Faults.discard(e);
        }
        protect0(newPerms);
    }

    private synchronized void protect0(int newPerms) {
        String op = "mapping.protect(" + newPerms + ")";
        if (closed) {
            throw Ranges.fail(Status.ERR_NOT_FOUND, op, "the mapping is closed");
        }
        if ((newPerms & ~Vmar.PERM_MASK) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "unknown permission bits");
        }
        if ((newPerms & (Vmar.PERM_WRITE | Vmar.PERM_EXECUTE)) != 0 && (newPerms & Vmar.PERM_READ) == 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "write or execute without read");
        }
        if ((newPerms & ~allowedPerms) != 0) {
            throw Ranges.fail(Status.ERR_ACCESS_DENIED, op, "beyond the rights of the VMO handle it was mapped with");
        }
        if ((perms & ~newPerms) != 0) {
            revoke();
        }
        try {
            unmapper.window.protect(Vmar.prot(newPerms));
        } catch (LinuxException e) {
            throw Os.fail(op, e);
        }
        perms = newPerms;
        mapped.setPerms(newPerms);
        segment = null;
    }

    /** Closes the arena of handed-out segments, waiting out any in use by a native call right now. */
    private void revoke() {
        Arena a = arena;
        if (a == null) {
            return;
        }
        segment = null;
        // The field is cleared only once the arena is closed: a close cut short comes back here.
        while (a.scope().isAlive()) {
            try {
                a.close();
            } catch (IllegalStateException inUse) {
                Thread.onSpinWait();
                Thread.yield();
            }
        }
        // An access in flight during the close may still complete: wait it out before any unmap.
        Handshakes.settle();
        arena = null;
    }

    /**
     * Unmaps the window. Idempotent; throws nothing of its own (see below for the JVM's late fault).
     * Segments handed out before throw {@link IllegalStateException}.
     *
     * <p>Once this mapping has given out a segment, the VMO's memory leaves the address range when
     * this returns, but the range itself is first replaced by private anonymous memory and unmapped a
     * little later (after two more JVM handshakes, which later closes run; at most 64 ranges wait):
     * the JDK's shared-arena close can let a racing thread make one more access after the close
     * (JDK-8364167), and a hole there would kill the JVM. Native code must not use the old address.
     *
     * <p>A touch past the VMO's end in compiled code makes the JVM throw its {@link InternalError}
     * late, at some later call of the same thread; if that is still pending, it is discarded here
     * (the access it belongs to is over), so the close always unmaps and releases the VMO. The JVM may
     * also throw it at the call of this method, before the method begins (no code of the method can
     * catch it there): then the mapping is still open, and calling {@code close} again closes it.
     */
    @Override
    public void close() {
        // Catches a pending late fault thrown at the entry of closeSteps (or at any later point of it):
        // a fault thrown at this method's own entry skips this frame's handlers (see Faults).
        try {
            closeSteps();
        } catch (InternalError e) {
            Faults.discard(e);
            closeSteps();
        }
    }

    private void closeSteps() {
        // Every step is idempotent, so when the late error cuts a step short (HotSpot may throw it at a
        // poll after the point that delivered it), the next attempt finishes the close.
        for (int attempt = 0; ; attempt++) {
            try {
                Faults.deliver();
                synchronized (this) {
                    closed = true;
                    try {
                        revoke();
                    } finally {
                        unmapper.segmentGiven = false;
                    }
                }
                cleanable.clean();
                return;
            } catch (InternalError e) {
                Faults.discard(e);
                if (attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Mapping[" + Ranges.hex(address) + "+" + Ranges.hex(length) + " of VMO " + mapped.vmo().koid()
                + " at " + Ranges.hex(vmoOffset) + ", perms=" + perms + "]";
    }

    static int protOf(int perms) {
        int prot = 0;
        if ((perms & Vmar.PERM_READ) != 0) {
            prot |= Linux.PROT_READ;
        }
        if ((perms & Vmar.PERM_WRITE) != 0) {
            prot |= Linux.PROT_WRITE;
        }
        if ((perms & Vmar.PERM_EXECUTE) != 0) {
            prot |= Linux.PROT_EXEC;
        }
        return prot;
    }
}
