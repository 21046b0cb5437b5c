/*
 * LabRun.java - how a host-side test (JUnit or anything else) runs a JVM inside
 * the lab guest and collects its results. Plain JDK, no dependencies: copy the
 * method into a test support class. See lab/README.md, "Contract".
 *
 * Demo (from the repository root, after compiling a class Main into DIR):
 *   java lab/examples/LabRun.java DIR Main arg1 arg2
 */
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

public final class LabRun {

    /** exitCode: the guest JVM's, or 124 timeout, 125 guest died, 2 lab setup error. */
    public record Result(int exitCode, String stdout, String stderr, Path outDir) {}

    /**
     * Boots the guest once and runs {@code java [jvmArgs] main [args]} in it as root,
     * in this process's working directory. {@code outDir} is shared writable at the
     * same path (the guest sees it as $ZXMEM_LAB_OUT): write result files there.
     * Paths in jvmArgs (classpath, module path) are host paths: the guest sees
     * the host's / read-only at the same paths.
     */
    public static Result java(Path labSh, Path outDir, Duration timeout, List<String> labOptions,
                              List<String> jvmArgs, String main, String... args)
            throws IOException, InterruptedException {
        Files.createDirectories(outDir);
        List<String> cmd = new ArrayList<>(List.of(labSh.toString(), "java",
                "--out", outDir.toAbsolutePath().toString(),
                "--timeout", Long.toString(timeout.toSeconds())));
        cmd.addAll(labOptions);                  // e.g. "--bind", "edu=vfio-pci"
        cmd.addAll(jvmArgs);
        cmd.add("--");
        cmd.add(main);
        cmd.addAll(List.of(args));
        // files, not pipes: the output arrives in one burst after power-off, and
        // files cannot fill up and block lab.sh
        Path stdout = outDir.resolve("lab.stdout"), stderr = outDir.resolve("lab.stderr");
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        // lab.sh enforces --timeout itself (exit 124); this is only a safety net.
        // destroy() sends SIGTERM: lab.sh then kills QEMU by its PID (exit 143).
        // Even destroyForcibly() leaves no QEMU behind (parent-death signal).
        if (!p.waitFor(timeout.toSeconds() + 60, TimeUnit.SECONDS)) {
            p.destroy();
            if (!p.waitFor(15, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        return new Result(p.exitValue(), Files.readString(stdout), Files.readString(stderr), outDir);
    }

    public static void main(String[] a) throws Exception {
        Path lab = Path.of("lab/lab.sh").toAbsolutePath();
        Path out = Files.createTempDirectory("zxmem-lab-out");
        Result r = java(lab, out, Duration.ofSeconds(120), List.of(),
                List.of("-cp", Path.of(a[0]).toAbsolutePath().toString()), a[1],
                List.of(a).subList(2, a.length).toArray(String[]::new));
        System.out.println("exit " + r.exitCode());
        System.out.print("stdout: " + r.stdout());
        System.out.print("stderr: " + r.stderr());
        try (var files = Files.list(out)) {
            files.forEach(f -> System.out.println("out file: " + f.getFileName()));
        }
    }
}
