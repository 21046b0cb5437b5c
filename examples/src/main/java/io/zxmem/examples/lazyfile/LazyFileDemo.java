package io.zxmem.examples.lazyfile;

import io.zxmem.Channel;
import io.zxmem.ChannelServer;
import io.zxmem.Status;
import io.zxmem.ZxException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-GiB sparse file, served page by page by a pager in this JVM to a client in another JVM
 * that touches three pages: the client's memory is those pages only. Run:
 * {@code java --enable-native-access=ALL-UNNAMED -cp $CP io.zxmem.examples.lazyfile.LazyFileDemo [GiB]}
 */
public final class LazyFileDemo {
    private LazyFileDemo() {}

    /** The offsets the client reads, each with a marker written into the file there. */
    static final long[] OFFSETS = {0, 1L << 30, (3L << 30) + 12345};

    static String marker(long at) {
        return "page@" + at;
    }

    /** Makes the file, serves it to a client JVM, and returns the client's output followed by the server's line. */
    public static String run(long gib) throws Exception {
        Path dir = Files.createTempDirectory("zxmem-lazyfile");
        Path file = dir.resolve("big.bin");
        Path socket = dir.resolve("lazy.sock");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(gib << 30);
            for (long at : OFFSETS) {
                f.seek(at);
                f.write(marker(at).getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        StringBuilder out = new StringBuilder();
        try (LazyFileServer s = new LazyFileServer(file); ChannelServer server = Channel.listen(socket)) {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "--enable-native-access=ALL-UNNAMED", "-cp", classPath(), LazyFileClient.class.getName(), socket.toString()));
            for (long at : OFFSETS) {
                cmd.add(Long.toString(at));
            }
            Path log = dir.resolve("client.log");
            Process client = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try (Channel ch = server.accept(Duration.ofSeconds(60))) {
                s.give(ch);
                while (client.isAlive()) {
                    s.serveOne(Duration.ofMillis(100));
                }
                while (s.serveOne(Duration.ZERO)) {
                    // nothing should be left; answer it if something is
                }
            } catch (ZxException e) {
                if (e.status() != Status.ERR_PEER_CLOSED) {
                    throw e;
                }
            } finally {
                client.destroy();
                client.waitFor();
                out.append(Files.readString(log));
            }
            out.append("server: read ").append(s.pagesServed()).append(" pages of a ").append(gib).append(" GiB file\n");
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir.resolve("client.log"));
            Files.deleteIfExists(dir);
        }
        return out.toString();
    }

    static String classPath() throws IOException {
        List<String> parts = new ArrayList<>();
        try {
            parts.add(Path.of(LazyFileDemo.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        } catch (Exception e) {
            // no code source: the class path below has to do
        }
        for (String property : new String[] {"java.class.path", "jdk.module.path"}) {
            String value = System.getProperty(property);
            if (value != null) {
                for (String p : value.split(File.pathSeparator)) {
                    if (!p.isBlank() && !parts.contains(p)) {
                        parts.add(p);
                    }
                }
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    public static void main(String[] args) throws Exception {
        System.out.print(run(args.length > 0 ? Long.parseLong(args[0]) : 4));
    }
}
