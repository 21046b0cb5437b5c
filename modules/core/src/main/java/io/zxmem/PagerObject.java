package io.zxmem;

import io.zxmem.internal.object.KernelObject;
import io.zxmem.spi.PagerEngine;

/** The object behind {@link Pager} handles: its engine, closed (every VMO detached) with the last handle. */
final class PagerObject extends KernelObject {
    final PagerEngine engine;

    PagerObject(PagerEngine engine) {
        super(0);
        this.engine = engine;
    }

    @Override
    protected void destroy() {
        engine.close();
    }
}
