package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.PagerEngine;
import io.zxmem.spi.PagerProvider;
import io.zxmem.spi.PagerStore;
import io.zxmem.spi.SharedStore;

/** What core's {@code Pager.create()} finds with {@link java.util.ServiceLoader}. */
public final class UserPagerProvider implements PagerProvider<Channel> {
    /** For {@link java.util.ServiceLoader}. */
    public UserPagerProvider() {}

    @Override
    public Class<Channel> linkType() {
        return Channel.class;
    }

    @Override
    public PagerEngine newPager() {
        return new Engine();
    }

    @Override
    public PageStore remote(SharedStore bytes, Channel link) {
        return new RemoteStore(bytes, link);
    }

    @Override
    public void serve(PagerStore store, Channel server, Channel client, Runnable onClose) {
        // Every PagerStore is one of this module's: core makes them only through this provider's engines.
        ((PagedStore) store).serve(server, client, onClose);
    }
}
