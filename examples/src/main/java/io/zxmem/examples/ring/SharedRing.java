package io.zxmem.examples.ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * A single-producer, single-consumer ring of variable-length records, laid out in shared memory so
 * that two processes that map the same VMO can use it with no copy through the kernel.
 *
 * <pre>
 * offset 0    long  capacity of the data area (a power of two)
 * offset 64   long  write index: bytes published by the producer (only the producer writes it)
 * offset 128  long  read index: bytes consumed by the consumer (only the consumer writes it)
 * offset 192  long  closed: 1 once the producer will publish nothing more
 * offset HEADER     data area: records [int length][bytes], each padded to 8 bytes; a length of -1
 *                   means "the rest of the area is unused, continue at its start"
 * </pre>
 * The indexes only grow; index mod capacity is the position. Each index lives on its own cache line
 * and is published with release stores and read with acquire loads, which is all the ordering the
 * two sides need. Each side keeps the last value it read of the other's index and reads the shared
 * one again only when that cached value says "full" (producer) or "empty" (consumer): otherwise every
 * record would move the other side's cache line between the cores.
 */
public final class SharedRing {
    /** Bytes before the data area (one page is plenty, and keeps the data page-aligned). */
    public static final long HEADER = 4096;
    private static final long CAPACITY = 0;
    private static final long WRITE = 64;
    private static final long READ = 128;
    private static final long CLOSED = 192;
    private static final int WRAP = -1;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment ring;
    private final MemorySegment data;
    private final long capacity;
    private long write;
    private long read;
    /** Producer: the read index as last seen. */
    private long readSeen;
    /** Consumer: the write index as last seen. */
    private long writeSeen;

    private SharedRing(MemorySegment ring) {
        this.ring = ring;
        this.capacity = ring.get(ValueLayout.JAVA_LONG, CAPACITY);
        if (Long.bitCount(capacity) != 1 || HEADER + capacity > ring.byteSize()) {
            throw new IllegalArgumentException("not a ring: capacity " + capacity + " in " + ring.byteSize() + " bytes");
        }
        this.data = ring.asSlice(HEADER, capacity);
        this.write = (long) LONG.getAcquire(ring, WRITE);
        this.read = (long) LONG.getAcquire(ring, READ);
        this.readSeen = read;
        this.writeSeen = write;
    }

    /** Lays out an empty ring over {@code memory}, whose size is HEADER plus a power of two. */
    public static SharedRing create(MemorySegment memory) {
        long capacity = Long.highestOneBit(memory.byteSize() - HEADER);
        memory.asSlice(0, HEADER).fill((byte) 0);
        memory.set(ValueLayout.JAVA_LONG, CAPACITY, capacity);
        return new SharedRing(memory);
    }

    /** Uses a ring another process laid out in {@code memory}. */
    public static SharedRing attach(MemorySegment memory) {
        return new SharedRing(memory);
    }

    /** @return the bytes a record of {@code length} takes */
    private static long footprint(int length) {
        return (4 + length + 7) & ~7L;
    }

    /**
     * Producer: appends one record, writing it straight into the shared memory.
     *
     * @return false when the ring has no room now (the consumer is behind)
     */
    public boolean offer(MemorySegment src, long offset, int length) {
        long need = footprint(length);
        if (need > capacity / 2) {
            throw new IllegalArgumentException("a record of " + length + " bytes does not fit a ring of " + capacity);
        }
        long at = write & (capacity - 1);
        long pad = capacity - at < need ? capacity - at : 0;
        if (write + pad + need - readSeen > capacity) {
            readSeen = (long) LONG.getAcquire(ring, READ);
            if (write + pad + need - readSeen > capacity) {
                return false;
            }
        }
        if (pad != 0) {
            data.set(ValueLayout.JAVA_INT, at, WRAP);
            at = 0;
        }
        data.set(ValueLayout.JAVA_INT, at, length);
        MemorySegment.copy(src, offset, data, at + 4, length);
        write += pad + need;
        LONG.setRelease(ring, WRITE, write);
        return true;
    }

    /** Producer: {@link #offer(MemorySegment, long, int)} for a byte array. */
    public boolean offer(byte[] record) {
        return offer(MemorySegment.ofArray(record), 0, record.length);
    }

    /**
     * Consumer: hands the next record to {@code reader} as a slice of the shared memory itself (no
     * copy), then frees its space.
     *
     * @return false when no record is waiting
     */
    public boolean poll(Consumer<MemorySegment> reader) {
        if (read == writeSeen) {
            writeSeen = (long) LONG.getAcquire(ring, WRITE);
            if (read == writeSeen) {
                return false;
            }
        }
        long at = read & (capacity - 1);
        int length = data.get(ValueLayout.JAVA_INT, at);
        if (length == WRAP) {
            read += capacity - at;
            at = 0;
            length = data.get(ValueLayout.JAVA_INT, 0);
        }
        reader.accept(data.asSlice(at + 4, length));
        read += footprint(length);
        LONG.setRelease(ring, READ, read);
        return true;
    }

    /** Producer: tells the consumer that nothing more will come. */
    public void close() {
        LONG.setRelease(ring, CLOSED, 1L);
    }

    /** Consumer: whether the producer closed the ring (records may still be waiting). */
    public boolean isClosed() {
        return (long) LONG.getAcquire(ring, CLOSED) != 0;
    }

    /** @return the capacity of the data area in bytes */
    public long capacity() {
        return capacity;
    }

    /** Waits a little without burning a core for long: spin, then yield, then sleep briefly. */
    public static void backOff(int idleRounds) {
        if (idleRounds < 100) {
            Thread.onSpinWait();
        } else if (idleRounds < 200) {
            Thread.yield();
        } else {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }
}
