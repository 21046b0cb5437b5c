package io.zxmem.internal.store;

import static io.zxmem.linux.sys.Linux.MAP_SHARED;
import static io.zxmem.linux.sys.Linux.PROT_READ;
import static io.zxmem.linux.sys.Linux.PROT_WRITE;

import io.zxmem.internal.Ranges;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.NativeAccess;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The internal whole-VMO mapping of an anonymous VMO, and which of its pages are known resident.
 *
 * <p>For VMOs up to {@link #MAX} bytes, {@code read}/{@code write} copy through one {@code MAP_SHARED}
 * mapping of the first segment (memcpy speed, 3-4x {@code pread} at 4 KiB). A read through it would
 * allocate the pages it touches, and Zircon's reads do not commit memory, so a read may use it only
 * for pages known to be resident: a bitmap fed by writes and commits, and asked of the kernel
 * ({@code mincore}) for pages not yet known. Larger VMOs have no such mapping.
 *
 * <p>The mapping is made on first use and dropped when the size changes; the bitmap is remade then.
 */
final class CanonicalMapping {
    /** VMOs up to this size get an internal whole-VMO mapping for read and write. */
    static final long MAX = 1L << 36;
    private static final LibC C = LibC.get();

    private final long page;
    /** False for a memfd received without WRITE: the mapping is then read-only. */
    private final boolean writable;
    private volatile MemorySegment mapping;
    /**
     * Made on first use ({@link #bitmap}), since most VMOs are created, mapped and closed without
     * ever reading or writing through this mapping; null until then, and while none is known resident.
     */
    private volatile PageBitmap resident;
    private long size;

    CanonicalMapping(long size, long page, boolean writable) {
        this.page = page;
        this.writable = writable;
        reset(size);
    }

    /**
     * @return the mapping of {@code fd} (the VMO's only file for sizes up to {@link #MAX}), made on
     *         first use, or null when the VMO is too large or empty
     */
    MemorySegment get(int fd) {
        MemorySegment m = mapping;
        if (m != null || !bitmapped() || size == 0) {
            return m;
        }
        synchronized (this) {
            if (mapping == null) {
                int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
                MemorySegment addr = C.mmap(MemorySegment.NULL, size, prot, MAP_SHARED, fd, 0);
                mapping = NativeAccess.segment(addr, size);
            }
            return mapping;
        }
    }

    /** @return whether the mapping (and so the file, as this process holds it) is writable */
    boolean writable() {
        return writable;
    }

    /** @return the mapping if it was made, without making it */
    MemorySegment existing() {
        return mapping;
    }

    /** Whether every page of the range is resident, asking the kernel about pages not yet known. */
    boolean resident(MemorySegment m, long offset, long length) {
        long first = offset / page;
        long last = (offset + length - 1) / page;
        PageBitmap known = resident;
        if (known != null && known.allSet(first, last)) {
            return true;
        }
        PageBitmap bitmap = bitmap();
        long pages = last - first + 1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment vec = a.allocate(pages);
            C.mincore(m.asSlice(first * page, pages * page), pages * page, vec);
            boolean all = true;
            for (long i = 0; i < pages; i++) {
                if ((vec.get(ValueLayout.JAVA_BYTE, i) & 1) != 0) {
                    bitmap.set(first + i, first + i);
                } else {
                    all = false;
                }
            }
            return all;
        }
    }

    /** The pages touched by {@code [offset, offset+length)} are now resident (written or committed). */
    void touched(long offset, long length) {
        if (bitmapped() && length != 0) {
            bitmap().set(offset / page, (offset + length - 1) / page);
        }
    }

    /** The whole pages inside {@code [offset, offset+length)} were freed. */
    void freed(long offset, long length) {
        PageBitmap resident = this.resident;
        if (resident != null && length != 0) {
            long first = Ranges.ceil(offset, page) / page;
            long end = Ranges.floor(offset + length, page) / page;
            if (end > first) {
                resident.clear(first, end - 1);
            }
        }
    }

    /** Every page was freed. */
    void freedAll() {
        PageBitmap resident = this.resident;
        if (resident != null) {
            resident.clearAll();
        }
    }

    /** The VMO now has {@code newSize} bytes: drops the mapping and starts a new bitmap. */
    void reset(long newSize) {
        drop();
        size = newSize;
        resident = null;
    }

    /** Whether the VMO is small enough for a mapping (and so for a bitmap). */
    private boolean bitmapped() {
        return size <= MAX && size >= 0;
    }

    /** The bitmap, made on first use; only while {@link #bitmapped()}. */
    private PageBitmap bitmap() {
        PageBitmap b = resident;
        if (b != null) {
            return b;
        }
        synchronized (this) {
            if (resident == null) {
                resident = new PageBitmap(size / page);
            }
            return resident;
        }
    }

    /** Unmaps the mapping, if it was made. */
    void drop() {
        MemorySegment m = mapping;
        if (m != null) {
            mapping = null;
            C.munmap(m, m.byteSize());
        }
    }
}
