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

    /**
     * The store of a pager-backed VMO received from another process: its bytes are {@code bytes} (the
     * pager VMO's memfd), and pages are asked for over {@code link}, whose other end the sender's
     * {@link PagerStore#serve} serves. Takes ownership of both and never throws: a link that is already
     * dead makes every later request fail with BAD_STATE.
     */
    PageStore remote(SharedStore bytes, io.zxmem.Channel link);

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
