package io.zxmem.share;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.SharedFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;

/**
 * What this process already learned about the memfds of VMOs that crossed a channel, so that a
 * transfer does not ask the kernel again (a system call costs 1-2 us on the machines measured, as
 * much as the {@code sendmsg} itself). Only facts that cannot be taken back are kept:
 * <ul>
 *   <li>Seals: the kernel never removes one, so a seal seen once is on the file for good. What is
 *       kept is a lower bound: another holder of the file may have added more since. A seal
 *       <em>needed</em> and known is therefore there; the absence of a seal is never trusted from
 *       here (see {@link Seals#known} and {@link SocketEndpoint}).</li>
 *   <li>That a descriptor of the file open for writing came in before (see {@link #sawWritable}).</li>
 * </ul>
 * Two indexes, both direct-mapped tables (a lookup is an array read; two entries that collide evict
 * each other, which only costs a check). The sender's: by store ({@link SharedFile}, by identity, in
 * the slot of its descriptor's number, which needs no identity hash), whose file never changes while it
 * lives; weakly held, so a closed VMO's entry goes with its store.
 * The receiver's: by inode
 * ({@code st_dev}, {@code st_ino} from the {@code fstat} every received VMO gets), for files of the
 * kernel's internal shmem mount only, where {@code memfd_create} puts its files: there inode numbers
 * are 64-bit and never reused (a per-superblock counter since Linux 5.9), so a number names one file
 * for the life of the system. Inode numbers of other file systems (hugetlbfs memfds, {@code /dev/shm},
 * disk files) can be reused after the file is gone, so their facts are never kept.
 */
final class FileFacts {
    private static final LibC C = LibC.get();
    private static final long ST_DEV = Linux.STAT.byteOffset(groupElement("st_dev"));
    private static final long ST_INO = Linux.STAT.byteOffset(groupElement("st_ino"));
    /** Slots of the inode index, a power of two: a direct-mapped table, an evicted entry only costs a check. */
    private static final int SLOTS = 256;

    private static final Store[] BY_STORE = new Store[SLOTS];
    private static final Inode[] BY_INODE = new Inode[SLOTS];

    /** Facts about one inode; immutable, so a slot is read without a lock (final fields publish safely). */
    private record Inode(long dev, long ino, int seals, boolean writable) {}

    /**
     * The seals known on one store's file. Read without a lock: a racing reader may see the referent
     * not yet set (a miss, so one check more), never another store's seals.
     */
    private static final class Store extends WeakReference<SharedFile> {
        final int seals;
        /** The file's size for good (read after its size seals were on), or -1. */
        final long size;

        Store(SharedFile store, int seals, long size) {
            super(store);
            this.seals = seals;
            this.size = size;
        }
    }

    private FileFacts() {}

    /** The internal shmem mount's device: learned once from a memfd of our own; -1 when inodes are not indexed. */
    private static final class Shm {
        static final long DEV = probe();

        private static long probe() {
            if (!kernelAtLeast(5, 9)) {
                return -1;
            }
            try (Arena a = Arena.ofConfined()) {
                int fd = C.memfd_create("zxmem-probe", Linux.MFD_CLOEXEC);
                try {
                    MemorySegment st = a.allocate(Linux.STAT);
                    C.fstat(fd, st);
                    return st.get(ValueLayout.JAVA_LONG, ST_DEV);
                } finally {
                    C.close(fd);
                }
            } catch (LinuxException | UnsupportedOperationException e) {
                return -1;
            }
        }
    }

    static boolean kernelAtLeast(int major, int minor) {
        String v = System.getProperty("os.version", "");
        String[] p = v.split("[.-]");
        try {
            int ma = Integer.parseInt(p[0]);
            int mi = p.length > 1 ? Integer.parseInt(p[1]) : 0;
            return ma > major || (ma == major && mi >= minor);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * @return the seals known to be on the store's file (0 when nothing is known); {@code fd} is the
     *         store's descriptor of it, which picks the slot (a descriptor number names one file while
     *         the store lives; the entry also names the store, so a reused number only misses)
     */
    static int sealsOf(SharedFile store, int fd) {
        Store e = BY_STORE[slot(fd)];
        return e != null && e.get() == store ? e.seals : 0;
    }

    /**
     * @return the size the store's file has for good (it was read after the file's size seals were
     *         known to be on), or -1 when not known
     */
    static long frozenSizeOf(SharedFile store, int fd) {
        Store e = BY_STORE[slot(fd)];
        return e != null && e.get() == store ? e.size : -1;
    }

    /** Notes seals seen on (or just added to) the store's file. */
    static void storeHas(SharedFile store, int fd, int seals) {
        storeHas(store, fd, seals, -1);
    }

    /**
     * Notes seals seen on (or just added to) the store's file and, unless -1, the size it has for good
     * (only ever a size read after the file's size seals were known to be on).
     */
    static void storeHas(SharedFile store, int fd, int seals, long frozenSize) {
        if (seals == 0) {
            return;
        }
        int slot = slot(fd);
        Store old = BY_STORE[slot];
        if (old != null && old.get() == store) {
            if ((old.seals | seals) == old.seals && (frozenSize < 0 || old.size >= 0)) {
                return;
            }
            seals |= old.seals; // a racing update may be lost: the facts get weaker, never wrong
            frozenSize = frozenSize >= 0 ? frozenSize : old.size;
        }
        BY_STORE[slot] = new Store(store, seals, frozenSize);
    }

    /** The entry of the inode described by {@code stat} (a {@link Linux#STAT}), or null when nothing is known. */
    private static Inode find(MemorySegment stat) {
        long dev = stat.get(ValueLayout.JAVA_LONG, ST_DEV);
        long ino = stat.get(ValueLayout.JAVA_LONG, ST_INO);
        if (dev != Shm.DEV || Shm.DEV == -1) {
            return null;
        }
        Inode e = BY_INODE[slot(ino)];
        return e != null && e.dev == dev && e.ino == ino ? e : null;
    }

    /**
     * @return the seals known to be on the file that {@code stat} describes, or -1 when the file was
     *         never checked (an entry exists only for a file {@code F_GET_SEALS} accepted, a memfd)
     */
    static int sealsOf(MemorySegment stat) {
        Inode e = find(stat);
        return e == null ? -1 : e.seals;
    }

    /**
     * @return whether a descriptor of this file open for writing was received before. The access mode
     *         belongs to the open file, not the inode, so a later descriptor of the same file may be
     *         read-only; the receiver then fails on first use (the canonical mapping cannot be made),
     *         which is no more than what a sender can always do later by adding
     *         {@code F_SEAL_FUTURE_WRITE} to a file it sent with WRITE.
     */
    static boolean sawWritable(MemorySegment stat) {
        Inode e = find(stat);
        return e != null && e.writable;
    }

    /** Notes what a check of a received file found. */
    static void inodeHas(MemorySegment stat, int seals, boolean writable) {
        long dev = stat.get(ValueLayout.JAVA_LONG, ST_DEV);
        long ino = stat.get(ValueLayout.JAVA_LONG, ST_INO);
        if (dev != Shm.DEV || Shm.DEV == -1) {
            return;
        }
        int slot = slot(ino);
        Inode old = BY_INODE[slot];
        if (old != null && old.dev == dev && old.ino == ino) {
            // A racing update may be lost: that only makes the facts weaker, never wrong.
            seals |= old.seals;
            writable |= old.writable;
        }
        BY_INODE[slot] = new Inode(dev, ino, seals, writable);
    }

    private static int slot(long ino) {
        long h = ino * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 56) & (SLOTS - 1);
    }
}
