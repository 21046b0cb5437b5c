package io.zxmem.share;

import io.zxmem.Channel;
import io.zxmem.Handle;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.Zx;
import io.zxmem.ZxException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The other process of {@link CrossProcessTest}: connects to the test's channel server and obeys
 * commands, one message each, answering each with one message. Runs in its own JVM.
 */
public final class ShareChild {
    private ShareChild() {}

    private static Vmo held;
    private static Mapping heldMapping;

    public static void main(String[] args) throws Exception {
        try (Channel ch = Channel.connect(Path.of(args[0]))) {
            while (true) {
                Set<Integer> before = Fds.open();
                Message m;
                try {
                    m = ch.read(Duration.ofSeconds(60));
                } catch (ZxException e) {
                    System.err.println("child: " + e.getMessage());
                    return;
                }
                String[] cmd = new String(m.data(), StandardCharsets.UTF_8).split(" ", 3);
                String reply;
                Handle[] back = new Handle[0];
                switch (cmd[0]) {
                    case "write-mapped" -> {
                        try (Vmo v = m.handle(0, Vmo.class); Mapping map = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, v.size())) {
                            byte[] b = cmd[2].getBytes(StandardCharsets.UTF_8);
                            MemorySegment.copy(b, 0, map.segment(), ValueLayout.JAVA_BYTE, Long.parseLong(cmd[1]), b.length);
                        }
                        reply = "ok";
                    }
                    case "hold" -> {
                        held = m.handle(0, Vmo.class);
                        heldMapping = held.map(Vmar.PERM_READ, 0, held.size());
                        reply = "held rights=" + held.rights();
                    }
                    case "peek" -> {
                        byte[] b = new byte[Integer.parseInt(cmd[2])];
                        MemorySegment.copy(heldMapping.segment(), ValueLayout.JAVA_BYTE, Long.parseLong(cmd[1]), b, 0, b.length);
                        reply = new String(b, StandardCharsets.UTF_8);
                    }
                    case "attack" -> {
                        Vmo v = m.handle(0, Vmo.class);
                        int fd = Fds.newMemfd(before);
                        StringBuilder r = new StringBuilder();
                        r.append("rights=").append(v.rights()).append('\n');
                        r.append("zx-write=").append(status(() -> v.write(new byte[] {1}, 0))).append('\n');
                        r.append("zx-map-write=").append(status(() -> v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, v.size()).close())).append('\n');
                        r.append("zx-set-size=").append(status(() -> v.setSize(8 * Zx.pageSize()))).append('\n');
                        for (Map.Entry<String, String> e : RawAttempts.writeAttempts(fd, Zx.pageSize()).entrySet()) {
                            r.append(e.getKey()).append('=').append(e.getValue()).append('\n');
                        }
                        byte[] first = new byte[6];
                        v.read(first, 0);
                        r.append("content=").append(new String(first, StandardCharsets.UTF_8)).append('\n');
                        v.close();
                        reply = r.toString();
                    }
                    case "echo" -> {
                        back = m.handles().toArray(new Handle[0]);
                        reply = "echo";
                    }
                    case "fds" -> reply = Integer.toString(Fds.count());
                    case "exit" -> {
                        ch.write("bye".getBytes(StandardCharsets.UTF_8));
                        return;
                    }
                    default -> reply = "unknown command " + cmd[0];
                }
                ch.write(reply.getBytes(StandardCharsets.UTF_8), back);
            }
        }
    }

    private static String status(Runnable r) {
        try {
            r.run();
            return "ok";
        } catch (ZxException e) {
            return e.status().name();
        }
    }
}
