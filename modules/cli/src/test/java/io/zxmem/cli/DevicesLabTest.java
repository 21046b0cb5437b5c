package io.zxmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code zx lspci / bars / peek / poke} as a user runs them, each a real JVM process, inside the
 * device lab (lab/lab.sh: a QEMU guest with the edu device at 0000:00:10.0), first through the sysfs
 * backend, then with edu bound to vfio-pci. One guest boot for all of them. Fails, never skips, when
 * the lab cannot run.
 */
@Tag("lab")
class DevicesLabTest {
    private static final String EDU = "0000:00:10.0";

    /** Name, zx arguments (or a shell line starting with '!'). */
    private static final String[][] STEPS = {
        {"lspci", "lspci"},
        {"bars", "bars " + EDU},
        {"peek-id", "peek " + EDU + " 0 0"},
        {"poke-liveness", "poke " + EDU + " 0 4 0x12345678"},
        {"peek-liveness", "peek " + EDU + " 0 0x4"},
        {"peek-out-of-range", "peek " + EDU + " 0 0x100000"},
        {"bind-vfio", "!\"$ZXMEM_LAB_BIND_SH\" " + EDU + " vfio-pci"},
        {"peek-id-vfio", "peek 00:10.0 0 0 --width 32"},
    };

    @TestFactory
    Stream<DynamicTest> deviceCommandsOnTheEduDevice() throws Exception {
        Path root = Path.of(System.getProperty("zx.root", "../..")).toAbsolutePath().normalize();
        String zx = "java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData"
                + " -cp " + System.getProperty("java.class.path") + " " + Main.class.getName();
        StringBuilder script = new StringBuilder();
        for (String[] s : STEPS) {
            script.append("echo '### ").append(s[0]).append("'; ");
            script.append(s[1].startsWith("!") ? s[1].substring(1) : zx + " " + s[1]).append(" 2>&1; ");
            script.append("echo \"### rc=$?\"; ");
        }
        ProcessBuilder pb = new ProcessBuilder(root.resolve("lab/lab.sh").toString(), "run", "--timeout", "400",
                "--", script.toString()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(460, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("lab.sh did not return in 460 s");
        }
        Map<String, String[]> results = new LinkedHashMap<>();
        String name = null;
        StringBuilder body = new StringBuilder();
        for (String line : out.split("\n")) {
            if (line.startsWith("### rc=") && name != null) {
                results.put(name, new String[] {body.toString(), line.substring(7).trim()});
                name = null;
            } else if (line.startsWith("### ")) {
                name = line.substring(4).trim();
                body.setLength(0);
            } else if (name != null) {
                body.append(line).append('\n');
            }
        }
        String all = out;
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("every step ran", () -> assertEquals(STEPS.length, results.size(),
                "lab.sh exit " + p.exitValue() + ", output:\n" + all)));
        check(tests, results, "lspci", 0, "0000:00:10.0  1234:11e8");
        check(tests, results, "bars", 0, "BAR0  0x");
        check(tests, results, "peek-id", 0, EDU + " BAR0+0x0 (sysfs) = 0x010000ed");
        check(tests, results, "poke-liveness", 0, EDU + " BAR0+0x4 (sysfs) <- 0x12345678");
        // edu's liveness register returns the inverse of what was written: the write reached the device.
        check(tests, results, "peek-liveness", 0, EDU + " BAR0+0x4 (sysfs) = 0xedcba987");
        check(tests, results, "peek-out-of-range", 1, "ERR_OUT_OF_RANGE");
        check(tests, results, "bind-vfio", 0, "");
        check(tests, results, "peek-id-vfio", 0, EDU + " BAR0+0x0 (vfio) = 0x010000ed");
        return tests.stream();
    }

    private static void check(List<DynamicTest> tests, Map<String, String[]> results, String step, int rc, String expected) {
        tests.add(DynamicTest.dynamicTest(step, () -> {
            String[] r = results.get(step);
            assertTrue(r != null, step + " did not run");
            assertEquals(Integer.toString(rc), r[1], step + " exit status; output:\n" + r[0]);
            assertTrue(r[0].contains(expected), step + ": expected '" + expected + "' in:\n" + r[0]);
        }));
    }
}
