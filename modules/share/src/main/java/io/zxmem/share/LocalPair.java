package io.zxmem.share;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The two ends of a socket pair made by {@code Channel.createPair()}, while both are in this process.
 * Then every record either end receives was written by this process's own {@link SocketEndpoint#send},
 * which already knows the facts a receiver would ask the kernel for (a VMO's seals and its file's size):
 * it leaves them here, one memo per record in the order the records went out, and the receiver takes
 * the memo of each record it reads instead of asking the kernel again ({@code fstat}, {@code F_GET_SEALS}).
 *
 * <p>The pair stops being local, for good, the moment either end's descriptor goes into a message (a
 * channel end sent, a pager link): from then on another process may write records that have no memo.
 * That happens in {@link SocketEndpoint#send} before the {@code sendmsg} that carries the descriptor,
 * and a receiver asks whether the pair is local only after its {@code recvmsg} returned, so a record
 * that another process could have written is always read as non-local and checked in full. While the
 * pair is local the memos and the records stay in step: a memo is queued before its record's
 * {@code sendmsg} (under the sender's lock) and taken back if that fails, and a receiver takes one memo
 * for every record it reads. (Anyone who can take a descriptor out of this process another way,
 * {@code pidfd_getfd} or ptrace, can write this process's memory too: README, "What is and is not
 * isolated".)
 */
final class LocalPair {
    /** The descriptors of the ends of local pairs, to notice when one leaves in a message. */
    private static final ConcurrentHashMap<Integer, LocalPair> BY_FD = new ConcurrentHashMap<>();
    /** A memo for a record without VMO facts. */
    static final long[] NO_FACTS = new long[0];

    private volatile boolean local = true;
    /** {@code toward[i]}: the memos of the records on their way to end {@code i}. */
    private final Memos[] toward = {new Memos(), new Memos()};

    /** Makes the pair of the two descriptors of a new socket pair, local until one of them leaves. */
    static LocalPair of(int fd0, int fd1) {
        LocalPair p = new LocalPair();
        BY_FD.put(fd0, p);
        BY_FD.put(fd1, p);
        return p;
    }

    /** Called before {@code fd} goes into a message: if it is an end of a local pair, the pair is local no more. */
    static void leaving(int fd) {
        LocalPair p = BY_FD.get(fd);
        if (p != null && p.local) {
            p.local = false;
            p.toward[0].clear();
            p.toward[1].clear();
        }
    }

    /** Called before the end {@code fd} of this pair is closed. */
    void closing(int fd) {
        BY_FD.remove(fd, this);
    }

    boolean isLocal() {
        return local;
    }

    /** The memos of records on their way to end {@code side}. */
    Memos toward(int side) {
        return toward[side];
    }

    /**
     * One direction's memos, in record order: per handle {@code i}, {@code [2i]} the seals known on the
     * VMO's file (-1 for no facts) and {@code [2i + 1]} its file's size for good (-1 when not known).
     */
    static final class Memos {
        private long[][] ring = new long[8][];
        private int head;
        private int count;

        synchronized void push(long[] memo) {
            if (count == ring.length) {
                long[][] bigger = new long[ring.length * 2][];
                for (int i = 0; i < count; i++) {
                    bigger[i] = ring[(head + i) & (ring.length - 1)];
                }
                ring = bigger;
                head = 0;
            }
            ring[(head + count++) & (ring.length - 1)] = memo;
        }

        /** Takes back the memo just pushed, whose record did not go out. */
        synchronized void dropLast() {
            if (count > 0) {
                ring[(head + --count) & (ring.length - 1)] = null;
            }
        }

        /** @return the memo of the oldest record not yet read, or null when there is none */
        synchronized long[] pop() {
            if (count == 0) {
                return null;
            }
            long[] m = ring[head];
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            count--;
            return m;
        }

        synchronized int size() {
            return count;
        }

        synchronized void clear() {
            ring = new long[8][];
            head = 0;
            count = 0;
        }
    }
}
