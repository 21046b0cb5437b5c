/**
 * Copy-on-write children of zxmem VMOs ({@code CHILD_SNAPSHOT}, {@code CHILD_SNAPSHOT_AT_LEAST_ON_WRITE}):
 * the engine behind {@code Vmo.createChild}, plugged into core through {@link io.zxmem.spi.ChildEngine}.
 * See the module's README for the design.
 */
module io.zxmem.cow {
    requires io.zxmem;

    // LazyFaults: the native fault handler also serves lazy windows of received pager VMOs.
    exports io.zxmem.cow to io.zxmem.pager;

    provides io.zxmem.spi.ChildEngine with io.zxmem.cow.CowEngine;
}
