package io.zxmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench/report.py pairs zx_ results with their C and Java baselines and computes the ratios. */
class ReportTest {
    private static final String RESULTS = """
            [
              {"benchmark": "io.zxmem.bench.CreateMapBench.zx_cycle", "mode": "avgt", "params": {"size": "4096"},
               "primaryMetric": {"score": 6.0, "scoreError": 0.6, "scoreUnit": "us/op"}},
              {"benchmark": "io.zxmem.bench.CreateMapBench.zx_cycle_touch", "mode": "avgt", "params": {"size": "4096"},
               "primaryMetric": {"score": 11.0, "scoreError": "NaN", "scoreUnit": "us/op"}},
              {"benchmark": "io.zxmem.bench.CreateMapBench.c_cycle", "mode": "avgt", "params": {"size": "4096"},
               "primaryMetric": {"score": 5.0, "scoreError": 0.5, "scoreUnit": "us/op"}},
              {"benchmark": "io.zxmem.bench.CreateMapBench.c_cycle_touch", "mode": "avgt", "params": {"size": "4096"},
               "primaryMetric": {"score": 5.5, "scoreError": 0.1, "scoreUnit": "us/op"}},
              {"benchmark": "io.zxmem.bench.CreateMapBench.java_cycle_arena", "mode": "avgt", "params": {"size": "4096"},
               "primaryMetric": {"score": 3000.0, "scoreError": 0.0, "scoreUnit": "ns/op"}},
              {"benchmark": "io.zxmem.bench.CreateMapBench.c_cycle", "mode": "avgt", "params": {"size": "65536"},
               "primaryMetric": {"score": 1.0, "scoreError": 0.0, "scoreUnit": "us/op"}}
            ]
            """;

    private static String run(Path script, Path json, String... extra) throws IOException, InterruptedException {
        var cmd = new java.util.ArrayList<>(java.util.List.of("python3", script.toString(), json.toString()));
        cmd.addAll(java.util.List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static boolean python3() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void pairsAndRatios(@TempDir Path dir) throws Exception {
        assumeTrue(python3(), "python3 is not installed");
        Path script = Path.of("report.py").toAbsolutePath();
        Path json = dir.resolve("r.json");
        Files.writeString(json, RESULTS);

        String md = run(script, json);
        // zx_cycle: 6.0 / 5.0 = 1.20x, error sqrt(0.1^2 + 0.1^2) * 1.2 = 0.17, meets a 1.2 goal.
        assertTrue(md.contains("| CreateMapBench.zx_cycle | size=4 KiB | 6.00 us/op | c_cycle | 5.00 us/op | 1.20x ±0.17 | yes |"), md);
        // zx_cycle_touch pairs with the variant's own baseline, c_cycle_touch: 2.00x, error unknown.
        assertTrue(md.contains("| c_cycle_touch | 5.50 us/op | 2.00x | **no** |"), md);
        // Java alternatives compare across units (3000 ns = 3 us).
        assertTrue(md.contains("java_cycle_arena: 2.00x ±0.20"), md);
        // A C result without a zx counterpart (size=64 KiB) is in the raw table only.
        assertTrue(md.contains("| CreateMapBench.c_cycle | size=64 KiB | 1.00 |"), md);

        String js = run(script, json, "--format", "json", "--goal", "2.5");
        assertTrue(js.contains("\"meets_goal\": true"), js);
        assertTrue(!js.contains("\"meets_goal\": false"), js);
    }
}
