package io.zxmem.cli;

import io.zxmem.Rights;
import io.zxmem.Vmar;
import io.zxmem.Vmo;

/** A process for {@code zx inspect} to look at: opts in, builds VMOs, then waits until stdin closes. */
public final class InspectTarget {
    private InspectTarget() {}

    public static void main(String[] args) throws Exception {
        Vmo a = Vmo.create(8 * 4096);
        a.setName("target-a");
        a.write(new byte[4096 * 2], 0);
        var m = a.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 8 * 4096);
        Vmo ro = a.duplicate(Rights.READ | Rights.MAP);
        Vmo b = Vmo.create(1L << 45);
        b.setName("target-sparse");
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // Wait for the test to close our stdin.
        }
        m.close();
        ro.close();
        a.close();
        b.close();
    }
}
