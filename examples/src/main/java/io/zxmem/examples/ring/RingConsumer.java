package io.zxmem.examples.ring;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Status;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The consumer: connects to the producer's socket, receives the ring's VMO, maps it and reads the
 * records in place, in the shared memory. When the producer closes the ring, it sends back a summary.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... io.zxmem.examples.ring.RingConsumer SOCKET</pre>
 */
public final class RingConsumer {
    private RingConsumer() {}

    public static void main(String[] args) {
        try (Channel producer = connect(Path.of(args[0]));
                Message hello = producer.read(Duration.ofMinutes(1));
                Vmo vmo = hello.handle(0, Vmo.class);
                Mapping map = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, vmo.size())) {
            SharedRing ring = SharedRing.attach(map.segment());
            long[] seen = new long[3]; // records, bytes, checksum
            Consumer<MemorySegment> count = record -> {
                seen[0]++;
                seen[1] += record.byteSize();
                seen[2] += record.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            };
            int idle = 0;
            while (true) {
                if (ring.poll(count)) {
                    idle = 0;
                } else if (ring.isClosed()) {
                    // Closed is published after the last record, so one more empty poll means done.
                    if (!ring.poll(count)) {
                        break;
                    }
                } else {
                    SharedRing.backOff(idle++);
                }
            }
            String summary = "received " + seen[0] + " records, " + seen[1] + " bytes, checksum " + seen[2]
                    + " (VMO \"" + vmo.name() + "\", rights " + io.zxmem.Rights.toString(vmo.rights()) + ")";
            producer.write(summary.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Connects, waiting up to a minute for the producer to start listening. */
    static Channel connect(Path socket) {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            try {
                return Channel.connect(socket);
            } catch (ZxException e) {
                boolean notYet = e.status() == Status.ERR_NOT_FOUND || e.status() == Status.ERR_PEER_CLOSED;
                if (!notYet || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(20_000_000);
            }
        }
    }
}
