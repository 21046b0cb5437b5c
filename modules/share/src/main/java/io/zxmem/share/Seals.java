package io.zxmem.share;

import static io.zxmem.linux.sys.Linux.F_ADD_SEALS;
import static io.zxmem.linux.sys.Linux.F_GET_SEALS;
import static io.zxmem.linux.sys.Linux.F_SEAL_FUTURE_WRITE;
import static io.zxmem.linux.sys.Linux.F_SEAL_GROW;
import static io.zxmem.linux.sys.Linux.F_SEAL_SEAL;
import static io.zxmem.linux.sys.Linux.F_SEAL_SHRINK;
import static io.zxmem.linux.sys.Linux.F_SEAL_WRITE;

import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.linux.sys.LibC;
import io.zxmem.spi.TransferredHandle;

/**
 * Makes the kernel enforce the rights a VMO handle leaves the process with. A descriptor's access
 * mode is no boundary (the receiver can reopen {@code /proc/self/fd/N} read-write), but memfd seals
 * are enforced for every descriptor and mapping of the file, in every process:
 * <ul>
 *   <li>without {@link Rights#WRITE}: {@code F_SEAL_FUTURE_WRITE|F_SEAL_GROW|F_SEAL_SHRINK|F_SEAL_SEAL}.
 *       Nobody can make a new writable mapping, {@code write}, punch holes or change the size; mappings
 *       that are writable already keep working, which is how the sender's own {@code Vmo.write} (through
 *       its internal mapping, created just before the seal) and its existing mappings keep working.
 *       Changing size needs WRITE too, so the size is frozen with it.</li>
 *   <li>without {@link Rights#RESIZE}: {@code F_SEAL_GROW|F_SEAL_SHRINK}: the size is frozen for everyone.</li>
 * </ul>
 * Seals belong to the file and can never be removed. So after a VMO went out without WRITE (or
 * RESIZE), a handle with that right cannot go out any more: NOT_SUPPORTED.
 */
final class Seals {
    private static final LibC C = LibC.get();
    private static final int WRITE_SEALS = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
    static final int SIZE_SEALS = F_SEAL_GROW | F_SEAL_SHRINK;

    private Seals() {}

    /** @return the seals a handle with {@code rights} needs on its file */
    static int needed(int rights) {
        int seals = 0;
        if ((rights & Rights.WRITE) == 0) {
            seals |= F_SEAL_FUTURE_WRITE | SIZE_SEALS | F_SEAL_SEAL;
        }
        if ((rights & Rights.RESIZE) == 0) {
            seals |= SIZE_SEALS;
        }
        return seals;
    }

    /**
     * Whether the file of an outgoing VMO handle is known, from earlier sends and receives of this
     * process ({@link FileFacts}), to carry every seal the handle needs, with no known seal against its
     * rights: then {@link #apply} has nothing to do and the send makes no system call for sealing.
     * Seals are never removed, so a needed seal seen once is there for good. A seal that another
     * process added since is not seen here; it is against the handle's rights only for a file that
     * process holds with WRITE, and the receiver, which checks the seals itself, refuses such a
     * handle (IO) instead of this sender (NOT_SUPPORTED) - as it already had to when the seal came in
     * between this sender's check and the receipt.
     */
    static boolean known(TransferredHandle h) {
        int rights = h.rights();
        int have = FileFacts.sealsOf(h.file(), h.fd());
        return (needed(rights) & ~have) == 0 && conflict(rights, have) == 0;
    }

    /** @return the reason (1: WRITE, 2: RESIZE) why a file with seals {@code have} cannot carry {@code rights}, or 0 */
    private static int conflict(int rights, int have) {
        if ((rights & Rights.WRITE) != 0 && (have & WRITE_SEALS) != 0) {
            return 1;
        }
        if ((rights & Rights.RESIZE) != 0 && (have & SIZE_SEALS) != 0) {
            return 2;
        }
        return 0;
    }

    /** Seals the file of an outgoing VMO handle as its rights require. */
    static void apply(String op, int index, TransferredHandle h) {
        int fd = h.fd();
        int rights = h.rights();
        // One process seals one file at a time; the store is the file's owner here.
        synchronized (h.file()) {
            int have = seals(op, fd);
            FileFacts.storeHas(h.file(), h.fd(), have);
            switch (conflict(rights, have)) {
                case 1 -> throw new ZxException(Status.ERR_NOT_SUPPORTED, op + ": " + what(index, rights) + ": the VMO was"
                        + " shared without WRITE before, so its memory is sealed against writes for every process;"
                        + " duplicate the handle without WRITE to send it");
                case 2 -> throw new ZxException(Status.ERR_NOT_SUPPORTED, op + ": " + what(index, rights) + ": the VMO was"
                        + " shared without RESIZE before, so its size is sealed for every process; duplicate the handle"
                        + " without RESIZE to send it");
                default -> { }
            }
            int missing = needed(rights) & ~have;
            if (missing == 0) {
                return;
            }
            if ((missing & F_SEAL_FUTURE_WRITE) != 0 && !h.file().prepareWriteSeal()) {
                throw new ZxException(Status.ERR_NOT_SUPPORTED, op + ": " + what(index, rights) + ": a read-only share of a VMO"
                        + " larger than 64 GiB would stop this process's own writes to it");
            }
            try {
                C.fcntl(fd, F_ADD_SEALS, missing);
                FileFacts.storeHas(h.file(), h.fd(), have | missing);
            } catch (LinuxException e) {
                // F_SEAL_SEAL set by another holder of the file: fine if what we need is there anyway.
                int now = e.errno() == Errno.EPERM ? seals(op, fd) : 0;
                if (e.errno() != Errno.EPERM || (needed(rights) & ~F_SEAL_SEAL & ~now) != 0) {
                    throw new ZxException(Status.ERR_NOT_SUPPORTED, op + ": " + what(index, rights)
                            + ": the VMO's memory cannot be sealed to enforce these rights", e);
                }
                FileFacts.storeHas(h.file(), h.fd(), now);
            }
        }
    }

    /** How a failure names the handle; built only when something failed (Rights.toString is not cheap). */
    private static String what(int index, int rights) {
        return "handle " + index + " (VMO, rights " + Rights.toString(rights) + ")";
    }

    static int seals(String op, int fd) {
        try {
            return C.fcntl(fd, F_GET_SEALS, 0);
        } catch (LinuxException e) {
            throw Errors.fail(op + ": F_GET_SEALS", e);
        }
    }
}
