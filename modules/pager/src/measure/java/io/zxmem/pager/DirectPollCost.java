package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Zx;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: measures one wait of a pager thread in {@code next} over direct windows
 * ({@link DirectServer#pollFaults}) with {@code args[0]} windows held: bytes allocated per wait
 * (ThreadMXBean) and nanoseconds per wait, idle (nothing ready) and woken ({@link DirectServer#wakePollers}
 * first, as a queued request does). {@code args[1]} waits of each kind; run it under {@code strace -f -c}
 * with {@code args[1]} = N and = 0 for the system calls per wait. The windows come from
 * {@link RawDirect} (no faults: nothing is registered on their userfaultfd).
 *
 * <p>Not compiled by Maven (the pager's test module cannot read java.management). After
 * {@code mvn -q install -DskipTests -pl modules/pager -am}, with {@code M=modules} and
 * {@code CP=$M/core/target/classes:$M/cow/target/classes:$M/share/target/classes:$M/linux/target/classes}:
 * {@code javac -d /tmp/m -cp $M/pager/target/classes:$CP $M/pager/src/test/java/io/zxmem/pager/RawDirect.java
 * $M/pager/src/measure/java/io/zxmem/pager/DirectPollCost.java}, then
 * {@code java --enable-native-access=ALL-UNNAMED -cp /tmp/m:$M/pager/target/classes:$CP io.zxmem.pager.DirectPollCost 256 200000}.
 */
public final class DirectPollCost {
    private DirectPollCost() {}

    public static void main(String[] args) throws Throwable {
        int windows = Integer.parseInt(args[0]);
        int calls = Integer.parseInt(args[1]);
        Path dir = Files.createTempDirectory("pollcost");
        Engine engine = new Engine();
        PagedStore store = (PagedStore) engine.createStore(0, 16 * Zx.pageSize());
        Channel[] link = Channel.createPair();
        Channel[] spare = Channel.createPair();
        store.serve(link[0], spare[0], () -> {});
        spare[1].close();
        RawDirect receiver = RawDirect.listen(dir);
        if (receiver.connect(link[1], 1, ProcessHandle.current().pid() + 1_000_000) != 0) {
            throw new IllegalStateException("no direct connection");
        }
        int uffd = RawDirect.userfaultfd();
        for (int i = 0; i < windows; i++) {
            receiver.send(RawDirect.DWIN, i, 0x10000000L + i * Zx.pageSize(), Zx.pageSize(), 0, uffd);
        }
        // (Only what the server had before this change is used, so that the same program measures both.)
        while (!engine.direct.hasWindows()) {
            Thread.sleep(5);
        }
        Thread.sleep(1000); // the reader took them all by now
        Runnable none = () -> {};
        DirectServer d = engine.direct;
        for (int i = 0; i < 20_000; i++) {
            d.pollFaults(0, none);
            d.wakePollers();
            d.pollFaults(0, none);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        System.out.println("BEGIN"); // a write(2) that marks where the counted part starts
        long b0 = mx.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            d.pollFaults(0, none);
        }
        long t1 = System.nanoTime();
        long b1 = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < calls; i++) {
            d.wakePollers();
            d.pollFaults(0, none);
        }
        long t2 = System.nanoTime();
        long b2 = mx.getThreadAllocatedBytes(tid);
        System.out.println("END");
        if (calls > 0) {
            System.out.printf("windows %d: idle wait %.1f B, %.0f ns; woken wait %.1f B, %.0f ns%n", windows,
                    (b1 - b0) / (double) calls, (t1 - t0) / (double) calls, (b2 - b1) / (double) calls, (t2 - t1) / (double) calls);
        }
        receiver.close();
        link[1].close();
        engine.close();
        RawDirect.closeFd(uffd);
        System.exit(0);
    }
}
