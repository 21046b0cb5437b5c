package io.zxmem.internal.store;

import io.zxmem.internal.Ranges;
import io.zxmem.linux.sys.LibC;
import io.zxmem.linux.sys.Linux;
import io.zxmem.spi.PageStore;
import io.zxmem.spi.PhysicalRegion;
import java.lang.foreign.MemorySegment;

/**
 * The bytes of a physical VMO: the window {@code [offset, offset+size)} of a {@link PhysicalRegion}.
 * Mapping it maps the device memory itself. A physical VMO is never read, written, committed, resized
 * or discarded through its store (the VMO object refuses those first), so those methods throw. Its
 * real contract is {@link io.zxmem.spi.MappableStore}; it is a {@code PageStore} only while the VM
 * object layer holds every store as one, and drops those refusals when physical VMOs become a type
 * of their own there.
 *
 * <p>The store holds one reference to the resource object that owns the region, so the region (and its
 * VFIO, UIO or file descriptor) outlives the resource handle for as long as any physical VMO of it
 * lives; mappings in turn keep their VMO alive.
 */
public final class PhysicalStore implements PageStore {
    private static final LibC C = LibC.get();

    /** Gives back the reference to the resource object that owns the region. */
    private final Runnable release;
    private final PhysicalRegion region;
    private final long offset;
    private final long size;

    /**
     * A window onto {@code region}, whose owner the caller has taken a reference to; {@code release}
     * gives it back, once, from {@link #close()}.
     */
    public PhysicalStore(Runnable release, PhysicalRegion region, long offset, long size) {
        this.release = release;
        this.region = region;
        this.offset = offset;
        this.size = size;
    }

    /**
     * Maps the device window. A mapping may reach past the VMO's end (as anonymous VMOs allow); that
     * tail must never show device memory the resource did not grant, so it is backed by an empty
     * memfd instead: touching it raises SIGBUS, which the JVM reports as an {@link InternalError}.
     */
    @Override
    public MemorySegment map(long vmoOffset, long length, int prot, int cachePolicy) {
        if (Ranges.inside(vmoOffset, length, size)) {
            return region.map(MemorySegment.NULL, offset + vmoOffset, length, prot, cachePolicy);
        }
        int empty = C.memfd_create("zxmem-phys-past-end", Linux.MFD_CLOEXEC);
        MemorySegment base;
        try {
            base = C.mmap(MemorySegment.NULL, length, prot, Linux.MAP_SHARED, empty, 0);
        } finally {
            C.close(empty);   // the mapping keeps the file alive
        }
        try {
            if (Long.compareUnsigned(vmoOffset, size) < 0) {
                region.map(base, offset + vmoOffset, size - vmoOffset, prot, cachePolicy);
            }
        } catch (RuntimeException e) {
            C.munmap(base, length);
            throw e;
        }
        return base;
    }

    private static UnsupportedOperationException refused(String what) {
        return new UnsupportedOperationException(what + " on a physical VMO (the VMO object must refuse it first)");
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, long length) {
        throw refused("read");
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, long length) {
        throw refused("write");
    }

    @Override
    public void commit(long offset, long length) {
        throw refused("commit");
    }

    @Override
    public void decommit(long offset, long length) {
        throw refused("decommit");
    }

    @Override
    public void zero(long offset, long length) {
        throw refused("zero");
    }

    @Override
    public long committedBytes() {
        return 0;   // device memory is not the process's memory
    }

    @Override
    public void resize(long newSize) {
        throw refused("resize");
    }

    @Override
    public void discard() {
        throw refused("discard");
    }

    @Override
    public void close() {
        release.run();
    }

    @Override
    public boolean windowsAreOwnMappings() {
        return true;
    }
}
