package io.zxmem.spi;

import java.util.ServiceLoader;

/**
 * Makes the stores of copy-on-write children ({@code CHILD_SNAPSHOT},
 * {@code CHILD_SNAPSHOT_AT_LEAST_ON_WRITE}). Core validates the call, resolves slices to the VMO whose
 * pages they show, and holds that VMO's exclusive lock for the whole cut; the parent's store is
 * never replaced. The engine is found with {@link ServiceLoader}; zxmem's {@code io.zxmem.cow} module
 * provides it. A store the engine can cut from without copying implements {@link WatchedFile}.
 */
public interface ChildEngine {

    /**
     * Cuts a child from {@code parent}: a point-in-time copy of the parent's bytes
     * {@code [offset, limit)} (past {@code limit}, the child reads zero).
     *
     * @param parent the store whose bytes the child copies (never a slice's)
     * @param offset page-aligned offset in the parent
     * @param limit  the end of the parent's bytes the child may show (its size, or a slice's end)
     * @param size   page-aligned size of the child
     * @param name   a name for the child's memory (memfd names show in /proc)
     * @return the child's store
     * @throws io.zxmem.ZxException NO_MEMORY or NO_RESOURCES when the cut fails; the parent is then unchanged
     */
    PageStore cut(PageStore parent, long offset, long limit, long size, String name);

    /** @return the engine on the module or class path, or null when none is there */
    static ChildEngine find() {
        return Holder.ENGINE;
    }

    /** Looked up once: the engine is stateless from core's point of view. */
    final class Holder {
        static final ChildEngine ENGINE = ServiceLoader.load(ChildEngine.class, ChildEngine.class.getClassLoader())
                .findFirst().orElse(null);

        private Holder() {}
    }
}
