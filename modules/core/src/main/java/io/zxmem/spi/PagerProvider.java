package io.zxmem.spi;

import java.util.ServiceLoader;

/**
 * Makes user pagers ({@code io.zxmem.Pager}). Core validates every call (handles, rights, alignment,
 * ranges, in Zircon's order) and hands the rest to an engine found with {@link ServiceLoader}; zxmem's
 * {@code io.zxmem.pager} module provides it. Without the module, {@code Pager.create()} fails with
 * NOT_SUPPORTED.
 */
public interface PagerProvider {

    /** @return a new pager engine: one per {@code Pager} object */
    PagerEngine newPager();

    /** @return the provider on the module or class path, or null when none is there */
    static PagerProvider find() {
        return Holder.PROVIDER;
    }

    /** Looked up once. */
    final class Holder {
        static final PagerProvider PROVIDER = ServiceLoader.load(PagerProvider.class, PagerProvider.class.getClassLoader())
                .findFirst().orElse(null);

        private Holder() {}
    }
}
