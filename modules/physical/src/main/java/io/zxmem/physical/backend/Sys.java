package io.zxmem.physical.backend;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.internal.Os;
import io.zxmem.internal.Pages;
import io.zxmem.linux.LinuxException;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.PhysicalRegion;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Small helpers the backends share: descriptors, sysfs files and the probe mapping. */
public final class Sys {
    public static final LibC C = LibC.get();

    private Sys() {}

    public static long page() {
        return Pages.size();
    }

    /** {@code open(path, flags | O_CLOEXEC)}; a failure becomes the ZxException its errno maps to. */
    public static int open(String path, int flags, String op) {
        try {
            return C.open(path, flags | Linux.O_CLOEXEC, 0);
        } catch (LinuxException e) {
            throw Os.fail(op + ": open " + path, e);
        }
    }

    /** The first line of a sysfs attribute, trimmed; NOT_FOUND when it does not exist. */
    public static String read(Path p, String op) {
        try {
            return Files.readString(p).trim();
        } catch (NoSuchFileException e) {
            throw new ZxException(Status.ERR_NOT_FOUND, op + ": " + p + " does not exist", e);
        } catch (IOException e) {
            throw new ZxException(Status.ERR_IO, op + ": reading " + p + " failed", e);
        }
    }

    /** A sysfs number written as {@code 0x...} or decimal. */
    public static long readNumber(Path p, String op) {
        String s = read(p, op);
        try {
            return Long.decode(s);
        } catch (NumberFormatException e) {
            // /sys/class/uio/.../addr is an unsigned 64-bit value
            return Long.parseUnsignedLong(s.replaceFirst("^0x", ""), 16);
        }
    }

    /**
     * Maps and unmaps the region's first page: the backend is chosen only if it can really map, which
     * catches what opening alone does not (strict devmem refusing a BAR that a driver holds).
     */
    public static void probe(PhysicalRegion region) {
        MemorySegment m = region.map(MemorySegment.NULL, 0, page(), Linux.PROT_READ, 1);
        C.munmap(m, page());
    }

    public static long roundUp(long size) {
        long p = page();
        return (size + p - 1) & -p;
    }
}
