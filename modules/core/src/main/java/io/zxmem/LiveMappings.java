package io.zxmem;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Every open mapping of this process, by address: what inspection lists under each VMO. */
final class LiveMappings {
    private static final ConcurrentHashMap<Long, Mapping> LIVE = new ConcurrentHashMap<>();

    private LiveMappings() {}

    static void add(Mapping m) {
        LIVE.put(m.address(), m);
    }

    static void remove(long address) {
        LIVE.remove(address);
    }

    /** @return the open mappings of the object with {@code koid}, by address */
    static List<VmoSnapshot.Mapped> of(long koid) {
        List<VmoSnapshot.Mapped> l = new ArrayList<>();
        for (Mapping m : LIVE.values()) {
            if (m.vmo().koid() == koid) {
                l.add(new VmoSnapshot.Mapped(m.address(), m.length(), m.vmoOffset(), m.perms()));
            }
        }
        l.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return l;
    }
}
