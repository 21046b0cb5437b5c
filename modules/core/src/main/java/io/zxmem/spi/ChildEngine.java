package io.zxmem.spi;

import java.util.ServiceLoader;

/**
 * Makes the stores of copy-on-write children ({@code CHILD_SNAPSHOT},
 * {@code CHILD_SNAPSHOT_AT_LEAST_ON_WRITE}). Core validates the call and holds the parent's exclusive
 * lock; the engine decides where the child's pages live and may hand back a new store for the parent
 * (a parent whose pages become a hidden, shared node). The engine is found with
 * {@link ServiceLoader}; zxmem's {@code io.zxmem.cow} module provides it.
 */
public interface ChildEngine {

    /**
     * Cuts a child from {@code parent}.
     *
     * @param parent       the store whose pages the child copies (never a slice's: slices are resolved
     *                     to the VMO whose pages they window)
     * @param parentSize   the parent's size now
     * @param parentResizable whether the parent may change size later (its pages may then vanish)
     * @param limit        the child sees the parent's content in {@code [offset, limit)}; beyond reads zero
     * @param parentMapped whether any mapping (of the parent or of a slice of it) shows the parent's pages
     * @param offset       page-aligned offset in the parent
     * @param size         page-aligned size of the child
     * @param snapshot     true for a two-way snapshot, false for at-least-on-write
     * @param name         a name for the memory the child gets (memfd names show in /proc)
     * @return the child's store, and a store to replace the parent's (or null to keep it)
     */
    Cut cut(PageStore parent, long parentSize, boolean parentResizable, long limit, boolean parentMapped,
            long offset, long size, boolean snapshot, String name);

    /** The result of {@link #cut}. */
    record Cut(PageStore child, PageStore parentReplacement) {}

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
