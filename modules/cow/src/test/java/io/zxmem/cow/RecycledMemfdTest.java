package io.zxmem.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.zxmem.Mapping;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A parent's memfd that a copy-on-write child still reads is never recycled when the parent closes:
 * the next VMOs would write into the child's original pages.
 */
class RecycledMemfdTest {
    private static final int P = (int) Zx.pageSize();

    @ParameterizedTest
    @ValueSource(strings = {"snapshot", "at-least-on-write", "snapshot-of-mapped"})
    void aChildKeepsItsContentWhenTheParentClosesAndNewVmosAreWritten(String kind) {
        Zx.releasePooledMemfds();
        byte[] original = new byte[2 * P];
        Arrays.fill(original, (byte) 0x5A);
        Vmo child;
        try (Vmo parent = Vmo.create(2 * P)) {
            parent.write(original, 0);
            Mapping m = kind.equals("snapshot-of-mapped") ? parent.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 2 * P) : null;
            try {
                int option = kind.equals("at-least-on-write") ? Vmo.CHILD_SNAPSHOT_AT_LEAST_ON_WRITE : Vmo.CHILD_SNAPSHOT;
                child = parent.createChild(option, 0, 2 * P);
            } finally {
                if (m != null) {
                    m.close();
                }
            }
        }
        try (child) {
            for (int i = 0; i < 8; i++) {
                try (Vmo next = Vmo.create(2 * P)) {
                    byte[] other = new byte[2 * P];
                    Arrays.fill(other, (byte) (i + 1));
                    next.write(other, 0);
                }
            }
            byte[] now = new byte[2 * P];
            child.read(now, 0);
            assertArrayEquals(original, now, kind + ": the child shows another VMO's bytes");
        }
        Zx.releasePooledMemfds();
    }
}
