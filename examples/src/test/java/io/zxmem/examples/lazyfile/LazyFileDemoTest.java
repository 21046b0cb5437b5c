package io.zxmem.examples.lazyfile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zxmem.Zx;
import org.junit.jupiter.api.Test;

class LazyFileDemoTest {

    @Test
    void aClientJvmTouchingThreePagesOfAFourGibFileCostsThreePages() throws Exception {
        String out = LazyFileDemo.run(4);
        System.out.println(out);
        long page = Zx.pageSize();
        for (long at : LazyFileDemo.OFFSETS) {
            assertTrue(out.contains("at " + at + ": " + LazyFileDemo.marker(at)), out);
        }
        assertTrue(out.contains("received a VMO of " + (4L << 30) + " bytes"), out);
        // Three pages read (the mapped page is one of them), nothing else: neither here nor there.
        assertTrue(out.contains("committed " + 3 * page + " bytes of " + (4L << 30)), out);
        assertTrue(out.contains("server: read 3 pages of a 4 GiB file"), out);
    }
}
