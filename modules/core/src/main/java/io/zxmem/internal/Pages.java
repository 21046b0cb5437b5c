package io.zxmem.internal;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;

/** The system page size, read once from the OS. */
public final class Pages {
    private static final long SIZE = LibC.get().sysconf(Linux._SC_PAGESIZE);

    private Pages() {}

    public static long size() {
        return SIZE;
    }
}
