package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.PagerEngine;
import io.zxmem.spi.PagerProvider;
import io.zxmem.spi.SharedStore;

/** What core's {@code Pager.create()} finds with {@link java.util.ServiceLoader}. */
public final class UserPagerProvider implements PagerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public UserPagerProvider() {}

    @Override
    public PagerEngine newPager() {
        return new Engine();
    }

    @Override
    public PageStore remote(SharedStore bytes, Channel link) {
        return new RemoteStore(bytes, link);
    }
}
