package io.zxmem.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code zx bench}: runs the JMH suite ({@code bench/run.sh}), shows its progress, prints the table
 * of zxmem against the C baselines and the Java alternatives ({@code bench/report.py}), and draws
 * latency against size for each benchmark family into {@code bench/results/}.
 */
final class Bench implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String synopsis() {
        return "[--quick] [--from RESULTS.json] [-- JMH-ARGS...]";
    }

    @Override
    public String summary() {
        return "run the JMH benchmarks; table of ratios to C and Java, PNG plots in bench/results/";
    }

    @Override
    public String help() {
        return """
                Runs the JMH suite in bench/ (building it first if needed), one progress line per
                benchmark, then prints zxmem's times as ratios to the same system calls from C and to
                what a Java user would pick instead (Arena, ByteBuffer.allocateDirect, MemorySegment.copy),
                and draws one PNG per benchmark family (time per op against size, log-log) into
                bench/results/, also copied to bench/results/latest-FAMILY.png (what README.md shows).

                  --quick          fewer, shorter iterations (a rough picture in a few minutes)
                  --from FILE      no run: report and plot an existing JMH JSON result file
                  -- JMH-ARGS      passed to JMH, e.g. -- CreateMap to run one family""";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        boolean quick = false;
        Path from = null;
        List<String> jmh = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--from" -> {
                    if (++i >= args.length) {
                        throw new UsageException("--from needs a JMH JSON result file");
                    }
                    from = Path.of(args[i]);
                    if (!Files.isRegularFile(from)) {
                        throw new UsageException("no such file: " + args[i]);
                    }
                }
                case "--" -> {
                    jmh.addAll(List.of(args).subList(i + 1, args.length));
                    i = args.length;
                }
                default -> throw new UsageException("unexpected argument '" + args[i] + "'");
            }
        }
        if (from != null && (quick || !jmh.isEmpty())) {
            throw new UsageException("--from reports an existing run; it takes no --quick or JMH arguments");
        }
        Path root = root();
        Path results = root.resolve("bench/results");
        if (from == null) {
            Path runner = root.resolve("bench/run.sh");
            if (!Files.isExecutable(runner)) {
                err.println("zx bench: no benchmark runner at " + runner);
                return 1;
            }
            Files.createDirectories(results);
            long started = System.currentTimeMillis();
            List<String> cmd = new ArrayList<>(List.of(runner.toString()));
            if (quick) {
                cmd.add("--quick");
            }
            cmd.addAll(jmh);
            int rc = runWithProgress(cmd, root, out);
            if (rc != 0) {
                err.println("zx bench: the benchmark run failed (exit " + rc + ")");
                return 1;
            }
            from = newestJson(results, started);
            if (from == null) {
                err.println("zx bench: the run wrote no JSON result into " + results);
                return 1;
            }
        }
        int rc = table(root, from, out, err);
        for (Path png : plots(from, results)) {
            out.println("plot: " + root.relativize(png.toAbsolutePath()));
        }
        return rc;
    }

    /** The repository: ZX_ROOT from the launcher, else three levels above modules/cli/target/zxmem-cli.jar. */
    static Path root() throws URISyntaxException {
        String env = System.getenv("ZX_ROOT");
        if (env != null && !env.isEmpty()) {
            return Path.of(env).toAbsolutePath();
        }
        Path p = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        for (Path d = p; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("zx")) && Files.isDirectory(d.resolve("bench"))) {
                return d;
            }
        }
        return Path.of("").toAbsolutePath();
    }

    /** Runs JMH, printing one line per benchmark with JMH's own progress estimate instead of its chatter. */
    private static int runWithProgress(List<String> cmd, Path root, PrintStream out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true).start();
        Path log = Files.createTempFile("zx-bench", ".log");
        String progress = "";
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Files.writeString(log, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
                if (line.startsWith("# Run progress:")) {
                    progress = line.substring("# Run progress:".length()).trim();
                } else if (line.startsWith("# Benchmark:")) {
                    out.println("[" + progress + "] " + line.substring("# Benchmark:".length()).trim()
                            .replace("io.zxmem.bench.", ""));
                } else if (line.startsWith("# Parameters:")) {
                    out.println("      " + line.substring(2));
                } else if (line.startsWith("Result \"") || line.contains("ERROR") || line.contains("Exception")) {
                    out.println("      " + line.trim());
                }
            }
        }
        int rc = p.waitFor();
        out.println("full JMH output: " + log);
        return rc;
    }

    private static Path newestJson(Path dir, long since) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.toString().endsWith(".json") && !f.toString().endsWith(".meta.json"))
                    .filter(f -> f.toFile().lastModified() >= since - 1000)
                    .max(Comparator.comparingLong(f -> f.toFile().lastModified())).orElse(null);
        }
    }

    private static int table(Path root, Path json, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        Path report = root.resolve("bench/report.py");
        if (!Files.isRegularFile(report)) {
            err.println("zx bench: no bench/report.py to print the table with");
            return 1;
        }
        Process p = new ProcessBuilder("python3", report.toString(), json.toString()).redirectErrorStream(true).start();
        out.write(p.getInputStream().readAllBytes());
        out.flush();
        return p.waitFor() == 0 ? 0 : 1;
    }

    /** Draws one PNG per benchmark class that has a size parameter. @return the files written */
    @SuppressWarnings("unchecked")
    static List<Path> plots(Path json, Path dir) throws IOException {
        List<Object> runs = (List<Object>) Json.parse(Files.readString(json));
        Map<String, List<Plot.Point>> families = new LinkedHashMap<>();
        for (Object o : runs) {
            Map<String, Object> r = (Map<String, Object>) o;
            String bench = (String) r.get("benchmark");
            String family = bench.substring(0, bench.lastIndexOf('.'));
            family = family.substring(family.lastIndexOf('.') + 1);
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            Map<String, Object> params = (Map<String, Object>) r.getOrDefault("params", Map.of());
            Object size = params.get("size");
            if (size == null) {
                continue;
            }
            StringBuilder label = new StringBuilder(method);
            params.forEach((k, v) -> {
                if (!k.equals("size")) {
                    label.append(' ').append(k).append('=').append(v);
                }
            });
            Map<String, Object> metric = (Map<String, Object>) r.get("primaryMetric");
            double nanos = toNanos(((Number) metric.get("score")).doubleValue(), (String) metric.get("scoreUnit"));
            families.computeIfAbsent(family, k -> new ArrayList<>())
                    .add(new Plot.Point(label.toString(), Double.parseDouble(size.toString()), nanos));
        }
        String stamp = json.getFileName().toString().replaceAll("\\.json$", "");
        List<Path> written = new ArrayList<>();
        Files.createDirectories(dir);
        for (Map.Entry<String, List<Plot.Point>> f : families.entrySet()) {
            Path png = dir.resolve(stamp + "-" + f.getKey() + ".png");
            Plot.draw(f.getKey() + ": time per operation against size (" + stamp + ")", f.getValue(), png);
            Files.copy(png, dir.resolve("latest-" + f.getKey() + ".png"), StandardCopyOption.REPLACE_EXISTING);
            written.add(png);
        }
        return written;
    }

    private static double toNanos(double v, String unit) {
        String u = unit.substring(0, unit.indexOf('/'));
        return switch (u) {
            case "s" -> v * 1e9;
            case "ms" -> v * 1e6;
            case "us" -> v * 1e3;
            default -> v;
        };
    }
}
