package io.zxmem.pager;

/**
 * {@link PagerCrossProcessTest} with the child's direct faults off ({@code zxmem.pager.directFaults=never}):
 * its lazy windows are relayed through its own native handler, the path a pager of another user gets.
 */
class PagerCrossProcessRelayTest extends PagerCrossProcessTest {
    @Override
    String directFaults() {
        return "never";
    }
}
