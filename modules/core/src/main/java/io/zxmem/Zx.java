package io.zxmem;

import io.zxmem.internal.Pages;
import io.zxmem.internal.Purger;
import io.zxmem.internal.VmoManager;

/** Process-wide facts and controls. */
public final class Zx {
    private Zx() {}

    /** @return the system page size, read from the OS ({@code sysconf(_SC_PAGESIZE)}) */
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
     */
    public static void setDiscardableBudget(long bytes) {
        Purger.get().setBudget(bytes);
    }

    /** @return the budget set by {@link #setDiscardableBudget} */
    public static long discardableBudget() {
        return Purger.get().budget();
    }

    /** @return how many VMO objects are alive in this process (handles, mappings or children keep them) */
    public static int liveVmoCount() {
        return VmoManager.liveCount();
    }

    /** @return the state of the memory-pressure monitor, for diagnostics */
    public static String pressureMonitor() {
        return Purger.get().monitorState();
    }
}
