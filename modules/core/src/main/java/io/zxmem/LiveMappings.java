package io.zxmem;

import io.zxmem.internal.object.VmObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every open mapping of this process: what inspection lists under each VMO. Entries are small
 * descriptors, not the mappings themselves, so a mapping dropped without {@code close()} can still
 * be collected (and reported by its cleaner). Keyed by a per-mapping id, because several mappings of
 * one copy-on-write VMO are views that share an address.
 */
final class LiveMappings {
    private static final AtomicLong NEXT_ID = new AtomicLong();
    private static final ConcurrentHashMap<Long, Entry> LIVE = new ConcurrentHashMap<>();

    /** One listed mapping. {@code perms} follows {@code Mapping.protect}. */
    static final class Entry {
        private final long id;
        final VmObject vmo;
        final long address;
        final long length;
        final long vmoOffset;
        volatile int perms;

        Entry(long id, VmObject vmo, long address, long length, long vmoOffset, int perms) {
            this.id = id;
            this.vmo = vmo;
            this.address = address;
            this.length = length;
            this.vmoOffset = vmoOffset;
            this.perms = perms;
        }

        long id() {
            return id;
        }
    }

    private LiveMappings() {}

    static Entry add(VmObject vmo, long address, long length, long vmoOffset, int perms) {
        Entry e = new Entry(NEXT_ID.incrementAndGet(), vmo, address, length, vmoOffset, perms);
        LIVE.put(e.id, e);
        return e;
    }

    static void remove(long id) {
        LIVE.remove(id);
    }

    /** {@return the open mappings of the object with {@code koid}, by address} */
    static List<VmoSnapshot.Mapped> of(long koid) {
        List<VmoSnapshot.Mapped> l = new ArrayList<>();
        for (Entry m : LIVE.values()) {
            if (m.vmo.koid() == koid) {
                l.add(new VmoSnapshot.Mapped(m.address, m.length, m.vmoOffset, m.perms));
            }
        }
        l.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return l;
    }
}
