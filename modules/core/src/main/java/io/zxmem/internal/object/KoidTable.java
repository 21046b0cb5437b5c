package io.zxmem.internal.object;

import java.util.ArrayList;
import java.util.List;

/**
 * Every live VM object of this process, by koid: what {@code zx inspect} and leak checks enumerate.
 * An object is listed from the moment it is made until its last handle, mapping and child are gone.
 * (Not Fuchsia's {@code VmoManager}: that name belongs to the store layer's segment manager.)
 *
 * <p>Lists threaded through the objects ({@link VmObject#liveNext}), one per stripe of koids, each
 * guarded by its stripe's monitor: listing and unlisting cost a lock and a few field writes, and no
 * boxed koid, map node or resize, on the path of every create, receive and close (a
 * {@code ConcurrentHashMap} put and remove were 2.3% of a channel round trip of a VMO handle). Koids
 * are handed out in sequence, so objects made one after the other land in different stripes and
 * threads that create at once rarely meet on one lock. Nothing here needs a lookup by koid.
 */
public final class KoidTable {
    private static final int STRIPES = 16;
    private static final Stripe[] TABLE = new Stripe[STRIPES];

    static {
        for (int i = 0; i < STRIPES; i++) {
            TABLE[i] = new Stripe();
        }
    }

    /** One stripe's list: its head and length, guarded by the stripe's monitor. */
    private static final class Stripe {
        VmObject head;
        int count;
    }

    private KoidTable() {}

    private static Stripe stripe(VmObject vmo) {
        return TABLE[(int) vmo.koid() & (STRIPES - 1)];
    }

    static void register(VmObject vmo) {
        Stripe s = stripe(vmo);
        synchronized (s) {
            vmo.liveNext = s.head;
            if (s.head != null) {
                s.head.livePrev = vmo;
            }
            s.head = vmo;
            s.count++;
        }
    }

    /** Unlists {@code vmo}; nothing when it was never listed (making it failed before) or is no more. */
    static void unregister(VmObject vmo) {
        Stripe s = stripe(vmo);
        synchronized (s) {
            if (vmo.livePrev == null && s.head != vmo) {
                return;
            }
            VmObject next = vmo.liveNext;
            if (vmo.livePrev != null) {
                vmo.livePrev.liveNext = next;
            } else {
                s.head = next;
            }
            if (next != null) {
                next.livePrev = vmo.livePrev;
            }
            vmo.livePrev = null;
            vmo.liveNext = null;
            s.count--;
        }
    }

    /** @return the live VMO objects, in koid order */
    public static List<VmObject> live() {
        List<VmObject> l = new ArrayList<>();
        for (Stripe s : TABLE) {
            synchronized (s) {
                for (VmObject v = s.head; v != null; v = v.liveNext) {
                    l.add(v);
                }
            }
        }
        l.sort((a, b) -> Long.compare(a.koid(), b.koid()));
        return l;
    }

    /** @return how many VMO objects are alive */
    public static int liveCount() {
        int n = 0;
        for (Stripe s : TABLE) {
            synchronized (s) {
                n += s.count;
            }
        }
        return n;
    }
}
