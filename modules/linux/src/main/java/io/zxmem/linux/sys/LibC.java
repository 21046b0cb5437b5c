package io.zxmem.linux.sys;

import io.zxmem.linux.LinuxException;
import java.lang.foreign.MemorySegment;

/**
 * The libc functions zxmem's core uses, one method per C function, named after it.
 *
 * <p>Every method that can fail throws {@link LinuxException} carrying the call's name and the
 * {@code errno} captured by that very call (never a shared or stale one). Calls that can be
 * interrupted by a signal are retried on {@code EINTR}. Pointers are {@link MemorySegment}s; a
 * returned address is a zero-length segment that the caller sizes with {@code reinterpret}.
 */
public interface LibC {

    /**
     * @return the process-wide implementation, backed by FFM downcalls
     * @throws IllegalCallerException with {@link NativeAccess#FLAG_HINT} when the JVM refuses native access
     */
    static LibC get() {
        try {
            return FfmLibC.INSTANCE;
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            throw NativeAccess.explain(e);
        }
    }

    int memfd_create(String name, int flags);

    /**
     * {@code memcpy(dst, src, n)} as one critical call: either side may be a heap segment (a
     * {@code byte[]}), and the garbage collector waits for the copy. For large copies, where glibc's
     * {@code memcpy} outruns the JDK's copy loop. The caller guarantees that neither range can fault
     * (a SIGBUS inside native code is a JVM crash, where a Java copy would raise {@link InternalError}).
     */
    void memcpy(MemorySegment dst, MemorySegment src, long n);

    /** {@code memfd_create} with a name already encoded as a NUL-terminated C string (no per-call encoding). */
    int memfd_create(MemorySegment name, int flags);

    void ftruncate(int fd, long length);

    void fallocate(int fd, int mode, long offset, long length);

    MemorySegment mmap(MemorySegment addr, long length, int prot, int flags, int fd, long offset);

    void munmap(MemorySegment addr, long length);

    /** {@code mremap} with {@code MREMAP_FIXED}, or without it when {@code newAddr} is {@code NULL}. */
    MemorySegment mremap(MemorySegment oldAddr, long oldSize, long newSize, int flags, MemorySegment newAddr);

    void mprotect(MemorySegment addr, long length, int prot);

    void madvise(MemorySegment addr, long length, int advice);

    /** Fills {@code vec} with one byte per page of {@code [addr, addr+length)}; bit 0 = resident. */
    void mincore(MemorySegment addr, long length, MemorySegment vec);

    /**
     * @return bytes read; 0 only at end of file. {@code buf} may be a heap segment: it is then passed
     *         without a copy and at most 1 MiB moves per call, so callers loop until done.
     */
    long pread(int fd, MemorySegment buf, long count, long offset);

    /** @return bytes written; heap segments as for {@link #pread}. */
    long pwrite(int fd, MemorySegment buf, long count, long offset);

    long read(int fd, MemorySegment buf, long count);

    long write(int fd, MemorySegment buf, long count);

    /** @return the new offset; {@code -1} instead of throwing for {@code ENXIO} (no data/hole after offset) */
    long lseek(int fd, long offset, int whence);

    int open(String path, int flags, int mode);

    void close(int fd);

    /** {@code fcntl} with an int argument (or none: pass 0). @return the call's result */
    int fcntl(int fd, int cmd, int arg);

    /** {@code ioctl} with a pointer argument. @return the call's non-negative result */
    int ioctl(int fd, long request, MemorySegment arg);

    /** {@code ioctl} with an integer argument. */
    int ioctl(int fd, long request, long arg);

    /** {@code poll}; returns the number of ready descriptors, 0 on timeout. Retries on EINTR. */
    int poll(MemorySegment fds, long nfds, int timeoutMillis);

    int eventfd(int initval, int flags);

    /** {@code fstat} into a buffer laid out as {@link Linux#STAT}. */
    void fstat(int fd, MemorySegment statbuf);

    /** A raw system call with up to three integer arguments. @return its non-negative result */
    long syscall(String name, long number, long a0, long a1, long a2);

    long sysconf(int name);

    int getpid();

    String strerror(int errno);
}
