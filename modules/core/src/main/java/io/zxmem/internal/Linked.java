package io.zxmem.internal;

/**
 * A node of a doubly linked list threaded through its elements, whose head is a field of the owner:
 * a VMO's mappings, a store's windows. Such a list costs its owner no object and an element no entry,
 * on the path of every create and map, where a set cost both. Not thread-safe: the owner guards the
 * head and the links with one lock.
 *
 * @param <N> the element type
 */
public abstract class Linked<N extends Linked<N>> {
    private N prev;
    private N next;

    /** @return the element after this one, or null */
    public final N next() {
        return next;
    }

    /** @return the new head: {@code n} (not in a list) put in front of {@code head} */
    public static <N extends Linked<N>> N push(N head, N n) {
        Linked<N> link = n;
        link.next = head;
        if (head != null) {
            ((Linked<N>) head).prev = n;
        }
        return n;
    }

    /** @return whether {@code n} is in the list that starts at {@code head} */
    public static <N extends Linked<N>> boolean contains(N head, N n) {
        return ((Linked<N>) n).prev != null || head == n;
    }

    /** @return the new head: the list without {@code n}, which must be in it ({@link #contains}) */
    public static <N extends Linked<N>> N unlink(N head, N n) {
        Linked<N> link = n;
        N after = link.next;
        if (link.prev != null) {
            ((Linked<N>) link.prev).next = after;
        } else {
            head = after;
        }
        if (after != null) {
            ((Linked<N>) after).prev = link.prev;
        }
        link.prev = null;
        link.next = null;
        return head;
    }
}
