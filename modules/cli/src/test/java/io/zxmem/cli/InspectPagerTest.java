package io.zxmem.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Pager;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import org.junit.jupiter.api.Test;

/** {@code zx inspect} shows a pager VMO as such, with the bytes its pager supplied and the dirty ones. */
class InspectPagerTest {
    @Test
    void pagerVmosShowSuppliedAndDirtyBytes() {
        long p = Zx.pageSize();
        try (Pager pager = Pager.create(); Vmo vmo = pager.createVmo(0, 16 * p); Vmo aux = Vmo.create(4 * p)) {
            vmo.setName("lazy-file");
            pager.supplyPages(vmo, 0, 4 * p, aux, 0);
            vmo.write(new byte[] {1}, 0);
            String text = Inspect.text("self", Zx.inspect());
            String line = text.lines().filter(l -> l.contains("\"lazy-file\"")).findFirst().orElseThrow(() -> new AssertionError(text));
            assertTrue(line.contains(" pager "), line);
            assertTrue(line.contains("supplied " + Inspect.size(4 * p)), line);
            assertTrue(line.contains("dirty " + Inspect.size(p)), line);
        }
    }
}
