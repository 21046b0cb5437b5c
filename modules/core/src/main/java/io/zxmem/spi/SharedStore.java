package io.zxmem.spi;

/**
 * A {@link PageStore} that is also a {@link SharedFile}: what a pager-backed VMO received from another
 * process keeps its bytes in ({@link PagerProvider#remote}). Core's anonymous store is one; naming the
 * pair here keeps the SPI free of core's store classes.
 */
public interface SharedStore extends PageStore, SharedFile {}
