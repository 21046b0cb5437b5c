package io.zxmem.examples.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RingDemoTest {

    @Test
    void theConsumerJvmSeesEveryRecordTheProducerWrote() throws Exception {
        long records = 200_000;
        String out = RingDemo.run(records, 40);
        System.out.println(out);
        assertTrue(out.contains("received " + records + " records, " + records * 40 + " bytes, checksum "
                + RingProducer.expectedChecksum(records)), out);
    }

    @Test
    void recordsWrapAroundTheRingInOrder() {
        try (Vmo v = Vmo.create(SharedRing.HEADER + 256); Mapping m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, v.size())) {
            MemorySegment small = m.segment().asSlice(0, SharedRing.HEADER + 256);
            SharedRing producer = SharedRing.create(small);
            SharedRing consumer = SharedRing.attach(small);
            assertEquals(256, producer.capacity());
            List<Long> got = new ArrayList<>();
            long next = 0;
            for (int round = 0; round < 100; round++) {
                MemorySegment rec = MemorySegment.ofArray(new byte[8 + round % 50]);
                while (true) {
                    rec.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next);
                    if (!producer.offer(rec, 0, (int) rec.byteSize())) {
                        break;
                    }
                    next++;
                }
                consumer.poll(r -> got.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)));
            }
            while (consumer.poll(r -> got.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)))) {
                // drain
            }
            assertFalse(consumer.isClosed());
            assertEquals(next, got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(i, got.get(i));
            }
        }
    }
}
