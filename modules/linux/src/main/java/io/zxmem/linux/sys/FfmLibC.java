package io.zxmem.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.linux.LinuxException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@link LibC} through hand-written {@link java.lang.foreign.Linker} downcalls. */
final class FfmLibC implements LibC {
    static final FfmLibC INSTANCE = new FfmLibC();

    private static final MethodHandle MEMFD_CREATE = Downcalls.errno("memfd_create", JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle FTRUNCATE = Downcalls.errno("ftruncate", JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle FALLOCATE = Downcalls.errno("fallocate", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle MMAP = Downcalls.errno("mmap", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = Downcalls.errno("munmap", JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle MREMAP = Downcalls.errnoVariadic("mremap", 4,
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle MPROTECT = Downcalls.errno("mprotect", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MADVISE = Downcalls.errno("madvise", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MINCORE = Downcalls.errno("mincore", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS);
    private static final MethodHandle PREAD = Downcalls.errno("pread", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PWRITE = Downcalls.errno("pwrite", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PREAD_HEAP = Downcalls.errnoHeap("pread", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PWRITE_HEAP = Downcalls.errnoHeap("pwrite", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
    /** Heap transfers are split so that no single critical call holds the GC off for long. */
    private static final long HEAP_CHUNK = 1 << 20;
    private static final MethodHandle MEMCPY = Downcalls.critical("memcpy",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle READ = Downcalls.errno("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle WRITE = Downcalls.errno("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle LSEEK = Downcalls.errno("lseek", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle OPEN = Downcalls.errnoVariadic("open", 2,
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = Downcalls.errno("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle FCNTL = Downcalls.errnoVariadic("fcntl", 2,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL_PTR = Downcalls.errnoVariadic("ioctl", 2,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle IOCTL_LONG = Downcalls.errnoVariadic("ioctl", 2,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle POLL = Downcalls.errno("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle EVENTFD = Downcalls.errno("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle FSTAT = Downcalls.errno("fstat", JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SYSCALL = Downcalls.errnoVariadic("syscall", 1,
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SYSCONF = Downcalls.errno("sysconf", JAVA_LONG, JAVA_INT);
    private static final MethodHandle GETPID = Downcalls.plain("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle STRERROR = Downcalls.plain("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private FfmLibC() {}

    private static boolean interrupted(int r, MemorySegment errno) {
        return r == -1 && Downcalls.errnoOf(errno) == Errno.EINTR;
    }

    @Override
    public int memfd_create(String name, int flags) {
        MemorySegment errno = Downcalls.captureBuffer();
        try (Arena a = Arena.ofConfined()) {
            return Downcalls.check("memfd_create", errno, (int) MEMFD_CREATE.invokeExact(errno, a.allocateFrom(name), flags));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void memcpy(MemorySegment dst, MemorySegment src, long n) {
        if (n < 0 || n > dst.byteSize() || n > src.byteSize()) {
            throw new IndexOutOfBoundsException("memcpy of " + n + " bytes between segments of " + dst.byteSize()
                    + " and " + src.byteSize() + " bytes");
        }
        try {
            MemorySegment unused = (MemorySegment) MEMCPY.invokeExact(dst, src, n);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int memfd_create(MemorySegment name, int flags) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            return Downcalls.check("memfd_create", errno, (int) MEMFD_CREATE.invokeExact(errno, name, flags));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void ftruncate(int fd, long length) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            int r;
            do {
                r = (int) FTRUNCATE.invokeExact(errno, fd, length);
            } while (interrupted(r, errno));
            Downcalls.check("ftruncate", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void fallocate(int fd, int mode, long offset, long length) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            int r;
            do {
                r = (int) FALLOCATE.invokeExact(errno, fd, mode, offset, length);
            } while (interrupted(r, errno));
            Downcalls.check("fallocate", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public MemorySegment mmap(MemorySegment addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            MemorySegment r = (MemorySegment) MMAP.invokeExact(errno, addr, length, prot, flags, fd, offset);
            Downcalls.check("mmap", errno, r.address());
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void munmap(MemorySegment addr, long length) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("munmap", errno, (int) MUNMAP.invokeExact(errno, addr, length));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public MemorySegment mremap(MemorySegment oldAddr, long oldSize, long newSize, int flags, MemorySegment newAddr) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            MemorySegment r = (MemorySegment) MREMAP.invokeExact(errno, oldAddr, oldSize, newSize, flags, newAddr);
            Downcalls.check("mremap", errno, r.address());
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void mprotect(MemorySegment addr, long length, int prot) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("mprotect", errno, (int) MPROTECT.invokeExact(errno, addr, length, prot));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void madvise(MemorySegment addr, long length, int advice) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            int r;
            do {
                r = (int) MADVISE.invokeExact(errno, addr, length, advice);
            } while (interrupted(r, errno));
            Downcalls.check("madvise", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void mincore(MemorySegment addr, long length, MemorySegment vec) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("mincore", errno, (int) MINCORE.invokeExact(errno, addr, length, vec));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long pread(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            long r;
            do {
                r = buf.isNative()
                        ? (long) PREAD.invokeExact(errno, fd, buf, count, offset)
                        : (long) PREAD_HEAP.invokeExact(errno, fd, buf, Math.min(count, HEAP_CHUNK), offset);
            } while (r == -1L && Downcalls.errnoOf(errno) == Errno.EINTR);
            return Downcalls.check("pread", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long pwrite(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            long r;
            do {
                r = buf.isNative()
                        ? (long) PWRITE.invokeExact(errno, fd, buf, count, offset)
                        : (long) PWRITE_HEAP.invokeExact(errno, fd, buf, Math.min(count, HEAP_CHUNK), offset);
            } while (r == -1L && Downcalls.errnoOf(errno) == Errno.EINTR);
            return Downcalls.check("pwrite", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long read(int fd, MemorySegment buf, long count) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            long r;
            do {
                r = (long) READ.invokeExact(errno, fd, buf, count);
            } while (r == -1L && Downcalls.errnoOf(errno) == Errno.EINTR);
            return Downcalls.check("read", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long write(int fd, MemorySegment buf, long count) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            long r;
            do {
                r = (long) WRITE.invokeExact(errno, fd, buf, count);
            } while (r == -1L && Downcalls.errnoOf(errno) == Errno.EINTR);
            return Downcalls.check("write", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            long r = (long) LSEEK.invokeExact(errno, fd, offset, whence);
            if (r == -1L && Downcalls.errnoOf(errno) == Errno.ENXIO) {
                return -1L;
            }
            return Downcalls.check("lseek", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int open(String path, int flags, int mode) {
        MemorySegment errno = Downcalls.captureBuffer();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cpath = a.allocateFrom(path);
            int r;
            do {
                r = (int) OPEN.invokeExact(errno, cpath, flags, mode);
            } while (interrupted(r, errno));
            if (r == -1) {
                throw new LinuxException("open " + path, Downcalls.errnoOf(errno));
            }
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void close(int fd) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            // No retry on EINTR: Linux releases the descriptor even then, and a retry could close
            // a descriptor another thread has just been given.
            int r = (int) CLOSE.invokeExact(errno, fd);
            if (r == -1 && Downcalls.errnoOf(errno) != Errno.EINTR) {
                throw Downcalls.fail("close", errno);
            }
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            return Downcalls.check("fcntl", errno, (int) FCNTL.invokeExact(errno, fd, cmd, arg));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int ioctl(int fd, long request, MemorySegment arg) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            int r;
            do {
                r = (int) IOCTL_PTR.invokeExact(errno, fd, request, arg);
            } while (interrupted(r, errno));
            return Downcalls.check("ioctl", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int ioctl(int fd, long request, long arg) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            int r;
            do {
                r = (int) IOCTL_LONG.invokeExact(errno, fd, request, arg);
            } while (interrupted(r, errno));
            return Downcalls.check("ioctl", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int poll(MemorySegment fds, long nfds, int timeoutMillis) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            int r;
            do {
                r = (int) POLL.invokeExact(errno, fds, nfds, timeoutMillis);
            } while (interrupted(r, errno));
            return Downcalls.check("poll", errno, r);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int eventfd(int initval, int flags) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            return Downcalls.check("eventfd", errno, (int) EVENTFD.invokeExact(errno, initval, flags));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void fstat(int fd, MemorySegment statbuf) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            Downcalls.check("fstat", errno, (int) FSTAT.invokeExact(errno, fd, statbuf));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long syscall(String name, long number, long a0, long a1, long a2) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            return Downcalls.check(name, errno, (long) SYSCALL.invokeExact(errno, number, a0, a1, a2));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long sysconf(int name) {
        MemorySegment errno = Downcalls.captureBuffer();
        try {
            return Downcalls.check("sysconf", errno, (long) SYSCONF.invokeExact(errno, name));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
