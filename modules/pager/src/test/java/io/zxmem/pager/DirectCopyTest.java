package io.zxmem.pager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Zx;
import io.zxmem.cow.LazyFaults;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LazyFaults#directCopy}, with which a pager's process supplies a page straight into another
 * process's faulting window ({@code UFFDIO_COPY}, then a look at the VMO's file). The window is the
 * receiver's to make: a receiver that registers a private mapping instead of a shared one of the
 * VMO's file gets its copy, and the file none. The call must say so, or the pager would count a page
 * as supplied that its VMO does not hold (and read zeros there). Here one process plays both sides:
 * the window is registered on a userfaultfd of this process, as the receiver's would be.
 */
class DirectCopyTest {
    private static final long P = Zx.pageSize();
    // linux/userfaultfd.h (the library keeps userfaultfd in C; a wrong value here fails the ioctl's assertion).
    private static final long UFFD_API = 0xAA;
    private static final long UFFDIO_API = 0xc018aa3fL;
    private static final long UFFDIO_REGISTER = 0xc020aa00L;
    private static final long UFFDIO_REGISTER_MODE_MISSING = 1;
    private static final int UFFD_USER_MODE_ONLY = 1;
    /** {@code UFFD_FEATURE_MISSING_SHMEM}: MISSING faults of shmem mappings. */
    private static final long FEATURE_MISSING_SHMEM = 1L << 5;
    /** {@code __NR_userfaultfd} on x86-64 (the only architecture this test assumes). */
    private static final long NR_USERFAULTFD = 323;

    private final LibC c = LibC.get();
    private Arena arena;
    private int memfd = -1;
    private int ufd = -1;
    private MemorySegment window;

    @BeforeEach
    void start() {
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "the syscall number is x86-64's");
        arena = Arena.ofConfined();
        memfd = c.memfd_create("zxmem-direct-copy-test", Linux.MFD_CLOEXEC);
        c.ftruncate(memfd, 4 * P);
    }

    @AfterEach
    void stop() {
        if (window != null) {
            c.munmap(window, 4 * P);
        }
        if (ufd >= 0) {
            c.close(ufd);
        }
        if (memfd >= 0) {
            c.close(memfd);
        }
        if (arena != null) {
            arena.close();
        }
    }

    /** Maps the memfd ({@code flags}: MAP_SHARED or MAP_PRIVATE) and registers it for MISSING faults. */
    private void window(int flags) {
        window = c.mmap(MemorySegment.NULL, 4 * P, Linux.PROT_READ | Linux.PROT_WRITE, flags, memfd, 0)
                .reinterpret(4 * P);
        // UFFD_USER_MODE_ONLY: an ordinary user may make it where vm.unprivileged_userfaultfd is 0.
        long fd = c.syscall("userfaultfd", NR_USERFAULTFD,
                Linux.O_CLOEXEC | Linux.O_NONBLOCK | UFFD_USER_MODE_ONLY, 0, 0);
        Assumptions.assumeTrue(fd >= 0, "no userfaultfd here");
        ufd = (int) fd;
        // struct uffdio_api {api, features, ioctls}; struct uffdio_register {{start, len}, mode, ioctls}: u64 each.
        MemorySegment api = arena.allocate(24, 8);
        api.set(ValueLayout.JAVA_LONG, 0, UFFD_API);
        api.set(ValueLayout.JAVA_LONG, 8, FEATURE_MISSING_SHMEM);
        assertEquals(0, c.ioctl(ufd, UFFDIO_API, api));
        MemorySegment reg = arena.allocate(32, 8);
        reg.set(ValueLayout.JAVA_LONG, 0, window.address());
        reg.set(ValueLayout.JAVA_LONG, 8, 4 * P);
        reg.set(ValueLayout.JAVA_LONG, 16, UFFDIO_REGISTER_MODE_MISSING);
        assertEquals(0, c.ioctl(ufd, UFFDIO_REGISTER, reg));
    }

    private MemorySegment page(byte value) {
        return arena.allocate(P, P).fill(value);
    }

    private byte[] fileAt(long offset) {
        MemorySegment b = arena.allocate(P);
        assertEquals(P, c.pread(memfd, b, P, offset));
        return b.toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] filled(byte value) {
        byte[] b = new byte[(int) P];
        java.util.Arrays.fill(b, value);
        return b;
    }

    @Test
    void aSharedWindowGetsThePageAndSoDoesTheFile() {
        window(Linux.MAP_SHARED);
        assertEquals(0, LazyFaults.directCopy(ufd, window.address() + P, page((byte) 7), memfd, P));
        assertArrayEquals(filled((byte) 7), window.asSlice(P, P).toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(filled((byte) 7), fileAt(P));
        // A page that is there already is refused, and stays as it was.
        assertEquals(-17, LazyFaults.directCopy(ufd, window.address() + P, page((byte) 9), memfd, P), "EEXIST");
        assertArrayEquals(filled((byte) 7), fileAt(P));
    }

    @Test
    void aPrivateWindowGetsThePageButTheFileDoesNot() {
        window(Linux.MAP_PRIVATE);
        assertEquals(1, LazyFaults.directCopy(ufd, window.address() + 2 * P, page((byte) 5), memfd, 2 * P));
        assertArrayEquals(filled((byte) 5), window.asSlice(2 * P, P).toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(new byte[(int) P], fileAt(2 * P), "the file got a page a private mapping holds");
    }
}
