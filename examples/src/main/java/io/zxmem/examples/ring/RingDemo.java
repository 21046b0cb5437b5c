package io.zxmem.examples.ring;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs both sides: starts a {@link RingConsumer} in a second JVM (the same java, the same class
 * path) and runs the {@link RingProducer} here.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... io.zxmem.examples.ring.RingDemo [RECORDS [BYTES]]</pre>
 */
public final class RingDemo {
    private RingDemo() {}

    public static void main(String[] args) throws Exception {
        long records = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000;
        int bytes = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        System.out.println(run(records, bytes));
    }

    /**
     * This JVM's code as one class path for the consumer: its class path and module path (where a
     * test runner puts the modules), and the examples themselves.
     */
    static String classPath() {
        List<String> parts = new ArrayList<>();
        try {
            parts.add(Path.of(RingConsumer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        } catch (URISyntaxException | NullPointerException e) {
            // No code source (a custom runtime image): the class path below has to do.
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

    public static String run(long records, int bytes) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("zxmem-ring");
        Path socket = dir.resolve("ring.sock");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process consumer = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath(), RingConsumer.class.getName(), socket.toString())
                .inheritIO().start();
        try {
            return RingProducer.run(socket, records, bytes, consumer::isAlive);
        } finally {
            if (consumer.waitFor() != 0) {
                System.err.println("the consumer exited with " + consumer.exitValue());
            }
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }
}
