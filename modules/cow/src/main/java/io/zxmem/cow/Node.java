package io.zxmem.cow;

import io.zxmem.Status;
import io.zxmem.ZxException;
import io.zxmem.linux.sys.Errno;
import io.zxmem.spi.WatchedFile;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One store in the engine: the native node ({@link Zxuffd}) of its file, and the watcher that store
 * calls before its bytes change and about its windows. A root gets a node at its first cut; a child
 * has one from birth. Freed when its store closes (the native side keeps it while dependents read
 * through it).
 */
final class Node implements WatchedFile.Watcher {
    final MemorySegment handle;
    /** A child: its windows also take missing-page faults (unsaved pages are filled from the source). */
    private final boolean child;
    private final AtomicBoolean freed = new AtomicBoolean();

    private Node(MemorySegment handle, boolean child) {
        this.handle = handle;
        this.child = child;
    }

    /** A node for the file {@code fd}; nothing watches it yet. */
    static Node create(int fd, boolean child) {
        MemorySegment h = Zxuffd.nodeNew(fd);
        if (h.address() == 0) {
            throw new ZxException(Status.ERR_NO_MEMORY, "vmo.create_child: no memory for a copy-on-write node");
        }
        return new Node(h, child);
    }

    /** The node of {@code f}, made and installed as its watcher (every window registered) if it has none. */
    static Node of(WatchedFile f) {
        if (f.watcher() instanceof Node n) {
            return n;
        }
        Node n = create(f.file(), false);
        try {
            f.watch(n);
        } catch (RuntimeException | Error e) {
            n.free();
            throw e;
        }
        return n;
    }

    /** Turns a native result into a ZxException when it is {@code -errno}. @return rc */
    static long check(long rc, String op) {
        if (rc >= 0) {
            return rc;
        }
        int errno = (int) -rc;
        int dead = Zxuffd.dead();
        if (dead != 0) {
            throw new ZxException(Status.ERR_BAD_STATE, op + ": the copy-on-write fault handler failed (errno " + dead
                    + "); children that still shared pages with their parents are lost");
        }
        Status s = switch (errno) {
            case Errno.ENOMEM, Errno.ENOSPC -> Status.ERR_NO_MEMORY;
            case Errno.EMFILE, Errno.ENFILE, Errno.EAGAIN -> Status.ERR_NO_RESOURCES;
            default -> Status.ERR_INTERNAL;
        };
        throw new ZxException(s, op + ": errno " + errno);
    }

    @Override
    public void modifying(long offset, long length) {
        check(Zxuffd.save(handle, offset, length), "vmo: saving pages for copy-on-write children");
    }

    @Override
    public void mapped(long address, long length, long offset) {
        check(Zxuffd.addWindow(handle, address, length, offset, child ? 1 : 0),
                "vmar.map: registering the mapping with userfaultfd");
    }

    @Override
    public void unmapping(long address, long length, long offset) {
        Zxuffd.removeWindow(address);
    }

    @Override
    public void exporting() {
        check(Zxuffd.completeDeps(handle), "channel.write: completing the VMO's copy-on-write children");
    }

    @Override
    public void closing() {
        // Dependents hold their source alive, so normally none is left; a failure here must not
        // keep the store from closing.
        Zxuffd.save(handle, 0, Long.MAX_VALUE & -io.zxmem.Zx.pageSize());
        free();
    }

    void free() {
        if (freed.compareAndSet(false, true)) {
            Zxuffd.nodeFree(handle);
        }
    }
}
