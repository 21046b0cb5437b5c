package io.zxmem.spi;

import java.util.ServiceLoader;

/**
 * Makes user pagers ({@code io.zxmem.Pager}). Core validates every call (handles, rights, alignment,
 * ranges, in Zircon's order) and hands the rest to an engine found with {@link ServiceLoader}; zxmem's
 * {@code io.zxmem.pager} module provides it. Without the module, {@code Pager.create()} fails with
 * NOT_SUPPORTED.
 *
 * <p>{@code L} is the type of the link between a pager and another process that received one of its
 * VMOs: the public {@code io.zxmem.Channel}, which the pager module reads and writes through the
 * public API. The SPI names it only as a type parameter, bound by the handle layer that calls
 * {@link #find(Class)}, so that the SPI (below the handles) never depends on a handle class: core's
 * packages form no cycle ({@code modules/core/README.md}).
 *
 * @param <L> the link type, {@code io.zxmem.Channel}
 */
public interface PagerProvider<L> {

    /** @return the link type this provider reads and writes ({@code io.zxmem.Channel}) */
    Class<L> linkType();

    /** @return a new pager engine: one per {@code Pager} object */
    PagerEngine newPager();

    /**
     * The store of a pager-backed VMO received from another process: its bytes are {@code bytes} (the
     * pager VMO's memfd), and pages are asked for over {@code link}, whose other end the sender's
     * {@link #serve} serves. Takes ownership of both and never throws: a link that is already dead makes
     * every later request fail with BAD_STATE.
     */
    PageStore remote(SharedStore bytes, L link);

    /**
     * Serves another process that received the VMO of {@code store} (a store of this provider's
     * engines): it asks for pages over {@code server}'s peer. {@code client} is that peer, whose
     * descriptor is being sent; the store closes it once the other process has it (or when the VMO is
     * destroyed), so that a dead receiver closes the link. {@code onClose} runs once when the link is
     * gone (the sender holds the VMO alive until then).
     */
    void serve(PagerStore store, L server, L client, Runnable onClose);

    /**
     * @param linkType the link type the caller passes ({@code io.zxmem.Channel.class})
     * @return the provider on the module or class path, or null when none is there
     * @throws IllegalStateException when the provider found reads another link type (a build mismatch)
     */
    @SuppressWarnings("unchecked")
    static <L> PagerProvider<L> find(Class<L> linkType) {
        PagerProvider<?> p = Holder.PROVIDER;
        if (p == null) {
            return null;
        }
        if (p.linkType() != linkType) {
            throw new IllegalStateException(p.getClass().getName() + " links pagers over " + p.linkType().getName()
                    + ", not " + linkType.getName());
        }
        return (PagerProvider<L>) p;
    }

    /** Looked up once. */
    final class Holder {
        static final PagerProvider<?> PROVIDER = ServiceLoader.load(PagerProvider.class, PagerProvider.class.getClassLoader())
                .findFirst().orElse(null);

        private Holder() {}
    }
}
