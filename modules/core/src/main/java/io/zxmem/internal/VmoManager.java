package io.zxmem.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live VMO object of this process, by koid: what {@code zx inspect}, leak checks and the
 * discardable purger enumerate. An object is listed from creation until its last handle, mapping
 * and child are gone.
 */
public final class VmoManager {
    private static final ConcurrentHashMap<Long, VmoObject> LIVE = new ConcurrentHashMap<>();

    private VmoManager() {}

    static void register(VmoObject vmo) {
        LIVE.put(vmo.koid(), vmo);
    }

    static void unregister(VmoObject vmo) {
        LIVE.remove(vmo.koid());
    }

    /** @return the live VMO objects, in koid order */
    public static List<VmoObject> live() {
        List<VmoObject> l = new ArrayList<>(LIVE.values());
        l.sort((a, b) -> Long.compare(a.koid(), b.koid()));
        return l;
    }

    /** @return how many VMO objects are alive */
    public static int liveCount() {
        return LIVE.size();
    }
}
