package io.zxmem.internal.store;

import static io.zxmem.linux.sys.Linux.PROT_READ;
import static io.zxmem.linux.sys.Linux.PROT_WRITE;

import io.zxmem.internal.Ranges;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import java.lang.foreign.MemorySegment;

/**
 * How the process that shared a memfd read-only keeps its own full write access. Sharing a VMO handle
 * without WRITE seals the file with {@code F_SEAL_FUTURE_WRITE}, which refuses new writable mappings,
 * {@code pwrite} and hole punching to every holder, this process included. A writable mapping made
 * before the seal keeps working, and so does a mapping of its pages: the {@link CanonicalMapping} is
 * that mapping, so writes, zeroing and new writable windows all go through it.
 */
final class WriteSeal {
    private static final LibC C = LibC.get();

    private WriteSeal() {}

    /**
     * Prepares the write path before a seal: makes the canonical mapping now.
     *
     * @return false when the VMO is too large for one and so cannot be sealed
     */
    static boolean prepare(CanonicalMapping canonical, int fd, long size) {
        return !canonical.writable() || size == 0 || canonical.get(fd) != null;
    }

    /**
     * A writable window that {@code mmap} refused ({@code e}) because of the seal: a mapping of the
     * canonical mapping's pages, made by {@code mremap} with old size 0.
     *
     * @return the new mapping, or null when this is not that case
     */
    static MemorySegment writableWindow(CanonicalMapping canonical, LinuxException e, long offset, long length, int prot) {
        MemorySegment m = canonical.existing();
        if (e.errno() != Errno.EPERM || (prot & PROT_WRITE) == 0 || m == null
                || !Ranges.inside(offset, length, m.byteSize())) {
            return null;
        }
        MemorySegment dup = C.mremap(MemorySegment.ofAddress(m.address() + offset), 0, length, Linux.MREMAP_MAYMOVE,
                MemorySegment.NULL);
        if ((prot & ~(PROT_READ | PROT_WRITE)) != 0) {
            C.mprotect(dup, length, prot);
        }
        return dup;
    }

    /**
     * Zeroes {@code [offset, offset+length)} through the canonical mapping after hole punching was
     * refused ({@code e}) by the seal; the pages stay committed.
     *
     * @return whether it did (false: not that case, the caller rethrows {@code e})
     */
    static boolean zero(CanonicalMapping canonical, LinuxException e, long offset, long length) {
        MemorySegment m = canonical.existing();
        if (e.errno() != Errno.EPERM || m == null || !canonical.writable()) {
            return false;
        }
        m.asSlice(offset, length).fill((byte) 0);
        return true;
    }
}
