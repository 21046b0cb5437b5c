package io.zxmem;

import java.util.List;

/**
 * A message read from a {@link Channel}: its bytes and the handles that came with it, in the order
 * they were written. The handles belong to the reader, who closes them (or closes the message).
 *
 * @param data    the bytes (never null)
 * @param handles the received handles (an unmodifiable list, never null)
 */
public record Message(byte[] data, List<Handle> handles) implements AutoCloseable {

    /** Copies the handle list; a null array or list becomes an empty one. */
    public Message {
        data = data == null ? new byte[0] : data;
        handles = handles == null ? List.of() : List.copyOf(handles);
    }

    /**
     * {@return handle {@code index}, as {@code type}}
     * @param <H>   the handle type
     * @param index which handle, from 0
     * @param type  the handle type expected
     * @throws ZxException OUT_OF_RANGE for an index past the handles; WRONG_TYPE when it is of another type
     */
    public <H extends Handle> H handle(int index, Class<H> type) {
        if (index < 0 || index >= handles.size()) {
            throw new ZxException(Status.ERR_OUT_OF_RANGE, "message.handle(" + index + "): the message has "
                    + handles.size() + " handles");
        }
        Handle h = handles.get(index);
        if (!type.isInstance(h)) {
            throw new ZxException(Status.ERR_WRONG_TYPE, "message.handle(" + index + ", " + type.getSimpleName()
                    + "): it is a " + h.getClass().getSimpleName());
        }
        return type.cast(h);
    }

    /** Closes every handle of the message that is still open. */
    @Override
    public void close() {
        for (Handle h : handles) {
            h.close();
        }
    }
}
