package io.zxmem.spi;

/**
 * A store whose pages come from a user pager, in this process ({@link PagerStore}) or in another one
 * (the receiving side of a pager VMO sent over a channel). Such VMOs cannot be SNAPSHOT, and report
 * {@code VmoInfo.PAGER_BACKED}.
 */
public interface PagerBacked extends PageStore {}
