package io.zxmem.cow;

import io.zxmem.spi.ChildEngine;
import io.zxmem.spi.MemfdStore;
import io.zxmem.spi.PageStore;

/** The copy-on-write engine that core finds through {@link ChildEngine}. See the module README. */
public final class CowEngine implements ChildEngine {
    private final long page = io.zxmem.Zx.pageSize();

    /** For {@link java.util.ServiceLoader}. */
    public CowEngine() {}

    @Override
    public Cut cut(PageStore parent, long limit, boolean parentMapped, long offset, long size, boolean snapshot, String name) {
        MemfdStore child = new MemfdStore(name, size, page);
        try {
            EagerCopy.copy(parent, offset, limit, size, child);
        } catch (RuntimeException | Error e) {
            child.close();
            throw e;
        }
        return new Cut(child, null);
    }
}
