package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.PageRequest;
import io.zxmem.Pager;
import io.zxmem.Rights;
import io.zxmem.Status;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A pager in its own JVM, for {@link PagerProcessDiesTest}: connects to {@code args[0]}, sends a
 * pager VMO of {@code args[1]} pages, and serves READ requests with {@link PagerTest#supply} (seed
 * 1) until the first request for page {@code args[2]}, at which it dies at once (no cleanup).
 */
public final class PagerProcess {
    private PagerProcess() {}

    public static void main(String[] args) {
        long pages = Long.parseLong(args[1]);
        long dieAt = Long.parseLong(args[2]) * io.zxmem.Zx.pageSize();
        try (Channel ch = Channel.connect(Path.of(args[0])); Pager pager = Pager.create();
                Vmo vmo = pager.createVmo(0, pages * io.zxmem.Zx.pageSize())) {
            ch.write(new byte[0], vmo.duplicate(Rights.SAME_RIGHTS));
            while (true) {
                PageRequest r;
                try {
                    r = pager.next(Duration.ofSeconds(60));
                } catch (ZxException e) {
                    if (e.status() == Status.ERR_TIMED_OUT) {
                        continue;
                    }
                    return;
                }
                if (r.command() != PageRequest.READ) {
                    continue;
                }
                if (r.offset() <= dieAt && dieAt < r.offset() + r.length()) {
                    Runtime.getRuntime().halt(3);
                }
                long p = io.zxmem.Zx.pageSize();
                PagerTest.supply(pager, vmo, r.offset() / p, r.length() / p, 1);
            }
        }
    }
}
