package io.zxmem.internal.object;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live VMO object of this process, by koid: what {@code zx inspect}, leak checks and the
 * discardable purger enumerate. An object is listed from creation until its last handle, mapping
 * and child are gone.
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
