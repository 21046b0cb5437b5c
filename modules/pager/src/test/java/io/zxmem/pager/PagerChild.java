package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The other JVM of {@link PagerCrossProcessTest}: holds a pager VMO it received and touches it on
 * command, one message each, answering each with one message (the bytes it saw, {@code ok},
 * {@code error STATUS}, or {@code fault} when a touch of a mapping raised the JVM's unsafe-access
 * {@link InternalError}).
 */
public final class PagerChild {
    private static final long P = io.zxmem.Zx.pageSize();
    private static final Object PROBE = new Object();

    private PagerChild() {}

    /** Reads page {@code page} of the mapping; {@code null} when the touch faulted. */
    static byte[] touch(Mapping mapping, long page) {
        try {
            byte[] b = mapping.segment().asSlice(page * P, P).toArray(ValueLayout.JAVA_BYTE);
            Thread.holdsLock(PROBE); // a late (compiled-code) fault is delivered here at the latest
            return b;
        } catch (InternalError e) {
            if (e.getMessage() == null || !e.getMessage().contains("unsafe memory access")) {
                throw e;
            }
            return null;
        }
    }

    /** Rss of this process's mappings inside {@code [address, address+length)}, in KiB (/proc/self/smaps). */
    static long rssKib(long address, long length) throws java.io.IOException {
        long total = 0;
        boolean inside = false;
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = start >= address && end <= address + length;
            } else if (inside && line.startsWith("Rss:")) {
                total += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return total;
    }

