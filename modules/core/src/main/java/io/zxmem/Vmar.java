package io.zxmem;

import io.zxmem.internal.Pages;
import io.zxmem.internal.Ranges;
import io.zxmem.internal.VmoObject;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.PageStore;
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
     * @param options   {@code PERM_*} bits and mapping options such as {@link #MAP_RANGE}
     * @param vmo       the VMO to map
     * @param vmoOffset the page-aligned offset in the VMO where the window starts
     * @param length    the window's length in bytes
     * @return the mapping; close it to unmap
     * @throws ZxException ACCESS_DENIED without MAP, or for permissions the handle's rights do not
     *                     cover; INVALID_ARGS for write or execute without read, length 0, an unaligned
     *                     offset or unknown options; NOT_SUPPORTED for REQUIRE_NON_RESIZABLE on a
     *                     resizable VMO and for a discardable VMO without ALLOW_FAULTS
     */
    public Mapping map(int options, Vmo vmo, long vmoOffset, long length) {
        String op = "vmar.map(options=" + Ranges.hex(options) + ", vmo_offset=" + Ranges.hex(vmoOffset)
                + ", len=" + Ranges.hex(length) + ")";
        if (vmo == null) {
            throw new ZxException(Status.ERR_BAD_HANDLE, op + ": vmo is null");
        }
        vmo.require(op, Rights.MAP);
        if ((options & ~OPTIONS) != 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "unknown option bits " + Ranges.hex(options & ~OPTIONS));
        }
        int perms = options & PERM_MASK;
        if ((perms & (PERM_WRITE | PERM_EXECUTE)) != 0 && (perms & PERM_READ) == 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "write or execute permission without read");
        }
        int rights = vmo.rights();
        int allowed = ((rights & Rights.READ) != 0 ? PERM_READ : 0) | ((rights & Rights.WRITE) != 0 ? PERM_WRITE : 0)
                | ((rights & Rights.EXECUTE) != 0 ? PERM_EXECUTE : 0);
        if ((perms & ~allowed) != 0) {
            throw Ranges.fail(Status.ERR_ACCESS_DENIED, op, "the handle's rights " + Rights.toString(rights)
                    + " do not allow these permissions");
        }
        long page = Pages.size();
        if (length == 0) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "length is 0");
        }
        if (!Ranges.aligned(vmoOffset, page)) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "vmo_offset is not page-aligned");
        }
        if (Ranges.roundUpOverflows(length, page) || Ranges.overflows(vmoOffset, Ranges.ceil(length, page))) {
            throw Ranges.fail(Status.ERR_INVALID_ARGS, op, "vmo_offset + len overflows");
        }
        long len = Ranges.ceil(length, page);
        VmoObject obj = vmo.object();
        if ((options & REQUIRE_NON_RESIZABLE) != 0 && obj.resizable()) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "REQUIRE_NON_RESIZABLE, but the VMO is resizable");
        }
        if (obj.isDiscardable() && (options & ALLOW_FAULTS) == 0) {
            throw Ranges.fail(Status.ERR_NOT_SUPPORTED, op, "a discardable VMO must be mapped with ALLOW_FAULTS");
        }
        PageStore.Window window = obj.map(vmoOffset, len, prot(perms));
        Mapping m = new Mapping(obj, window, vmoOffset, perms, allowed);
        if ((options & MAP_RANGE) != 0) {
            LibC.get().madvise(MemorySegment.ofAddress(window.address()), len, Linux.MADV_WILLNEED);
        }
        return m;
    }
}
