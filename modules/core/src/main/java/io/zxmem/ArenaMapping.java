package io.zxmem;

import io.zxmem.internal.Handshakes;
import io.zxmem.internal.Quarantine;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.VmMapping;
import io.zxmem.internal.object.VmObject;
import io.zxmem.linux.sys.NativeAccess;
import io.zxmem.spi.PageStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * A window whose lifetime is a caller's {@link Arena}, as {@code FileChannel.map(mode, offset, size,
 * arena)} does it: the arena's cleanup unmaps the window, lists it no more and gives back the VMO
 * reference the window holds. No {@link Mapping} object and no arena of zxmem's own, so a confined
 * arena costs nanoseconds to close, where a {@code Mapping}'s shared arena costs a JVM-wide handshake.
 *
 * <p>The arena is what makes a stale segment safe: once it is closed, the JDK refuses every access
 * through the segment (or a slice of it) with {@link IllegalStateException} before the window is
 * unmapped, and a confined arena's segment refuses other threads ({@link WrongThreadException}).
 */
final class ArenaMapping implements Consumer<MemorySegment> {
    private final VmMapping mapped;
    private final PageStore.Window window;
    private boolean done;
    /** Whether threads other than the closing one may have used the segment (a shared arena). */
    private volatile boolean sharedArena;

    /** A thread that is never the owner of a confined arena: a segment it may access is shared. */
    private static final Thread OTHER_THREAD = Thread.ofVirtual().unstarted(() -> {});

    private ArenaMapping(VmMapping mapped) {
        this.mapped = mapped;
        this.window = mapped.window();
    }

    /**
     * Maps the checked window and ties it to {@code arena}. On any failure (the arena closed meanwhile,
     * or a confined arena of another thread) the window is unmapped again before the exception leaves.
     */
    static MemorySegment map(VmObject obj, long vmoOffset, long len, int perms, Arena arena) {
        VmMapping mapped = obj.map(vmoOffset, len, Vmar.prot(perms), perms);
        PageStore.Window window = mapped.window();
        ArenaMapping m;
        try {
            m = new ArenaMapping(mapped);
        } catch (RuntimeException | Error e) {
            window.unmap();
            obj.unmapped(mapped);
            throw e;
        }
        MemorySegment seg;
        try {
            seg = NativeAccess.segment(MemorySegment.ofAddress(window.address()), len, arena, m);
        } catch (RuntimeException | Error e) {
            // The arena refused the cleanup (closed, or a confined arena of another thread): undo here.
            m.accept(null);
            throw e;
        }
        m.sharedArena = seg.isAccessibleBy(OTHER_THREAD);
        return (perms & Vmar.PERM_WRITE) != 0 ? seg : seg.asReadOnly();
    }

    /** The arena's cleanup: runs once, on the thread that closes the arena (or the arena's cleaner). */
    @Override
    public void accept(MemorySegment ignored) {
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
        }
        boolean shared = sharedArena;
        if (shared) {
            // Other threads may have been inside an access when the arena closed (io.zxmem.internal.Handshakes).
            Handshakes.settle();
        }
        try {
            if (shared) {
                // ... and may still be (JDK-8364167): the range is replaced, not left as a hole.
                Quarantine.retire(window);
            } else {
                window.unmap();
            }
        } catch (RuntimeException e) {
            // Nothing can reach the window any more; an unmap that fails leaves it mapped, and says so.
            System.getLogger("io.zxmem.leaks").log(System.Logger.Level.WARNING, "zxmem: unmapping "
                    + Ranges.hex(window.address()) + "+" + Ranges.hex(window.length()) + " of VMO " + mapped.vmo().koid()
                    + " failed", e);
        } finally {
            mapped.vmo().unmapped(mapped);
        }
    }
}
