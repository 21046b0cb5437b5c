package io.zxmem.spi;

/**
 * A store whose bytes are one file that a copy-on-write engine may read directly and watch: what
 * the engine needs from a store to keep children exact without copying at cut time ("save before
 * write", see modules/cow/README.md). The store names its file, tells a {@link Watcher} before any
 * of its own changes to the bytes, and about every window (a user mapping of the file) it makes or
 * removes. Calls come under the VMO's lock, as the operation that makes them.
 */
public interface WatchedFile {

    /** @return the file holding the bytes (byte 0 at file offset 0), for {@code pread}; -1 when the bytes are not one file */
    int file();

    /** @return whether the file has left or entered this process: another process may write it unseen */
    boolean isShared();

    /** @return the watcher installed by {@link #watch}, or null */
    Watcher watcher();

    /**
     * Installs {@code w} (a store has at most one, for life). {@code w} is told about every live window
     * first; if that throws, the windows already told are told {@code unmapping}, no watcher is
     * installed, and the exception propagates.
     */
    void watch(Watcher w);

    /** What a store tells its watcher. */
    interface Watcher {
        /** Bytes in {@code [offset, offset+length)} are about to change (write, zero, decommit, shrink, discard, close). */
        void modifying(long offset, long length);

        /** A window of {@code length} bytes at {@code address} now maps file offset {@code offset}; throw to refuse it. */
        void mapped(long address, long length, long offset);

        /** The window at {@code address} is about to be unmapped. */
        void unmapping(long address, long length, long offset);

        /** The file is about to leave the process (another process may then write it unseen). */
        void exporting();

        /** The store is about to close its file (its bytes go away): the last call. Never throws. */
        void closing();
    }
}
