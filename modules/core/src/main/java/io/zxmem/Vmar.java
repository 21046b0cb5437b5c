package io.zxmem;

import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.object.VmMapping;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.PageStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A virtual memory address region. zxmem offers the process's root region, {@link #root()}, which
 * places mappings wherever the kernel finds room.
 */
public final class Vmar {
    /** Mapping permission: read. */
    public static final int PERM_READ = 1;
    /** Mapping permission: write (needs read too). */
    public static final int PERM_WRITE = 2;
    /** Mapping permission: execute (needs read too). */
    public static final int PERM_EXECUTE = 4;
    /** Pre-fault the pages the VMO already has committed (a hint; it never commits new ones). */
    public static final int MAP_RANGE = 1 << 10;
    /** Fail with NOT_SUPPORTED if the VMO is resizable. */
    public static final int REQUIRE_NON_RESIZABLE = 1 << 11;
    /** Required to map a discardable VMO, whose pages may vanish (they then read zero). */
    public static final int ALLOW_FAULTS = 1 << 12;

    static final int PERM_MASK = PERM_READ | PERM_WRITE | PERM_EXECUTE;
    private static final int OPTIONS = PERM_MASK | MAP_RANGE | REQUIRE_NON_RESIZABLE | ALLOW_FAULTS;
    private static final Vmar ROOT = new Vmar();

    private Vmar() {}

    /** {@return the root region of this process} */
    public static Vmar root() {
        return ROOT;
    }

    static int prot(int perms) {
        return Mapping.protOf(perms);
    }

    /**
     * Maps {@code [vmoOffset, vmoOffset+length)} of {@code vmo} ({@code length} rounded up to pages).
     * The window may extend past the VMO's end; touching that part raises an {@link InternalError}.
     *
     * <p>A mapping of a slice that reaches past the slice's end never shows the parent's pages there:
     * that part behaves as past any VMO's end.
     *
     * @param options   {@code PERM_*} bits and mapping options such as {@link #MAP_RANGE}
     * @param vmo       the VMO to map
     * @param vmoOffset the page-aligned offset in the VMO where the window starts
     * @param length    the window's length in bytes
     * @return the mapping; close it to unmap
     * @throws ZxException BAD_HANDLE for a null or closed handle (also when the last handle is closed
     *                     by another thread during the call: then nothing is mapped); ACCESS_DENIED
     *                     without MAP, or for permissions the handle's rights do not cover; INVALID_ARGS
     *                     for unknown options, write or execute without read, length 0 or an unaligned
     *                     offset; OUT_OF_RANGE when {@code vmoOffset + length} (rounded up) overflows;
     *                     NOT_SUPPORTED for REQUIRE_NON_RESIZABLE on a resizable VMO and for a
     *                     discardable VMO without ALLOW_FAULTS; NO_MEMORY when the address space is full
     */
    public Mapping map(int options, Vmo vmo, long vmoOffset, long length) {
        int checked = check(options, vmo, vmoOffset, length);
        int perms = checked & PERM_MASK;
        long len = Ranges.ceil(length, Pages.size());
        VmMapping mapped = vmo.object().map(vmoOffset, len, prot(perms), perms);
        PageStore.Window window = mapped.window();
        Mapping m;
        try {
            m = new Mapping(mapped, vmoOffset, perms, checked >>> 8);
        } catch (RuntimeException | Error e) {
            try {
                window.unmap();
            } finally {
                mapped.vmo().unmapped(mapped);
            }
            throw e;
        }
        if ((options & MAP_RANGE) != 0) {
            try {
                LibC.get().madvise(MemorySegment.ofAddress(window.address()), len, Linux.MADV_WILLNEED);
            } catch (RuntimeException hintRefused) {
                // MAP_RANGE is a hint: the mapping stands without it.
            }
        }
        return m;
    }

