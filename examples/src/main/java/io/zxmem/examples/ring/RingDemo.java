package io.zxmem.examples.ring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    public static String run(long records, int bytes) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("zxmem-ring");
        Path socket = dir.resolve("ring.sock");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process consumer = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RingConsumer.class.getName(), socket.toString())
                .inheritIO().start();
        try {
            return RingProducer.run(socket, records, bytes);
        } finally {
            if (consumer.waitFor() != 0) {
                System.err.println("the consumer exited with " + consumer.exitValue());
            }
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }
}
