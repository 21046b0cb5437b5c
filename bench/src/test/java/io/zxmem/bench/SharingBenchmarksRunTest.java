package io.zxmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zxmem.Rights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the sharing benchmarks' bodies once outside JMH: each must do its work and check it. */
class SharingBenchmarksRunTest {

    @Test
    void channelBenchmarksRun() throws Throwable {
        ChannelBench b = new ChannelBench();
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(Rights.DEFAULT_VMO, b.zx_transfer());
                assertEquals(ChannelBench.DATA, b.zx_message());
                assertEquals(0, b.c_transfer());
                assertEquals(0, b.c_message());
            }
        } finally {
            b.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 1024})
    void ringBenchmarksMoveEveryRecord(int bytes) throws Throwable {
        RingBench b = new RingBench();
        b.bytes = bytes;
        b.setUp();
        try {
            assertEquals(RingBench.expected(), b.zx_ring());
            assertEquals(RingBench.expected(), b.c_ring());
            assertEquals(RingBench.expected(), b.zx_ring(), "the ring is laid out afresh for every invocation");
            assertEquals(RingBench.expected(), b.java_ring_socketChannel());
            assertEquals(RingBench.expected(), b.c_socket());
        } finally {
            b.tearDown();
        }
    }
}
