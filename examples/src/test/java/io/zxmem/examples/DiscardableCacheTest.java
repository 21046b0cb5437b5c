package io.zxmem.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.zxmem.Zx;
import org.junit.jupiter.api.Test;

class DiscardableCacheTest {
    @Test
    void rebuildsAfterTheSystemDiscardedIt() {
        byte[] data = new byte[10_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        try (DiscardableCache c = new DiscardableCache(data)) {
            assertArrayEquals(data, c.get());
            Zx.reclaimDiscardable();
            assertArrayEquals(data, c.get());
        }
    }
}
