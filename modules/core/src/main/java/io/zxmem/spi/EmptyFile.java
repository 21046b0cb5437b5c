package io.zxmem.spi;

import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.MemorySegment;

/**
 * Mappings of an empty, sealed memfd: what a window shows past the end of what it may reach (a
 * slice's end). Touching it raises SIGBUS, which the JVM turns into an {@link InternalError}; a
 * {@code PROT_NONE} hole would raise SIGSEGV instead and kill the JVM.
 */
public final class EmptyFile {
    private EmptyFile() {}

    /**
     * Maps {@code length} bytes of an empty file at {@code at} ({@code MAP_FIXED} when {@code fixed},
     * replacing what was there; a hint otherwise). @return where it was mapped
     */
    public static MemorySegment map(MemorySegment at, long length, int prot, boolean fixed) {
        LibC c = LibC.get();
        int fd = c.memfd_create("zxmem-past-end", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        try {
            c.fcntl(fd, Linux.F_ADD_SEALS, Linux.F_SEAL_GROW | Linux.F_SEAL_SHRINK | Linux.F_SEAL_SEAL);
            return c.mmap(at, length, prot, Linux.MAP_SHARED | (fixed ? Linux.MAP_FIXED : 0), fd, 0);
        } finally {
            c.close(fd);
        }
    }
}
