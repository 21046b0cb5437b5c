package io.zxmem.pager;

/**
 * {@link PagerCrossProcessTest} with direct windows that cannot be poisoned
 * ({@code zxmem.pager.directPoison=false}, what kernels before 6.6 give): this pager's process fails a
 * page by asking the child's native handler over the direct connection.
 */
class PagerCrossProcessNoPoisonTest extends PagerCrossProcessTest {
    @Override
    boolean directPoison() {
        return false;
    }
}
