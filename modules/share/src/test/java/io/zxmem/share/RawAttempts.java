package io.zxmem.share;

import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a hostile receiver of a VMO descriptor tries with raw system calls, bypassing zxmem: each
 * attempt's outcome is "ok" or the errno name. Used in-process and in child JVMs.
 */
final class RawAttempts {
    private static final LibC C = LibC.get();

    private RawAttempts() {}

    interface Attempt {
        void run();
    }

    static String outcome(Attempt a) {
        try {
            a.run();
            return "ok";
        } catch (LinuxException e) {
            return e.errnoName();
        }
    }

    /** Every way to write or resize the file behind {@code fd} (a page is {@code page} bytes). */
    static Map<String, String> writeAttempts(int fd, long page) {
        Map<String, String> r = new LinkedHashMap<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 'X');
            r.put("mmap-shared-write", outcome(() -> C.munmap(
                    C.mmap(MemorySegment.NULL, page, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0), page)));
            r.put("pwrite", outcome(() -> C.pwrite(fd, one, 1, 0)));
            r.put("ftruncate-grow", outcome(() -> C.ftruncate(fd, 64 * page)));
            r.put("ftruncate-shrink", outcome(() -> C.ftruncate(fd, 0)));
            r.put("punch-hole", outcome(() -> C.fallocate(fd, Linux.FALLOC_FL_PUNCH_HOLE | Linux.FALLOC_FL_KEEP_SIZE, 0, page)));
            r.put("add-seal", outcome(() -> C.fcntl(fd, Linux.F_ADD_SEALS, Linux.F_SEAL_SEAL)));
            r.put("mprotect-readonly-mapping", outcome(() -> {
                MemorySegment m = C.mmap(MemorySegment.NULL, page, Linux.PROT_READ, Linux.MAP_SHARED, fd, 0);
                try {
                    C.mprotect(m, page, Linux.PROT_READ | Linux.PROT_WRITE);
                } finally {
                    C.munmap(m, page);
                }
            }));
            int rw;
            try {
                rw = C.open("/proc/self/fd/" + fd, Linux.O_RDWR | Linux.O_CLOEXEC, 0);
                r.put("reopen-rdwr", "ok");
            } catch (LinuxException e) {
                r.put("reopen-rdwr", e.errnoName());
                return r;
            }
            try {
                r.put("reopened-mmap-shared-write", outcome(() -> C.munmap(
                        C.mmap(MemorySegment.NULL, page, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, rw, 0), page)));
                r.put("reopened-pwrite", outcome(() -> C.pwrite(rw, one, 1, 0)));
                r.put("reopened-write", outcome(() -> C.write(rw, one, 1)));
                r.put("reopened-ftruncate", outcome(() -> C.ftruncate(rw, 64 * page)));
            } finally {
                C.close(rw);
            }
        }
        return r;
    }
}
