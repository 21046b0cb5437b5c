package io.zxmem.linux.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * Constants and struct layouts of the memory, file and polling interfaces (x86-64 and aarch64 Linux,
 * glibc). Names are the C names, so the header test can check each one against the system headers.
 */
@HeaderChecked
public final class Linux {
    private Linux() {}

    // <sys/mman.h>
    public static final int PROT_NONE = 0x0;
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int PROT_EXEC = 0x4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_FIXED_NOREPLACE = 0x100000;
    public static final int MREMAP_MAYMOVE = 1;
    public static final int MREMAP_FIXED = 2;
    public static final int MADV_NORMAL = 0;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_REMOVE = 9;
    public static final int MADV_POPULATE_READ = 22;
    public static final int MADV_POPULATE_WRITE = 23;
    public static final int MFD_CLOEXEC = 0x0001;
    public static final int MFD_ALLOW_SEALING = 0x0002;

    // <fcntl.h>, <linux/falloc.h>
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_SYNC = 0x101000;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x0001;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int F_SEAL_GROW = 0x0004;
    public static final int F_SEAL_WRITE = 0x0008;
    public static final int F_SEAL_FUTURE_WRITE = 0x0010;
    public static final int FD_CLOEXEC = 1;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int SEEK_SET = 0;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    // <poll.h>, <sys/eventfd.h>, <unistd.h>
    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_SEMAPHORE = 1;
    public static final int _SC_PAGESIZE = 30;
    public static final int _SC_NPROCESSORS_ONLN = 84;

    /** {@code struct pollfd}. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents")).withName("pollfd");

    /** {@code struct timespec}. */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")).withName("timespec");

    /**
     * {@code struct stat} as glibc lays it out on x86-64. Only the fields zxmem reads are named; the
     * header test checks their offsets and the total size.
     */
    public static final StructLayout STAT = MemoryLayout.structLayout(
            JAVA_LONG.withName("st_dev"),
            JAVA_LONG.withName("st_ino"),
            JAVA_LONG.withName("st_nlink"),
            JAVA_INT.withName("st_mode"),
            JAVA_INT.withName("st_uid"),
            JAVA_INT.withName("st_gid"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("st_rdev"),
            JAVA_LONG.withName("st_size"),
            JAVA_LONG.withName("st_blksize"),
            JAVA_LONG.withName("st_blocks"),
            MemoryLayout.paddingLayout(3 * 16 + 3 * 8)).withName("stat");
}
