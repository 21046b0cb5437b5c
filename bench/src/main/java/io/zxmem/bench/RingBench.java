package io.zxmem.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.examples.ring.SharedRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Throughput of the examples' shared ring ({@link SharedRing}), time per record: a producer (the
 * benchmark thread) and a consumer thread started per invocation, each with its own mapping of one
 * VMO (the consumer's from the handle received over a channel, as another process would have it),
 * moving {@link #RECORDS} records of {@code bytes} bytes.
 *
 * <ul>
 *   <li>{@code zx_ring}: the Java ring over zxmem mappings.</li>
 *   <li>{@code c_ring}: the same ring, same layout and algorithm, in C with a pthread consumer, over
 *       the same two mappings.</li>
 *   <li>{@code java_ring_socketChannel}: the copying alternative in Java: the same records through a
 *       Unix domain {@code SocketChannel} (stream), written and read in 64 KiB buffers.</li>
 *   <li>{@code c_socket}: that copying transport in C (socketpair, write/read of 64 KiB chunks).</li>
 * </ul>
 * Every variant's consumer sums the records' sequence numbers and the sum is checked, so none can
 * skip work. Both threads share the machine's 2 cores with nothing else of the benchmark's.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(RingBench.RECORDS)
public class RingBench extends BenchDefaults {
    static final int RECORDS = 1 << 18;
    static final long RING_BYTES = 4L << 20;
    static final int CHUNK = 1 << 16;
    private static final MethodHandle RING_RUN = CHarness.function("zxb_ring_run",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SOCKET_RUN = CHarness.function("zxb_socket_run",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT));

    @Param({"64", "1024"})
    public int bytes;

    private Vmo vmo;
    private Vmo received;
    private Mapping producerMap;
    private Mapping consumerMap;
    private MemorySegment record;
    private byte[] recordBytes;
    private Path dir;
    private ServerSocketChannel server;
    private SocketChannel out;
    private SocketChannel in;
    private ByteBuffer outBuf;
    private ByteBuffer inBuf;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        vmo = Vmo.create(SharedRing.HEADER + RING_BYTES);
        producerMap = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, vmo.size());
        Channel[] pair = Channel.createPair();
        try (Channel a = pair[0]; Channel b = pair[1]) {
            a.write(null, vmo.duplicate(Rights.SAME_RIGHTS));
            Message m = b.read(Duration.ofSeconds(10));
            received = m.handle(0, Vmo.class);
        }
        consumerMap = received.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, received.size());
        recordBytes = new byte[bytes];
        record = MemorySegment.ofArray(recordBytes);

        dir = Files.createTempDirectory("zxmem-ringbench");
        UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(dir.resolve("s"));
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(addr);
        out = SocketChannel.open(addr);
        in = server.accept();
        outBuf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.nativeOrder());
        inBuf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.nativeOrder());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        consumerMap.close();
        producerMap.close();
        received.close();
        vmo.close();
        out.close();
        in.close();
        server.close();
        Files.deleteIfExists(dir.resolve("s"));
        Files.deleteIfExists(dir);
    }

    static long expected() {
        return (long) RECORDS * (RECORDS - 1) / 2;
    }

    private static long footprint(int length) {
        return (4 + length + 7) & ~7L;
    }

    /** Sums sequence numbers, reused across polls so polling allocates nothing. */
    private static final class Summer implements Consumer<MemorySegment> {
        long sum;
        long count;

        @Override
        public void accept(MemorySegment r) {
            sum += r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            count++;
        }
    }

    private static Thread start(Runnable r) {
        Thread t = new Thread(r, "ringbench-consumer");
        t.start();
        return t;
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long check(String what, long sum) {
        if (sum != expected()) {
            throw new IllegalStateException(what + ": checksum " + sum + ", expected " + expected());
        }
        return sum;
    }

    @Benchmark
    public long zx_ring() {
        SharedRing producer = SharedRing.create(producerMap.segment());
        Summer summer = new Summer();
        Thread consumer = start(() -> {
            SharedRing ring = SharedRing.attach(consumerMap.segment());
            int idle = 0;
            while (summer.count < RECORDS) {
                if (ring.poll(summer)) {
                    idle = 0;
                } else {
                    SharedRing.backOff(idle++);
                }
            }
        });
        for (long seq = 0; seq < RECORDS; seq++) {
            record.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq);
            int idle = 0;
            while (!producer.offer(record, 0, bytes)) {
                SharedRing.backOff(idle++);
            }
        }
        producer.close();
        join(consumer);
        return check("zx_ring", summer.sum);
    }

    @Benchmark
    public long c_ring() throws Throwable {
        long sum = (long) RING_RUN.invokeExact(MemorySegment.ofAddress(producerMap.address()),
                MemorySegment.ofAddress(consumerMap.address()), RING_BYTES, (long) RECORDS, bytes);
        return check("c_ring", sum);
    }

    @Benchmark
    public long java_ring_socketChannel() {
        long need = footprint(bytes);
        long[] sum = new long[1];
        Thread consumer = start(() -> {
            long total = need * RECORDS;
            long got = 0;
            ByteBuffer b = inBuf.clear();
            try {
                while (got < total) {
                    int n = in.read(b);
                    if (n < 0) {
                        throw new IOException("end of stream after " + got + " bytes");
                    }
                    got += n;
                    b.flip();
                    while (b.remaining() >= need) {
                        int at = b.position();
                        sum[0] += b.getLong(at + 4);
                        b.position((int) (at + need));
                    }
                    b.compact();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        ByteBuffer b = outBuf.clear();
        try {
            for (long seq = 0; seq < RECORDS; seq++) {
                if (b.remaining() < need) {
                    b.flip();
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                    b.clear();
                }
                // The whole record goes in, as into the ring: length, then the bytes with the sequence first.
                record.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq);
                int at = b.position();
                b.putInt(at, bytes);
                b.put(at + 4, recordBytes, 0, bytes);
                b.position((int) (at + need));
            }
            b.flip();
            while (b.hasRemaining()) {
                out.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        join(consumer);
        return check("java_ring_socketChannel", sum[0]);
    }

    @Benchmark
    public long c_socket() throws Throwable {
        return check("c_socket", (long) SOCKET_RUN.invokeExact((long) RECORDS, bytes));
    }
}
