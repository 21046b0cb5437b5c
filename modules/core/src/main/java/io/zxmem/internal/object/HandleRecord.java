package io.zxmem.internal.object;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;

/**
 * What an object keeps of each of its open handles: the handle's rights (what inspection lists) and a
 * phantom reference to the handle, enqueued when the handle becomes unreachable while still open (a
 * leak, which the handle layer closes). The object's list of open handles is what keeps these records
 * reachable, so a handle costs no registration beyond that list: no {@code Cleaner} entry, whose list
 * insert and removal were 3.5% of a channel round trip of a VMO handle (perf).
 */
public abstract class HandleRecord extends PhantomReference<Object> {
    private final int rights;

    /**
     * @param handle the handle, held phantomly
     * @param queue  where the record goes once {@code handle} is unreachable
     * @param rights the handle's rights
     */
    protected HandleRecord(Object handle, ReferenceQueue<Object> queue, int rights) {
        super(handle, queue);
        this.rights = rights;
    }

    /** {@return the rights of the handle} */
    public final int rights() {
        return rights;
    }
}
