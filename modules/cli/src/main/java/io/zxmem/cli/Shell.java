package io.zxmem.cli;

import java.io.File;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code zx shell}: jshell with zxmem on the class path, native access granted to the execution JVM,
 * and the imports a driver prototyper wants already made.
 */
final class Shell implements Command {
    static final String STARTUP = """
            import io.zxmem.*;
            import java.lang.foreign.*;
            import java.time.Duration;
            import static java.lang.foreign.ValueLayout.*;
            long P = Zx.pageSize();
            """;

    @Override
    public String name() {
        return "shell";
    }

    @Override
    public String synopsis() {
        return "[JSHELL-ARGS...]";
    }

    @Override
    public String summary() {
        return "jshell with zxmem loaded, native access on and io.zxmem.* imported";
    }

    @Override
    public String help() {
        return """
                Starts jshell with zxmem on the class path. The execution JVM runs with
                --enable-native-access=ALL-UNNAMED, and these lines ran at start-up:

                """ + STARTUP.indent(2) + """

                Try:  var v = Vmo.create(P); var m = v.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, P);
                      m.segment().set(JAVA_INT, 0, 42); v.info()
                Extra arguments go to jshell as they are (e.g. a script file to run).""";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        if (!Files.isExecutable(jshell)) {
            err.println("zx shell: no jshell in " + jshell.getParent() + "; it needs a full JDK, not a JRE");
            return 1;
        }
        Path startup = Files.createTempFile("zxmem-shell", ".jsh");
        startup.toFile().deleteOnExit();
        Files.writeString(startup, STARTUP);
        List<String> cmd = new ArrayList<>(List.of(jshell.toString(),
                "--class-path", classPath(),
                "-R--enable-native-access=ALL-UNNAMED",
                "--startup", "DEFAULT", "--startup", startup.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    /** Where zxmem's classes come from: the zx jar, or this JVM's class path. */
    private static String classPath() throws URISyntaxException {
        var src = Shell.class.getProtectionDomain().getCodeSource();
        if (src != null && src.getLocation().getPath().endsWith(".jar")) {
            return Path.of(src.getLocation().toURI()).toString();
        }
        return System.getProperty("java.class.path") + File.pathSeparator + System.getProperty("jdk.module.path", "");
    }
}
