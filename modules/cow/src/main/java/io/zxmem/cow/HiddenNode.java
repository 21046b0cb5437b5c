package io.zxmem.cow;

import io.zxmem.linux.sys.LibC;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Zircon's hidden node: a memfd whose content is frozen as of a snapshot, shared by the copy-on-write
 * stores that map it {@code MAP_PRIVATE}. Nobody writes it while more than one store uses it (each
 * store's writes land in its own private pages), so every store keeps seeing the snapshot-time bytes
 * wherever it has not written. The last store to let go closes it.
 */
final class HiddenNode {
    private static final LibC C = LibC.get();

    final int fd;
    /**
     * A live node is a parent's own memfd, still written by that parent (through its mappings): only
     * at-least-on-write children map it, which may see those writes. Never folded into, never taken
     * as a snapshot's source as it is.
     */
    final boolean live;
    /** The file's length; grows only while one store uses the node (see {@link CowStore#fold}). */
    long fileSize;
    private final AtomicInteger refs = new AtomicInteger(1);

    HiddenNode(int fd, long fileSize) {
        this(fd, fileSize, false);
    }

    HiddenNode(int fd, long fileSize, boolean live) {
        this.fd = fd;
        this.fileSize = fileSize;
        this.live = live;
    }

    void retain() {
        refs.incrementAndGet();
    }

    /** @return how many stores map this node */
    int users() {
        return refs.get();
    }

    void release() {
        if (refs.decrementAndGet() == 0) {
            C.close(fd);
        }
    }
}
