package io.zxmem;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link TestChild} in a new JVM: the same java, the same module path (with the test classes
 * patched into module io.zxmem, as surefire does) and class path, plus the given JVM flags.
 */
final class ChildJvm {
    /** What a finished child printed (stdout and stderr together) and its exit code. */
    record Result(int exit, String output) {
        List<String> lines() {
            return output.lines().toList();
        }
    }

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();
    private final Thread pump;

    private ChildJvm(Process p) {
        this.process = p;
        this.pump = Thread.ofPlatform().daemon().name("child-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null;) {
                    synchronized (all) {
                        all.append(l).append('\n');
                    }
                    lines.add(l);
                }
            } catch (IOException e) {
                lines.add("child-output: " + e);
            }
        });
    }

    static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The command line running {@code TestChild args} with {@code jvmFlags}. */
    static List<String> command(List<String> jvmFlags, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(jvmFlags);
        String modulePath = System.getProperty("jdk.module.path");
        String classPath = System.getProperty("java.class.path");
        if (modulePath != null && !modulePath.isEmpty()) {
            Path testClasses;
            try {
                testClasses = Path.of(TestChild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
            cmd.addAll(List.of("-p", modulePath, "--patch-module", "io.zxmem=" + testClasses,
                    "--add-modules", "io.zxmem", "-cp", classPath, "-m", "io.zxmem/" + TestChild.class.getName()));
        } else {
            cmd.addAll(List.of("-cp", classPath, TestChild.class.getName()));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts the child; {@code wrapper} (such as {@code sh -c '...'}) may run before it. */
    static ChildJvm start(List<String> command) {
        try {
            return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the child to its end (killing it after {@code timeout}). */
    static Result run(Duration timeout, List<String> jvmFlags, String... args) throws InterruptedException {
        ChildJvm c = start(command(jvmFlags, args));
        return c.await(timeout);
    }

    /** @return the next line the child prints that starts with {@code prefix}, or null after {@code timeout} */
    String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String l = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (l == null) {
                return null;
            }
            if (l.startsWith(prefix)) {
                return l;
            }
        }
    }

    Result await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            pump.join(5000);
            return new Result(-1, output() + "\n[killed after " + timeout + "]");
        }
        pump.join(5000);
        return new Result(process.exitValue(), output());
    }

    String output() {
        synchronized (all) {
            return all.toString();
        }
    }

    void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
