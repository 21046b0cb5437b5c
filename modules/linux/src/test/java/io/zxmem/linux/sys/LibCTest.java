package io.zxmem.linux.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.linux.LinuxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The bindings against the real kernel: results, and the errno path of failing calls. */
class LibCTest {
    private final LibC c = LibC.get();

    @Test
    void failingCallNamesTheCallTheErrnoAndTheOsMessage() {
        LinuxException e = assertThrows(LinuxException.class, () -> c.close(-1));
        assertEquals("close", e.call());
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("EBADF", e.errnoName());
        assertEquals("Bad file descriptor", e.osMessage());
        assertTrue(e.getMessage().contains("close") && e.getMessage().contains("EBADF"), e.getMessage());
    }

    @Test
    void mmapFailureReportsEinval() {
        LinuxException e = assertThrows(LinuxException.class,
                () -> c.mmap(MemorySegment.NULL, 0, Linux.PROT_READ, Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS, -1, 0));
        assertEquals("mmap", e.call());
        assertEquals("EINVAL", e.errnoName());
    }

    @Test
    void openNamesThePath() {
        LinuxException e = assertThrows(LinuxException.class, () -> c.open("/nonexistent/zxmem", Linux.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.call().contains("/nonexistent/zxmem"));
    }

    @Test
    void memfdRoundTripThroughMmapPreadAndPwrite() {
        long page = c.sysconf(Linux._SC_PAGESIZE);
        int fd = c.memfd_create("zxmem-test", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        try (Arena arena = Arena.ofConfined()) {
            c.ftruncate(fd, 2 * page);
            MemorySegment addr = c.mmap(MemorySegment.NULL, 2 * page, Linux.PROT_READ | Linux.PROT_WRITE,
                    Linux.MAP_SHARED, fd, 0);
            MemorySegment map = NativeAccess.segment(addr, 2 * page);
            map.set(ValueLayout.JAVA_LONG, page, 0x1122334455667788L);
            MemorySegment buf = arena.allocate(8);
            assertEquals(8, c.pread(fd, buf, 8, page));
            assertEquals(0x1122334455667788L, buf.get(ValueLayout.JAVA_LONG, 0));
            buf.set(ValueLayout.JAVA_LONG, 0, 42L);
            assertEquals(8, c.pwrite(fd, buf, 8, 0));
            assertEquals(42L, map.get(ValueLayout.JAVA_LONG, 0));

            MemorySegment st = arena.allocate(Linux.STAT);
            c.fstat(fd, st);
            assertEquals(2 * page, st.get(ValueLayout.JAVA_LONG, Linux.STAT.byteOffset(
                    java.lang.foreign.MemoryLayout.PathElement.groupElement("st_size"))));

            byte[] vec = new byte[2];
            MemorySegment v = arena.allocate(2);
            c.mincore(addr, 2 * page, v);
            MemorySegment.copy(v, ValueLayout.JAVA_BYTE, 0, vec, 0, 2);
            assertArrayEquals(new byte[] {1, 1}, vec);

            c.fcntl(fd, Linux.F_ADD_SEALS, Linux.F_SEAL_GROW);
            assertEquals(Linux.F_SEAL_GROW, c.fcntl(fd, Linux.F_GET_SEALS, 0));
            LinuxException grow = assertThrows(LinuxException.class, () -> c.ftruncate(fd, 4 * page));
            assertEquals(Errno.EPERM, grow.errno());
            c.munmap(addr, 2 * page);
        } finally {
            c.close(fd);
        }
    }

    @Test
    void lseekReportsHolesWithoutThrowing() {
        long page = c.sysconf(Linux._SC_PAGESIZE);
        int fd = c.memfd_create("zxmem-holes", Linux.MFD_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            c.ftruncate(fd, 4 * page);
            assertEquals(-1L, c.lseek(fd, 0, Linux.SEEK_DATA));
            c.pwrite(fd, arena.allocate(1), 1, 2 * page);
            assertEquals(2 * page, c.lseek(fd, 0, Linux.SEEK_DATA));
        } finally {
            c.close(fd);
        }
    }

    /** errno is captured per call and per thread: two threads failing differently never mix them up. */
    @Test
    void errnoIsNeverSharedBetweenThreads() throws Exception {
        int rounds = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<String> bad = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        threads.add(Thread.ofPlatform().start(() -> {
            await(start);
            for (int i = 0; i < rounds && bad.get() == null; i++) {
                try {
                    c.close(-1);
                } catch (LinuxException e) {
                    if (e.errno() != Errno.EBADF) {
                        bad.set("close(-1) saw " + e.errnoName());
                    }
                }
            }
        }));
        threads.add(Thread.ofPlatform().start(() -> {
            await(start);
            for (int i = 0; i < rounds && bad.get() == null; i++) {
                try {
                    c.madvise(MemorySegment.ofAddress(1), 1, 0);
                } catch (LinuxException e) {
                    if (e.errno() != Errno.EINVAL) {
                        bad.set("madvise(1) saw " + e.errnoName());
                    }
                }
            }
        }));
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, bad.get());
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void eventfdAndPoll() {
        int efd = c.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(Linux.POLLFD);
            pfd.set(ValueLayout.JAVA_INT, 0, efd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, Linux.POLLIN);
            assertEquals(0, c.poll(pfd, 1, 0));
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            c.write(efd, one, 8);
            assertEquals(1, c.poll(pfd, 1, 1000));
            assertEquals(Linux.POLLIN, pfd.get(ValueLayout.JAVA_SHORT, 6));
        } finally {
            c.close(efd);
        }
    }
}