    /**
     * Maps {@code [vmoOffset, vmoOffset+length)} of {@code vmo} until {@code arena} closes, as
     * {@code FileChannel.map(mode, offset, size, arena)} does: the arena's cleanup unmaps the window.
     * The same checks, statuses and guarantees as {@link #map(int, Vmo, long, long)}: the window
     * shows the VMO's bytes as {@code read}/{@code write} and other mappings do, keeps the VMO alive
     * until it is unmapped (closing the handle does not unmap it), is counted in
     * {@code info().numMappings} and listed by inspection, and touching it past the end of a VMO
     * that shrank raises an {@link InternalError} in the touching thread, never a JVM crash.
     *
     * <p>The segment is read-only without {@link #PERM_WRITE}. After {@code arena} closes every access
     * through it throws {@link IllegalStateException}; a confined arena's segment refuses other threads
     * ({@link WrongThreadException}), as any segment of that arena does. The cost of unmapping is the
     * arena's: a confined arena closes in nanoseconds, a shared one is a JVM-wide handshake. There is
     * no {@code protect} for such a window; use a {@link Mapping} for that.
     *
     * @param options   {@code PERM_*} bits and mapping options such as {@link #MAP_RANGE}
     * @param vmo       the VMO to map
     * @param vmoOffset the page-aligned offset in the VMO where the window starts
     * @param length    the window's length in bytes
     * @param arena     the arena whose closing unmaps the window
     * @return a segment over the window, read-only without {@link #PERM_WRITE}
     * @throws ZxException as {@link #map(int, Vmo, long, long)}; INVALID_ARGS when {@code arena} is null
     * @throws IllegalStateException when {@code arena} is already closed (nothing is mapped then)
     * @throws WrongThreadException when {@code arena} is confined to another thread (nothing stays mapped)
     */
    public MemorySegment map(int options, Vmo vmo, long vmoOffset, long length, Arena arena) {
        int checked = check(options, vmo, vmoOffset, length);
        if (arena == null) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, mapOp(options, vmoOffset, length), "arena is null");
        }
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("vmar.map: the arena is already closed");
        }
        int perms = checked & PERM_MASK;
        long len = Ranges.ceil(length, Pages.size());
        MemorySegment seg = ArenaMapping.map(vmo.object(), vmoOffset, len, perms, arena);
        if ((options & MAP_RANGE) != 0) {
            LibC.get().madvise(seg, len, Linux.MADV_WILLNEED);
        }
        return seg;
    }

    /** The operation as error messages name it; built only when something failed. */
    private static String mapOp(int options, long vmoOffset, long length) {
        return "vmar.map(options=" + Ranges.hex(options) + ", vmo_offset=" + Ranges.hex(vmoOffset)
                + ", len=" + Ranges.hex(length) + ")";
    }

    /**
     * The checks of a map, in Zircon's order. @return the requested permissions in bits 0-7 and the
     * permissions the handle's rights allow in bits 8-15
     */
    private static int check(int options, Vmo vmo, long vmoOffset, long length) {
        if (vmo == null) {
            throw new ZxException(Status.ERR_BAD_HANDLE, mapOp(options, vmoOffset, length) + ": vmo is null");
        }
        if (!vmo.isValid() || (vmo.rights() & Rights.MAP) == 0) {
            vmo.require(mapOp(options, vmoOffset, length), Rights.MAP);
        }
        if ((options & ~OPTIONS) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, mapOp(options, vmoOffset, length),
                    "unknown option bits " + Ranges.hex(options & ~OPTIONS));
        }
        int perms = options & PERM_MASK;
        if ((perms & (PERM_WRITE | PERM_EXECUTE)) != 0 && (perms & PERM_READ) == 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, mapOp(options, vmoOffset, length),
                    "write or execute permission without read");
        }
        int rights = vmo.rights();
        int allowed = ((rights & Rights.READ) != 0 ? PERM_READ : 0) | ((rights & Rights.WRITE) != 0 ? PERM_WRITE : 0)
                | ((rights & Rights.EXECUTE) != 0 ? PERM_EXECUTE : 0);
        if ((perms & ~allowed) != 0) {
            throw Ranges.fail(Status.ERR_ACCESS_DENIED, mapOp(options, vmoOffset, length), "the handle's rights "
                    + Rights.toString(rights) + " do not allow these permissions");
        }
        long page = Pages.size();
        if (length == 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, mapOp(options, vmoOffset, length), "length is 0");
        }
        if (!Ranges.aligned(vmoOffset, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, mapOp(options, vmoOffset, length), "vmo_offset is not page-aligned");
        }
        if (Ranges.roundUpOverflows(length, page) || Ranges.overflows(vmoOffset, Ranges.ceil(length, page))) {
            throw Ranges.fail(Status.ERR_OUT_OF_RANGE, mapOp(options, vmoOffset, length), "vmo_offset + len overflows");
        }
        // The call's name is built only for a refusal: every map would otherwise pay for three hex strings.
        String refused = vmo.object().mapRefusal((options & REQUIRE_NON_RESIZABLE) != 0, (options & ALLOW_FAULTS) != 0);
        if (refused != null) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, mapOp(options, vmoOffset, length), refused);
        }
        return perms | allowed << 8;
    }
}
