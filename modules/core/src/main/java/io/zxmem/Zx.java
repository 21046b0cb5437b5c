package io.zxmem;

import io.zxmem.internal.store.MemfdPool;
import io.zxmem.internal.Pages;
import io.zxmem.internal.object.Purger;
import io.zxmem.internal.object.KoidTable;
import java.nio.file.Path;
import java.util.List;

/** Process-wide facts and controls. */
public final class Zx {
    private Zx() {}

    /** {@return the system page size, read from the OS ({@code sysconf(_SC_PAGESIZE)})} */
    public static long pageSize() {
        return Pages.size();
    }

    /**
     * Discards, at once, every discardable VMO that is unlocked now. Their next LOCK reports the whole
     * VMO discarded and the content reads zero; TRY_LOCK fails with UNAVAILABLE.
     *
     * @return how many VMOs were discarded
     */
    public static int reclaimDiscardable() {
        return Purger.get().reclaimAll();
    }

    /**
     * Sets how many committed bytes unlocked discardable VMOs may hold together before the least
     * recently unlocked ones are discarded. {@code Long.MAX_VALUE} (the default) means no budget; memory
     * pressure reported by the kernel discards them regardless.
     *
     * @param bytes the budget in bytes
     * @throws ZxException INVALID_ARGS for a negative budget
     */
    public static void setDiscardableBudget(long bytes) {
        if (bytes < 0) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "zx.set_discardable_budget(" + bytes + "): the budget must be >= 0");
        }
        Purger.get().setBudget(bytes);
    }

    /** {@return the budget set by {@link #setDiscardableBudget}} */
    public static long discardableBudget() {
        return Purger.get().budget();
    }

    /** {@return how many VMO objects are alive in this process (handles, mappings or children keep them)} */
    public static int liveVmoCount() {
        return KoidTable.liveCount();
    }

    /**
     * {@return how many empty memfds zxmem keeps open right now for the next anonymous VMOs} At most
     * {@code -Dzxmem.memfdPool=N}, default 16; 0 turns recycling off. They are open descriptors of this
     * process that belong to no VMO.
     */
    public static int pooledMemfds() {
        return MemfdPool.pooled();
    }

    /**
     * Closes the empty memfds kept for recycling (see {@link #pooledMemfds()}): afterwards every open
     * zxmem memfd belongs to a live VMO. Descriptor leak checks call this before counting.
     *
     * @return how many descriptors were closed
     */
    public static int releasePooledMemfds() {
        return MemfdPool.drain();
    }

    /** {@return a snapshot of every live VMO of this process, in koid order} */
    public static List<VmoSnapshot> inspect() {
        return Inspection.self();
    }

    /**
     * {@return a snapshot of every live VMO of process {@code pid}, which must have opted in}
     * @param pid the process
     * @throws ZxException NOT_FOUND when the process does not exist or has not opted in
     */
    public static List<VmoSnapshot> inspect(long pid) {
        return Inspection.remote(pid);
    }

    /** {@return the pids of running processes that opted in to inspection} */
    public static List<Long> inspectable() {
        return Inspection.optedIn();
    }

    /**
     * Lets {@code zx inspect PID} (or {@link #inspect(long)} in another process of the same user) see
     * this process's VMOs. Idempotent. Also enabled by {@code -Dzxmem.inspect=true}.
     *
     * @return the Unix domain socket that serves the snapshots
     */
    public static Path enableInspection() {
        return Inspection.serve();
    }

    /** {@return the state of the memory-pressure monitor, for diagnostics} */
    public static String pressureMonitor() {
        return Purger.get().monitorState();
    }
}