    public static void main(String[] args) throws Exception {
        Vmo vmo = null;
        Mapping mapping = null;
        try (Channel ch = Channel.connect(Path.of(args[0]))) {
            while (true) {
                Message m;
                try {
                    m = ch.read(Duration.ofSeconds(60));
                } catch (ZxException e) {
                    System.err.println("child: " + e.getMessage());
                    return;
                }
                String[] cmd = new String(m.data(), StandardCharsets.UTF_8).split(" ");
                byte[] reply;
                try {
                    switch (cmd[0]) {
                        case "take" -> {
                            vmo = m.handle(0, Vmo.class);
                            reply = ("ok " + vmo.size()).getBytes(StandardCharsets.UTF_8);
                        }
                        case "lazymode" -> reply = ("" + io.zxmem.cow.LazyFaults.mode()).getBytes(StandardCharsets.UTF_8);
                        // Lazy windows made so far that the pager's process serves directly, and relayed ones.
                        case "paths" -> reply = (RemoteStore.DIRECT_WINDOWS.get() + " " + RemoteStore.RELAY_WINDOWS.get())
                                .getBytes(StandardCharsets.UTF_8);
                        case "mapr" -> {
                            // Maps without touching anything.
                            mapping = vmo.map(Vmar.PERM_READ | (cmd.length > 3 ? Vmar.PERM_WRITE : 0),
                                    Long.parseLong(cmd[1]), Long.parseLong(cmd[2]));
                            reply = "ok".getBytes(StandardCharsets.UTF_8);
                        }
                        case "touchpar" -> {
                            // cmd[1] threads each read every page of the mapping, in an order of their own;
                            // the reply is each page's CRC32 if every thread saw the same bytes, else "mismatch".
                            int threads = Integer.parseInt(cmd[1]);
                            int pages = (int) (mapping.length() / P);
                            long[][] crcs = new long[threads][pages];
                            Mapping mp = mapping;
                            List<Thread> ts = new ArrayList<>();
                            boolean[] faulted = new boolean[threads];
                            for (int t = 0; t < threads; t++) {
                                int tt = t;
                                ts.add(Thread.ofPlatform().start(() -> {
                                    List<Integer> order = new ArrayList<>();
                                    for (int i = 0; i < pages; i++) {
                                        order.add(i);
                                    }
                                    java.util.Collections.shuffle(order, new java.util.Random(tt));
                                    for (int i : order) {
                                        byte[] b = touch(mp, i);
                                        if (b == null) {
                                            faulted[tt] = true;
                                            return;
                                        }
                                        java.util.zip.CRC32 c = new java.util.zip.CRC32();
                                        c.update(b);
                                        crcs[tt][i] = c.getValue();
                                    }
                                }));
                            }
                            for (Thread t : ts) {
                                t.join();
                            }
                            StringBuilder sb = new StringBuilder();
                            boolean same = true;
                            for (int t = 0; t < threads; t++) {
                                same &= !faulted[t] && java.util.Arrays.equals(crcs[t], crcs[0]);
                            }
                            for (int i = 0; same && i < pages; i++) {
                                sb.append(i == 0 ? "" : " ").append(crcs[0][i]);
                            }
                            reply = (same ? sb.toString() : "mismatch").getBytes(StandardCharsets.UTF_8);
                        }
                        case "touch" -> {
                            byte[] b = touch(mapping, Long.parseLong(cmd[1]));
                            reply = b == null ? "fault".getBytes(StandardCharsets.UTF_8) : b;
                        }
                        case "poke" -> {
                            // A write of one byte at the start of a page, through the mapping.
                            long at = Long.parseLong(cmd[1]) * P;
                            try {
                                mapping.segment().set(ValueLayout.JAVA_BYTE, at, (byte) cmd[2].charAt(0));
                                Thread.holdsLock(PROBE);
                                reply = "ok".getBytes(StandardCharsets.UTF_8);
                            } catch (InternalError e) {
                                reply = "fault".getBytes(StandardCharsets.UTF_8);
                            }
                        }
                        case "kernelread" -> {
                            // The kernel writes into the mapping (pread of another VMO's file into it): a
                            // system call, not a user-mode touch, reaches the lazy page first.
                            long page = Long.parseLong(cmd[1]);
                            // Larger than 64 GiB: zxmem copies with pread/pwrite, never through a mapping.
                            try (Vmo src = Vmo.create(1L << 37)) {
                                src.write(new byte[] {'K', 'R'}, 0);
                                src.read(mapping.segment().asSlice(page * P, P), 0);
                            }
                            reply = touch(mapping, page);
                        }
                        case "rss" -> reply = ("" + rssKib(mapping.segment().address(), mapping.length()))
                                .getBytes(StandardCharsets.UTF_8);
                        case "touchclose" -> {
                            // One thread touches a page (its fault waits for the pager) while this one
                            // closes the mapping.
                            Mapping target = mapping;
                            long page = Long.parseLong(cmd[1]);
                            String[] seen = new String[1];
                            Thread t = new Thread(() -> {
                                try {
                                    byte[] b = touch(target, page);
                                    seen[0] = b == null ? "fault" : "" + b[0];
                                } catch (IllegalStateException e) {
                                    seen[0] = "closed"; // the segment's arena closed under the access
                                }
                            });
                            t.start();
                            Thread.sleep(300);
                            target.close();
                            mapping = null;
                            t.join();
                            reply = ("closed " + seen[0]).getBytes(StandardCharsets.UTF_8);
                        }
                        case "read" -> {
                            byte[] b = new byte[Integer.parseInt(cmd[2])];
                            vmo.read(b, Long.parseLong(cmd[1]));
                            reply = b;
                        }
                        case "map" -> {
                            mapping = vmo.map(Vmar.PERM_READ, Long.parseLong(cmd[1]), Long.parseLong(cmd[2]));
                            try {
                                reply = mapping.segment().toArray(ValueLayout.JAVA_BYTE);
                                Thread.holdsLock(PROBE);
                            } catch (InternalError e) {
                                reply = "fault".getBytes(StandardCharsets.UTF_8);
                            }
                        }
                        case "mapw" -> {
                            mapping = vmo.map(Vmar.PERM_READ | Vmar.PERM_WRITE, Long.parseLong(cmd[1]), Long.parseLong(cmd[2]));
                            for (long at = 0; at < mapping.length(); at += io.zxmem.Zx.pageSize()) {
                                mapping.segment().set(ValueLayout.JAVA_BYTE, at, (byte) 'W');
                            }
                            reply = "ok".getBytes(StandardCharsets.UTF_8);
                        }
                        case "unmap" -> {
                            mapping.close();
                            mapping = null;
                            reply = "ok".getBytes(StandardCharsets.UTF_8);
                        }
                        case "committed" -> reply = ("" + vmo.info().committedBytes()).getBytes(StandardCharsets.UTF_8);
                        case "exit" -> {
                            // Leaves without closing anything: the pager's process must notice by itself.
                            Runtime.getRuntime().halt(0);
                            return;
                        }
                        default -> reply = ("error unknown command " + cmd[0]).getBytes(StandardCharsets.UTF_8);
                    }
                } catch (ZxException e) {
                    reply = ("error " + e.status()).getBytes(StandardCharsets.UTF_8);
                }
                ch.write(reply);
            }
        }
    }
}
