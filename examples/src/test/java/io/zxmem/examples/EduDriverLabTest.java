package io.zxmem.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link EduDriver} on the lab's edu device (one guest boot, edu bound to vfio-pci) and checks what
 * it printed. Fails, never skips, when the lab cannot run.
 */
@Tag("lab")
class EduDriverLabTest {
    @Test
    void drivesTheEduDeviceThroughVfio() throws Exception {
        Path root = Path.of(System.getProperty("zx.root", "..")).toAbsolutePath().normalize();
        String cp = Stream.of("modules/linux/target/classes", "modules/core/target/classes",
                "modules/physical/target/classes", "examples/target/classes")
                .map(p -> root.resolve(p).toString()).collect(Collectors.joining(":"));
        Process p = new ProcessBuilder(root.resolve("lab/lab.sh").toString(), "run", "--bind", "edu=vfio-pci",
                "--timeout", "300", "--", "java", "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", cp, EduDriver.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(360, TimeUnit.SECONDS), "lab.sh hangs");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("backend: vfio"), out);
        assertTrue(out.contains("id: 0x010000ed"), out);
        assertTrue(out.contains("alive: true"), out);
        assertTrue(out.contains("10! = 3628800"), out);
        assertTrue(out.contains("interrupt (vfio-msi): status 0xcafe"), out);
        assertTrue(out.contains("dma: round trip ok: hello from zxmem"), out);
    }
}
