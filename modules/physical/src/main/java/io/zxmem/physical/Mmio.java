package io.zxmem.physical;

import io.zxmem.Mapping;
import io.zxmem.Status;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Typed access to device registers in a mapped BAR (or any memory segment), 8, 16, 32 and 64 bits
 * wide, naturally aligned, in the byte order of the CPU (little endian on x86-64 and arm64, as PCI is).
 *
 * <p>Every method names its memory ordering, as Agrona's buffers do: {@code getIntVolatile} /
 * {@code putIntVolatile} (sequentially consistent), {@code getIntAcquire} / {@code putIntRelease}, and
 * {@code getIntOpaque} / {@code putIntOpaque}. There are deliberately no plain accessors: the JIT may
 * merge, drop, reorder or forward plain accesses (read back the value just written to a register
 * instead of asking the device), which is wrong for registers with side effects. Each access is a
 * single instruction of its width (devices such as QEMU's edu ignore accesses of another width).
 *
 * <p>Offsets are checked: past the end -> {@link Status#ERR_OUT_OF_RANGE}, not a multiple of the
 * width -> {@link Status#ERR_INVALID_ARGS}; a write through a read-only mapping -> {@link Status#ERR_ACCESS_DENIED}. After the mapping is closed, access throws
 * {@link IllegalStateException} (the segment's own check), never a crash.
 *
 * <p>Cost: every access carries the segment's bounds and liveness checks, a handful of loads and
 * compares. The JIT cannot hoist them out of a loop, because each volatile, acquire or opaque access
 * orders every later load after it, the checks' own included. On a real device register the access
 * itself (a bus round trip) dwarfs them; on RAM-backed memory a read costs about 4 times a C
 * {@code volatile} load, a bare segment {@code VarHandle} about 2.4 times (bench/RESULTS.md, {@code MmioBench}).
 */
public final class Mmio {
    private static final VarHandle VH_8 = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle VH_16 = ValueLayout.JAVA_SHORT.varHandle();
    private static final VarHandle VH_32 = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle VH_64 = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment segment;
    private final long size;
    private final boolean readOnly;

    private Mmio(MemorySegment segment) {
        this.segment = segment;
        this.size = segment.byteSize();
        this.readOnly = segment.isReadOnly();
    }

    /**
     * A view of the whole mapping (it must stay open while the view is used).
     *
     * @param mapping an open mapping of a physical VMO
     * @return the register view
     */
    public static Mmio of(Mapping mapping) {
        if (mapping == null) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "mmio.of: mapping is null");
        }
        return of(mapping.segment());
    }

    /**
     * A view of {@code segment}, which must start 8-byte aligned.
     *
     * @param segment the registers, 8-byte aligned
     * @return the register view
     */
    public static Mmio of(MemorySegment segment) {
        if (segment == null) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "mmio.of: segment is null");
        }
        if ((segment.address() & 7) != 0) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "mmio.of: the segment does not start 8-byte aligned");
        }
        return new Mmio(segment);
    }

    /** {@return the bytes this view covers} */
    public long size() {
        return size;
    }

    /** {@return the underlying segment} */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * The slow path of every access. The segment itself refuses an offset out of bounds
     * ({@link IndexOutOfBoundsException}), a misaligned one or a write to a read-only segment
     * ({@link IllegalArgumentException}); so the fast path carries no checks of Mmio's own, which the
     * JIT could not hoist out of a loop of volatile accesses. This turns the refusal into the status
     * Mmio promises, checked in the order it always was.
     */
    private RuntimeException refused(RuntimeException e, long offset, int width, boolean write) {
        if (write) {
            checkWrite(offset, width);
        } else {
            check(offset, width);
        }
        return e;
    }

    private long check(long offset, int width) {
        // one unsigned compare covers negative offsets too
        if (size < width || Long.compareUnsigned(offset, size - width) > 0) {
            throw new ZxException(Status.ERR_OUT_OF_RANGE, "mmio: offset 0x" + Long.toHexString(offset) + " + " + width
                    + " bytes is outside the " + size + "-byte register window");
        }
        if ((offset & (width - 1)) != 0) {
            throw new ZxException(Status.ERR_INVALID_ARGS, "mmio: offset 0x" + Long.toHexString(offset)
                    + " is not aligned to the " + width + "-byte access");
        }
        return offset;
    }

    private long checkWrite(long offset, int width) {
        if (readOnly) {
            throw new ZxException(Status.ERR_ACCESS_DENIED, "mmio: the mapping is read-only (map with PERM_WRITE)");
        }
        return check(offset, width);
    }

    // ---- 8-bit ----

    /**
     * 8-bit read with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public byte getByteVolatile(long offset) {
        try {
            return (byte) VH_8.getVolatile(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 1, false);
        }
    }

    /**
     * 8-bit write with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putByteVolatile(long offset, byte value) {
        try {
            VH_8.setVolatile(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 1, true);
        }
    }

    /**
     * 8-bit read with acquire ordering: later accesses are not moved before it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public byte getByteAcquire(long offset) {
        try {
            return (byte) VH_8.getAcquire(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 1, false);
        }
    }

    /**
     * 8-bit write with release ordering: earlier accesses are not moved after it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putByteRelease(long offset, byte value) {
        try {
            VH_8.setRelease(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 1, true);
        }
    }

    /**
     * 8-bit read with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public byte getByteOpaque(long offset) {
        try {
            return (byte) VH_8.getOpaque(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 1, false);
        }
    }

    /**
     * 8-bit write with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putByteOpaque(long offset, byte value) {
        try {
            VH_8.setOpaque(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 1, true);
        }
    }

    // ---- 16-bit ----

    /**
     * 16-bit read with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public short getShortVolatile(long offset) {
        try {
            return (short) VH_16.getVolatile(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 2, false);
        }
    }

    /**
     * 16-bit write with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putShortVolatile(long offset, short value) {
        try {
            VH_16.setVolatile(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 2, true);
        }
    }

    /**
     * 16-bit read with acquire ordering: later accesses are not moved before it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public short getShortAcquire(long offset) {
        try {
            return (short) VH_16.getAcquire(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 2, false);
        }
    }

    /**
     * 16-bit write with release ordering: earlier accesses are not moved after it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putShortRelease(long offset, short value) {
        try {
            VH_16.setRelease(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 2, true);
        }
    }

    /**
     * 16-bit read with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public short getShortOpaque(long offset) {
        try {
            return (short) VH_16.getOpaque(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 2, false);
        }
    }

    /**
     * 16-bit write with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putShortOpaque(long offset, short value) {
        try {
            VH_16.setOpaque(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 2, true);
        }
    }

    // ---- 32-bit ----

    /**
     * 32-bit read with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public int getIntVolatile(long offset) {
        try {
            return (int) VH_32.getVolatile(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 4, false);
        }
    }

    /**
     * 32-bit write with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putIntVolatile(long offset, int value) {
        try {
            VH_32.setVolatile(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 4, true);
        }
    }

    /**
     * 32-bit read with acquire ordering: later accesses are not moved before it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public int getIntAcquire(long offset) {
        try {
            return (int) VH_32.getAcquire(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 4, false);
        }
    }

    /**
     * 32-bit write with release ordering: earlier accesses are not moved after it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putIntRelease(long offset, int value) {
        try {
            VH_32.setRelease(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 4, true);
        }
    }

    /**
     * 32-bit read with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public int getIntOpaque(long offset) {
        try {
            return (int) VH_32.getOpaque(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 4, false);
        }
    }

    /**
     * 32-bit write with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putIntOpaque(long offset, int value) {
        try {
            VH_32.setOpaque(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 4, true);
        }
    }

    // ---- 64-bit ----

    /**
     * 64-bit read with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public long getLongVolatile(long offset) {
        try {
            return (long) VH_64.getVolatile(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 8, false);
        }
    }

    /**
     * 64-bit write with volatile (sequentially consistent) ordering.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putLongVolatile(long offset, long value) {
        try {
            VH_64.setVolatile(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 8, true);
        }
    }

    /**
     * 64-bit read with acquire ordering: later accesses are not moved before it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public long getLongAcquire(long offset) {
        try {
            return (long) VH_64.getAcquire(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 8, false);
        }
    }

    /**
     * 64-bit write with release ordering: earlier accesses are not moved after it.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putLongRelease(long offset, long value) {
        try {
            VH_64.setRelease(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 8, true);
        }
    }

    /**
     * 64-bit read with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @return the value read
     */
    public long getLongOpaque(long offset) {
        try {
            return (long) VH_64.getOpaque(segment, offset);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 8, false);
        }
    }

    /**
     * 64-bit write with opaque ordering: really performed, in program order for this address only.
     *
     * @param offset the register's byte offset, aligned to its width
     * @param value  the value to write
     */
    public void putLongOpaque(long offset, long value) {
        try {
            VH_64.setOpaque(segment, offset, value);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw refused(e, offset, 8, true);
        }
    }

    @Override
    public String toString() {
        return "Mmio[0x" + Long.toHexString(segment.address()) + "+0x" + Long.toHexString(size) + "]";
    }
}
