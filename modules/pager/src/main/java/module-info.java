/**
 * User-pager VMOs ({@code io.zxmem.Pager}, Zircon's {@code zx_pager_*}): the engine behind core's
 * {@code Pager}, plugged in through {@link io.zxmem.spi.PagerProvider}. See the module's README.
 */
module io.zxmem.pager {
    requires io.zxmem;
    // The copy-on-write engine's native userfaultfd handler serves lazy windows of received pager VMOs.
    requires io.zxmem.cow;

    provides io.zxmem.spi.PagerProvider with io.zxmem.pager.UserPagerProvider;
}
