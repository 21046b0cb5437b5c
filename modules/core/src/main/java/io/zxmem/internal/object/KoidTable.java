package io.zxmem.internal.object;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live VM object of this process, by koid: what {@code zx inspect} and leak checks enumerate.
 * An object is listed from the moment it is made until its last handle, mapping and child are gone.
 * (Not Fuchsia's {@code VmoManager}: that name belongs to the store layer's segment manager.)
 */
public final class KoidTable {
    private static final ConcurrentHashMap<Long, VmObject> LIVE = new ConcurrentHashMap<>();

    private KoidTable() {}

    static void register(VmObject vmo) {
        LIVE.put(vmo.koid(), vmo);
    }

    static void unregister(VmObject vmo) {
        LIVE.remove(vmo.koid());
    }

    /** @return the live VMO objects, in koid order */
    public static List<VmObject> live() {
        List<VmObject> l = new ArrayList<>(LIVE.values());
        l.sort((a, b) -> Long.compare(a.koid(), b.koid()));
        return l;
    }

    /** @return how many VMO objects are alive */
    public static int liveCount() {
        return LIVE.size();
    }
}
