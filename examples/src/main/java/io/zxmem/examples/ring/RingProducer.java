package io.zxmem.examples.ring;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The producer: makes a VMO, lays a {@link SharedRing} out in it, hands the VMO to the consumer that
 * connects to its socket path, then writes records straight into the shared memory. Nothing goes
 * through the socket but the handle (once) and the consumer's summary (at the end).
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... io.zxmem.examples.ring.RingProducer SOCKET [RECORDS [BYTES]]</pre>
 */
public final class RingProducer {
    /** The ring's data area: 4 MiB. */
    static final long RING_BYTES = 4L << 20;

    private RingProducer() {}

    public static void main(String[] args) {
        Path socket = Path.of(args[0]);
        long records = args.length > 1 ? Long.parseLong(args[1]) : 10_000_000;
        int bytes = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        System.out.println(run(socket, records, bytes));
    }

    /** @return what the consumer reported, and the producer's rate */
    public static String run(Path socket, long records, int bytes) {
        return run(socket, records, bytes, () -> true);
    }

    /** {@link #run(Path, long, int)}, giving up waiting for the consumer once {@code consumerAlive} says false. */
    public static String run(Path socket, long records, int bytes, BooleanSupplier consumerAlive) {
        if (bytes < 8) {
            throw new IllegalArgumentException("records carry an 8-byte sequence number: BYTES must be at least 8");
        }
        try (ChannelServer server = Channel.listen(socket);
                Vmo vmo = Vmo.create(SharedRing.HEADER + RING_BYTES);
                Mapping map = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, vmo.size())) {
            vmo.setName("ring");
            SharedRing ring = SharedRing.create(map.segment());
            System.out.println("producer: waiting for a consumer on " + socket);
            try (Channel consumer = accept(server, consumerAlive)) {
                // The consumer writes the ring's read index, so it gets WRITE; the duplicate is consumed.
                consumer.write("ring".getBytes(StandardCharsets.UTF_8), vmo.duplicate(Rights.SAME_RIGHTS));

                MemorySegment record = MemorySegment.ofArray(new byte[bytes]);
                long start = System.nanoTime();
                for (long seq = 0; seq < records; seq++) {
                    record.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq);
                    int idle = 0;
                    while (!ring.offer(record, 0, bytes)) {
                        SharedRing.backOff(idle++);
                    }
                }
                ring.close();
                try (Message summary = consumer.read(Duration.ofMinutes(5))) {
                    double seconds = (System.nanoTime() - start) / 1e9;
                    return "consumer: " + new String(summary.data(), StandardCharsets.UTF_8) + "\n"
                            + String.format("producer: %d records of %d bytes in %.3f s: %.1f M records/s, %.0f MiB/s",
                                    records, bytes, seconds, records / seconds / 1e6, records * (double) bytes / seconds / (1 << 20));
                }
            }
        }
    }

    private static Channel accept(ChannelServer server, BooleanSupplier consumerAlive) {
        for (int second = 0; ; second++) {
            try {
                return server.accept(Duration.ofSeconds(1));
            } catch (ZxException e) {
                if (e.status() != Status.ERR_TIMED_OUT || second >= 60 || !consumerAlive.getAsBoolean()) {
                    throw e;
                }
            }
        }
    }

    /** The checksum the consumer must report for {@code records} records: the sum of their sequence numbers. */
    public static long expectedChecksum(long records) {
        return records * (records - 1) / 2;
    }
}
