package io.zxmem.internal.object;

import io.zxmem.VmoSnapshot;
import io.zxmem.internal.Linked;
import io.zxmem.internal.Os;
import io.zxmem.internal.Ranges;
import io.zxmem.linux.LinuxException;
import io.zxmem.spi.PageStore;

/**
 * One window of a VM object mapped into this process: what the object lists for inspection and
 * counts against a cache-policy change, and what a mapping hands back to {@link VmObject#unmapped}.
 * Small on purpose: the object holds it, not the public mapping, so a mapping dropped without
 * {@code close()} can still be collected (and reported by its cleaner).
 */
public final class VmMapping extends Linked<VmMapping> {
    private final VmObject vmo;
    private final PageStore.Window window;
    private final long vmoOffset;
    /** The permissions, as {@code Mapping.protect} last set them. */
    private volatile int perms;

    private VmMapping(VmObject vmo, PageStore.Window window, long vmoOffset, int perms) {
        this.vmo = vmo;
        this.window = window;
        this.vmoOffset = vmoOffset;
        this.perms = perms;
    }

    /**
     * Maps {@code [offset, offset+length)} of {@code vmo} under its shared lock and lists the window
     * with it; takes a reference to {@code vmo} that {@link VmObject#unmapped} gives back. The
     * reference comes first: when the last handle is closed meanwhile, the map fails with BAD_HANDLE
     * before anything is mapped, instead of mapping a window nobody would unmap.
     */
    static VmMapping map(VmObject vmo, long offset, long length, int prot, int perms) {
        vmo.retain();
        boolean mapped = false;
        long stamp;
        try {
            stamp = vmo.shared();
        } catch (RuntimeException | Error e) {
            vmo.release();
            throw e;
        }
        // A slice's mapping counts on the VMOs whose pages it shows before it exists, so no cut
        // under their locks can miss it.
        vmo.slicesMapped(1);
        try {
            VmMapping m = new VmMapping(vmo, vmo.store().mapWindow(offset, length, prot, vmo.cachePolicy()), offset, perms);
            mapped = true;
            vmo.mapped(m);
            return m;
        } catch (LinuxException e) {
            throw Os.fail("vmar.map(vmo_offset=" + Ranges.hex(offset) + ", len=" + Ranges.hex(length) + ")", e);
        } finally {
            if (!mapped) {
                vmo.slicesMapped(-1);
            }
            vmo.unlockShared(stamp);
            if (!mapped) {
                vmo.release();
            }
        }
    }

    public VmObject vmo() {
        return vmo;
    }

    public PageStore.Window window() {
        return window;
    }

    public void setPerms(int perms) {
        this.perms = perms;
    }

    VmoSnapshot.Mapped listing() {
        return new VmoSnapshot.Mapped(window.address(), window.length(), vmoOffset, perms);
    }
}
