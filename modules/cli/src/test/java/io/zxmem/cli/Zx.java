package io.zxmem.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code zx} as a user would: a separate JVM process, its output and exit status captured. */
record Zx(int exit, String out, String err) {

    static Zx withInput(String stdin, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path in = Files.createTempFile("zx-stdin", ".txt");
        Path out = Files.createTempFile("zx-out", ".txt");
        Path err = Files.createTempFile("zx-err", ".txt");
        try {
            Files.writeString(in, stdin == null ? "" : stdin);
            Process p = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("zx " + String.join(" ", args) + " did not finish in 180 s");
            }
            return new Zx(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static Zx run(String... args) throws IOException, InterruptedException {
        return withInput(null, args);
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
