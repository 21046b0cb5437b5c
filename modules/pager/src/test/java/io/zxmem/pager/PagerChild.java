package io.zxmem.pager;

import io.zxmem.Channel;
import io.zxmem.Mapping;
import io.zxmem.Message;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.ZxException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The other JVM of {@link PagerCrossProcessTest}: holds a pager VMO it received and touches it on
 * command, one message each, answering each with one message (the bytes it saw, {@code ok}, or
 * {@code error STATUS}).
 */
public final class PagerChild {
    private PagerChild() {}

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
                        case "read" -> {
                            byte[] b = new byte[Integer.parseInt(cmd[2])];
                            vmo.read(b, Long.parseLong(cmd[1]));
                            reply = b;
                        }
                        case "map" -> {
                            mapping = vmo.map(Vmar.PERM_READ, Long.parseLong(cmd[1]), Long.parseLong(cmd[2]));
                            reply = mapping.segment().toArray(ValueLayout.JAVA_BYTE);
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
