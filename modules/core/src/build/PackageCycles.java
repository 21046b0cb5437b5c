import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;

/**
 * Checks that core's packages form no cycle, from {@code jdeps -verbose:class} on the built jar.
 *
 * <p>Run from the repository root after {@code mvn install -DskipTests}:
 * {@code java modules/core/src/build/PackageCycles.java modules/core/target modules/linux/target}
 * (a directory stands for the one jar in it without a classifier such as {@code -sources}).
 *
 * <p>The public package {@code io.zxmem} holds two layers: the handles (Vmo, Channel, ...), which call
 * down into the VM objects, and the API's values ({@code Status}, {@code ZxException}, records such as
 * {@code VmoInfo}), which every layer uses and which call nothing of core. It is counted as two nodes:
 * "io.zxmem (values)" is the largest set of its classes that depend on no core class outside that set;
 * the rest is "io.zxmem (handles)". Nested classes count as their top-level class. Prints the package
 * graph ({@code --quiet}: only when there is a cycle), then each cycle with the class edges that make it; exits 1 when there is one.
 */
public final class PackageCycles {
    private static final String VALUES = "io.zxmem (values)";
    private static final String HANDLES = "io.zxmem (handles)";

    public static void main(String[] args) {
        // --quiet (the build's check): the graph is printed only when there is a cycle to explain
        boolean quiet = args.length > 0 && args[0].equals("--quiet");
        if (quiet) {
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
        if (args.length < 1) {
            System.err.println("usage: PackageCycles [--quiet] core.jar|core-target-dir [linux.jar|linux-target-dir]");
            System.exit(2);
        }
        for (int i = 0; i < args.length; i++) {
            args[i] = jar(args[i]);
        }
        List<String> cmd = new ArrayList<>(List.of("--multi-release", String.valueOf(Runtime.version().feature()),
                "-verbose:class"));
        if (args.length > 1) {
            cmd.add("--module-path");
            cmd.add(args[1]);
        }
        cmd.add(args[0]);
        StringWriter out = new StringWriter();
        int rc = ToolProvider.findFirst("jdeps").orElseThrow().run(new PrintWriter(out), new PrintWriter(System.err),
                cmd.toArray(String[]::new));
        if (rc != 0) {
            System.err.println(out);
            System.exit(2);
        }
        // class -> classes it uses, core only (io.zxmem.linux is a module of its own, below core)
        Map<String, Set<String>> uses = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 3 || !f[1].equals("->") || !core(f[0]) || !core(f[2])) {
                continue;
            }
            String from = top(f[0]);
            String to = top(f[2]);
            if (!from.equals(to)) {
                uses.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
            }
            uses.computeIfAbsent(to, k -> new TreeSet<>());
        }
        if (uses.isEmpty()) {
            System.err.println("jdeps found no class of core in " + args[0]);
            System.exit(2);
        }
        Set<String> values = values(uses);
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();   // node -> node -> "A -> B" class edges
        for (var e : uses.entrySet()) {
            String a = node(e.getKey(), values);
            graph.computeIfAbsent(a, k -> new TreeMap<>());
            for (String t : e.getValue()) {
                String b = node(t, values);
                if (!a.equals(b)) {
                    graph.get(a).computeIfAbsent(b, k -> new TreeSet<>()).add(simple(e.getKey()) + " -> " + simple(t));
                }
            }
        }
        List<List<String>> found = new ArrayList<>();
        for (Set<String> scc : sccs(graph)) {
            if (scc.size() > 1) {
                found.add(new ArrayList<>(scc));
            }
        }
        if (!quiet || !found.isEmpty()) {
            System.out.println("package graph (io.zxmem.linux and the JDK left out):");
            graph.forEach((a, m) -> System.out.println("  " + a + " -> " + (m.isEmpty() ? "(nothing)" : String.join(", ", m.keySet()))));
        }
        int cycles = 0;
        for (List<String> scc : found) {
            cycles++;
            System.out.println("CYCLE: " + scc);
            for (String a : scc) {
                graph.get(a).forEach((b, edges) -> {
                    if (scc.contains(b)) {
                        System.out.println("  " + a + " -> " + b + ": " + edges);
                    }
                });
            }
        }
        System.out.println("core: " + (cycles == 0 ? "no package cycle" : cycles + " package cycle(s)")
                + " among " + graph.size() + " package nodes");
        System.exit(cycles == 0 ? 0 : 1);
    }

    /** {@code path} itself, or for a directory the one {@code .jar} in it without a classifier. */
    private static String jar(String path) {
        java.io.File f = new java.io.File(path);
        if (!f.isDirectory()) {
            return path;
        }
        java.io.File[] jars = f.listFiles((d, n) -> n.endsWith(".jar") && !n.matches(".*-(sources|javadoc|tests)\\.jar"));
        if (jars == null || jars.length != 1) {
            System.err.println("want one jar without a classifier in " + path + ", found " + (jars == null ? 0 : jars.length));
            System.exit(2);
        }
        return jars[0].getPath();
    }

    private static boolean core(String cls) {
        return cls.startsWith("io.zxmem.") && !cls.startsWith("io.zxmem.linux.");
    }

    private static String top(String cls) {
        int d = cls.indexOf('$');
        return d < 0 ? cls : cls.substring(0, d);
    }

    private static String pkg(String cls) {
        return cls.substring(0, cls.lastIndexOf('.'));
    }

    private static String simple(String cls) {
        return cls.substring(cls.lastIndexOf('.') + 1);
    }

    private static String node(String cls, Set<String> values) {
        String p = pkg(cls);
        if (!p.equals("io.zxmem")) {
            return p;
        }
        return values.contains(cls) ? VALUES : HANDLES;
    }

    /** The largest set of io.zxmem classes that use no core class outside the set. */
    private static Set<String> values(Map<String, Set<String>> uses) {
        Set<String> v = new HashSet<>();
        for (String c : uses.keySet()) {
            if (pkg(c).equals("io.zxmem")) {
                v.add(c);
            }
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (String c : List.copyOf(v)) {
                if (!v.containsAll(uses.get(c))) {
                    v.remove(c);
                    changed = true;
                }
            }
        }
        return v;
    }

    /** Tarjan's strongly connected components. */
    private static List<Set<String>> sccs(Map<String, Map<String, Set<String>>> g) {
        List<Set<String>> result = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> on = new HashSet<>();
        int[] next = {0};
        for (String n : g.keySet()) {
            if (!index.containsKey(n)) {
                strong(n, g, index, low, stack, on, next, result);
            }
        }
        return result;
    }

    private static void strong(String n, Map<String, Map<String, Set<String>>> g, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, Set<String> on, int[] next, List<Set<String>> result) {
        index.put(n, next[0]);
        low.put(n, next[0]);
        next[0]++;
        stack.push(n);
        on.add(n);
        for (String m : g.getOrDefault(n, Map.of()).keySet()) {
            if (!index.containsKey(m)) {
                strong(m, g, index, low, stack, on, next, result);
                low.put(n, Math.min(low.get(n), low.get(m)));
            } else if (on.contains(m)) {
                low.put(n, Math.min(low.get(n), index.get(m)));
            }
        }
        if (low.get(n).equals(index.get(n))) {
            Set<String> scc = new TreeSet<>();
            String m;
            do {
                m = stack.pop();
                on.remove(m);
                scc.add(m);
            } while (!m.equals(n));
            result.add(scc);
        }
    }
}
