package io.zxmem.spi;

/**
 * A {@link PageStore} whose bytes are, right now, exactly a window of one file that another process
 * can map: what a channel sends when a VMO handle leaves the process.
 *
 * <p>A store that stops being such a window (a parent whose pages moved elsewhere when it was
 * snapshotted, say) returns {@code -1} from {@link #sharedFd()} until it is one again; its VMO then
 * cannot be sent (NOT_SUPPORTED).
 */
public interface SharedFile {

    /**
     * Called when the file is about to leave the process. From then on the store must treat the file
     * as written by others: never take it over privately (as a frozen copy-on-write node, say).
     *
     * @return the descriptor of the file holding every byte of the store (borrowed: the store keeps
     *         owning it), or {@code -1} when there is no single such file
     */
    int sharedFd();

    /** @return where byte 0 of the VMO lies in {@link #sharedFd()} (page-aligned) */
    long sharedOffset();

    /**
     * Prepares this process's own write path to survive {@code F_SEAL_FUTURE_WRITE}, which refuses new
     * writable mappings and {@code write}/{@code pwrite}/hole punching for every holder of the file:
     * for example by creating the writable mapping that later writes go through, before the seal.
     *
     * @return false when the store cannot keep writing after such a seal; it must then not be shared
     *         read-only
     */
    boolean prepareWriteSeal();
}
