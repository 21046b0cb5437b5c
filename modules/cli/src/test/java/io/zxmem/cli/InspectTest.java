package io.zxmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code zx inspect} against a real second JVM that opted in, and its errors. */
class InspectTest {

    @Test
    void showsTheTreeOfAnotherProcessThatOptedIn() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process target = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Dzxmem.inspect=true",
                "-cp", System.getProperty("java.class.path"), InspectTarget.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(target.getInputStream()));
            assertEquals("ready", r.readLine());
            Path svg = Files.createTempFile("zx-inspect", ".svg");
            Zx z = Zx.run("inspect", Long.toString(target.pid()), "--out", svg.toString());
            assertEquals(0, z.exit(), z.toString());
            assertTrue(z.out().startsWith("process " + target.pid() + ": 2 VMOs, 1 mappings"), z.toString());
            assertTrue(z.out().contains("\"target-a\" paged 32 KiB, committed 8 KiB"), z.toString());
            assertTrue(z.out().contains("handle rights READ|MAP"), z.toString());
            assertTrue(z.out().contains("handle rights default"), z.toString());
            assertTrue(z.out().matches("(?s).*mapping 0x[0-9a-f]+ \\+32 KiB rw- at vmo offset 0x0.*"), z.toString());
            assertTrue(z.out().contains("\"target-sparse\" paged 32 TiB, committed 0 B"), z.toString());
            String picture = Files.readString(svg);
            assertTrue(picture.startsWith("<svg") && picture.contains("target-sparse") && picture.trim().endsWith("</svg>"),
                    picture);
            Files.delete(svg);
        } finally {
            target.getOutputStream().close();
            assertTrue(target.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, target.exitValue());
        }
    }

    @Test
    void demoShowsAnExampleTree() throws Exception {
        Zx z = Zx.run("inspect", "--demo");
        assertEquals(0, z.exit(), z.toString());
        assertTrue(z.out().contains("\"sparse-1TiB\" paged 1 TiB, committed 4 KiB [resizable]"), z.toString());
        assertTrue(z.out().contains("[discardable]"), z.toString());
    }

    @Test
    void aProcessThatDidNotOptInIsAClearError() throws Exception {
        Zx z = Zx.run("inspect", Long.toString(ProcessHandle.current().pid()));
        assertEquals(1, z.exit(), z.toString());
        assertTrue(z.err().contains("has not opted in") && z.err().contains("-Dzxmem.inspect=true"), z.toString());
    }

    @Test
    void aMissingProcessIsNotFound() throws Exception {
        Zx z = Zx.run("inspect", "999999999");
        assertEquals(1, z.exit(), z.toString());
        assertTrue(z.err().contains("ERR_NOT_FOUND") && z.err().contains("no such process"), z.toString());
    }

    @Test
    void wrongArgumentsAreUsageErrors() throws Exception {
        for (String[] args : new String[][] {{"inspect", "--out"}, {"inspect", "--out", "x.png", "--demo"},
                {"inspect", "--bogus"}, {"inspect", "--demo", "12"}}) {
            Zx z = Zx.run(args);
            assertEquals(2, z.exit(), z.toString());
            assertEquals(2, z.err().lines().count(), z.toString());
            assertTrue(z.err().lines().skip(1).findFirst().orElse("").startsWith("usage: zx inspect"), z.toString());
        }
    }
}
