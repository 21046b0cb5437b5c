package io.zxmem.examples;

import io.zxmem.LockState;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.nio.charset.StandardCharsets;

/**
 * A cache entry that the system may throw away while nobody uses it: the discardable-VMO pattern.
 *
 * <p>Lock the VMO while using its content; unlock it when done. If it was discarded in between (memory
 * pressure, a budget, or {@link Zx#reclaimDiscardable()}), {@link Vmo#lock()} says so and the entry is
 * rebuilt. Run: {@code java --enable-native-access=ALL-UNNAMED -cp ... io.zxmem.examples.DiscardableCache}
 */
public final class DiscardableCache implements AutoCloseable {
    private final Vmo vmo;
    private final byte[] source;

    public DiscardableCache(byte[] source) {
        this.source = source.clone();
        this.vmo = Vmo.create(source.length, Vmo.DISCARDABLE);
        vmo.lock();
        vmo.write(this.source, 0);
        vmo.unlock();
    }

    /** @return the cached bytes, rebuilt from the source if the system discarded them */
    public byte[] get() {
        LockState s = vmo.lock();
        try {
            if (s.discarded()) {
                vmo.write(source, 0);
            }
            byte[] out = new byte[source.length];
            vmo.read(out, 0);
            return out;
        } finally {
            vmo.unlock();
        }
    }

    @Override
    public void close() {
        vmo.close();
    }

    public static void main(String[] args) {
        byte[] data = "expensive to compute".getBytes(StandardCharsets.UTF_8);
        try (DiscardableCache c = new DiscardableCache(data)) {
            System.out.println("first read:      " + new String(c.get(), StandardCharsets.UTF_8));
            System.out.println("discarded now:   " + Zx.reclaimDiscardable() + " VMO(s)");
            System.out.println("after discard:   " + new String(c.get(), StandardCharsets.UTF_8) + " (rebuilt)");
        }
    }
}
