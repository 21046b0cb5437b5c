package io.zxmem.internal;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;

/** The system page size, read once from the OS. */
public final class Pages {
    /**
     * Read on first use, not in a static initialiser: when the JVM refuses native access, the
     * failure must reach the caller as LibC's one clear message each time, not as an
     * ExceptionInInitializerError once and "Could not initialize class" ever after.
     */
    private static volatile long size;

    private Pages() {}

    public static long size() {
        long s = size;
        if (s == 0) {
            s = LibC.get().sysconf(Linux._SC_PAGESIZE);
            size = s;
        }
        return s;
    }
}
