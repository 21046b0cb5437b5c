package io.zxmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** {@code zx bench}: plots and argument handling (the JMH run itself is exercised by bench/run.sh). */
class BenchTest {
    private static Path sample() throws Exception {
        return Path.of(BenchTest.class.getResource("/jmh-sample.json").toURI());
    }

    @Test
    void readsJmhJson() throws Exception {
        Object o = Json.parse("{\"a\": [1, 2.5e3, \"x\\\"y\", true, null], \"b\": {}}");
        assertEquals(Map.of("a", java.util.Arrays.asList(1.0, 2500.0, "x\"y", true, null), "b", Map.of()), o);
    }

    @Test
    void drawsOnePlotPerFamilyWithASizeParameter() throws Exception {
        Path dir = Files.createTempDirectory("zx-plots");
        List<Path> pngs = Bench.plots(sample(), dir);
        assertEquals(List.of(dir.resolve("jmh-sample-CreateMapBench.png")), pngs);
        BufferedImage img = ImageIO.read(pngs.get(0).toFile());
        assertEquals(900, img.getWidth());
        // Something was drawn in each series' colour, not only the white background.
        int coloured = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                int r = rgb >> 16;
                int g = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 80) {
                    coloured++;
                }
            }
        }
        assertTrue(coloured > 200, "too few coloured pixels: " + coloured);
        assertTrue(Files.exists(dir.resolve("latest-CreateMapBench.png")));
    }

    @Test
    void wrongArgumentsAreUsageErrors() throws Exception {
        for (String[] args : new String[][] {{"bench", "--from"}, {"bench", "--from", "/nonexistent.json"},
                {"bench", "--slow"}, {"bench", "--from", sample().toString(), "--quick"}}) {
            Zx z = Zx.run(args);
            assertEquals(2, z.exit(), z.toString());
            assertTrue(z.err().lines().skip(1).findFirst().orElse("").startsWith("usage: zx bench"), z.toString());
        }
    }
}
