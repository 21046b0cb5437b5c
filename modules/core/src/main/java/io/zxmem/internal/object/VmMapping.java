package io.zxmem.internal.object;

import io.zxmem.VmoSnapshot;
import io.zxmem.spi.PageStore;

/**
 * One window of a VM object mapped into this process: what the object lists for inspection and
 * counts against a cache-policy change, and what a mapping hands back to {@link VmObject#unmapped}.
 * Small on purpose: the object holds it, not the public mapping, so a mapping dropped without
 * {@code close()} can still be collected (and reported by its cleaner).
 */
public final class VmMapping {
    private final VmObject vmo;
    private final PageStore.Window window;
    private final long vmoOffset;
    /** The permissions, as {@code Mapping.protect} last set them. */
    private volatile int perms;

    VmMapping(VmObject vmo, PageStore.Window window, long vmoOffset, int perms) {
        this.vmo = vmo;
        this.window = window;
        this.vmoOffset = vmoOffset;
        this.perms = perms;
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
