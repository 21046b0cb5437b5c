package io.zxmem.cli;

import io.zxmem.Mapping;
import io.zxmem.Rights;
import io.zxmem.Vmar;
import io.zxmem.Vmo;
import io.zxmem.VmoInfo;
import io.zxmem.VmoSnapshot;
import io.zxmem.Zx;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code zx inspect}: the live VMOs of a process as a tree (parents, children, mappings, sizes,
 * committed bytes, handle rights), as text and, with {@code --out FILE.svg}, as a picture.
 */
final class Inspect implements Command {
    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String synopsis() {
        return "[PID | --demo] [--out FILE.svg]";
    }

    @Override
    public String summary() {
        return "show the live VMOs of a process (one that opted in) as a tree; --out draws it as SVG";
    }

    @Override
    public String help() {
        return """
                Shows every live VMO of a process: parents and children, size, committed memory,
                the rights of each open handle and each mapping (address, length, VMO offset, perms).

                  PID          a process that opted in: started with -Dzxmem.inspect=true, or that
                               called Zx.enableInspection() (a Unix socket, only for the same user)
                  (no PID)     lists the processes that opted in, and shows the tree if there is one
                  --demo       builds a small example tree in this process and shows it
                  --out FILE   also draws the tree as an SVG picture into FILE""";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Long pid = null;
        boolean demo = false;
        Path svg = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--out")) {
                if (++i >= args.length) {
                    throw new UsageException("--out needs a file name");
                }
                svg = Path.of(args[i]);
                if (!svg.getFileName().toString().endsWith(".svg")) {
                    throw new UsageException("--out writes SVG: name the file *.svg, got '" + args[i] + "'");
                }
            } else if (a.equals("--demo")) {
                demo = true;
            } else if (a.matches("[0-9]+") && pid == null) {
                pid = Long.parseLong(a);
            } else {
                throw new UsageException("unexpected argument '" + a + "'");
            }
        }
        if (demo && pid != null) {
            throw new UsageException("give a PID or --demo, not both");
        }
        List<VmoSnapshot> vmos;
        String who;
        List<AutoCloseable> keep = new ArrayList<>();
        try {
            if (demo) {
                buildDemo(keep);
                vmos = Zx.inspect();
                who = "this process (demo)";
            } else {
                if (pid == null) {
                    List<Long> pids = Zx.inspectable();
                    if (pids.isEmpty()) {
                        err.println("zx inspect: no process has opted in to inspection; start one with "
                                + "-Dzxmem.inspect=true (or call Zx.enableInspection()), or try `zx inspect --demo`");
                        return 1;
                    }
                    if (pids.size() > 1) {
                        out.println("processes that opted in: " + pids + "; pick one: zx inspect PID");
                        return 0;
                    }
                    pid = pids.get(0);
                }
                vmos = Zx.inspect(pid);
                who = "process " + pid;
            }
            out.print(text(who, vmos));
            if (svg != null) {
                Files.writeString(svg, Svg.tree(who, vmos));
                out.println("picture: " + svg.toAbsolutePath());
            }
            return 0;
        } finally {
            for (int i = keep.size() - 1; i >= 0; i--) {
                keep.get(i).close();
            }
        }
    }

    private static void buildDemo(List<AutoCloseable> keep) {
        long p = Zx.pageSize();
        Vmo ring = Vmo.create(16 * p);
        keep.add(ring);
        ring.setName("ring-buffer");
        ring.write(new byte[(int) (3 * p)], 0);
        keep.add(ring.map(Vmar.PERM_READ | Vmar.PERM_WRITE, 0, 16 * p));
        Vmo reader = ring.duplicate(Rights.READ | Rights.MAP | Rights.WAIT);
        keep.add(reader);
        keep.add(reader.map(Vmar.PERM_READ, 4 * p, 4 * p));
        Vmo big = Vmo.create(1L << 40, Vmo.RESIZABLE);
        keep.add(big);
        big.setName("sparse-1TiB");
        big.write(new byte[] {1}, 1L << 39);
        Vmo cache = Vmo.create(64 * p, Vmo.DISCARDABLE);
        keep.add(cache);
        cache.setName("discardable-cache");
        cache.commit(0, 8 * p);
    }

    static String size(long bytes) {
        if (bytes == 0) {
            return "0 B";
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        double v = bytes;
        if (bytes < 0) {
            v = Long.toUnsignedString(bytes).length() > 0 ? Double.parseDouble(Long.toUnsignedString(bytes)) : 0;
        }
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.format("%d", (long) v) : String.format("%.1f", v)) + " " + units[u];
    }

    static String rights(int r) {
        if (r == Rights.DEFAULT_VMO) {
            return "default";
        }
        if ((r & Rights.DEFAULT_VMO) == Rights.DEFAULT_VMO) {
            return "default+" + Rights.toString(r & ~Rights.DEFAULT_VMO);
        }
        return Rights.toString(r);
    }

    static String perms(int p) {
        return ((p & Vmar.PERM_READ) != 0 ? "r" : "-") + ((p & Vmar.PERM_WRITE) != 0 ? "w" : "-")
                + ((p & Vmar.PERM_EXECUTE) != 0 ? "x" : "-");
    }

    static String flags(int f) {
        List<String> l = new ArrayList<>();
        if ((f & VmoInfo.RESIZABLE) != 0) {
            l.add("resizable");
        }
        if ((f & VmoInfo.DISCARDABLE) != 0) {
            l.add("discardable");
        }
        if ((f & VmoInfo.IS_COW_CLONE) != 0) {
            l.add("cow-child");
        }
        if ((f & VmoInfo.IMMUTABLE) != 0) {
            l.add("immutable");
        }
        return l.isEmpty() ? "" : " [" + String.join(",", l) + "]";
    }

    /** Root VMOs first, children under their parent, in koid order. */
    static Map<Long, List<VmoSnapshot>> children(List<VmoSnapshot> vmos) {
        Map<Long, VmoSnapshot> byKoid = new HashMap<>();
        vmos.forEach(v -> byKoid.put(v.koid(), v));
        Map<Long, List<VmoSnapshot>> kids = new LinkedHashMap<>();
        for (VmoSnapshot v : vmos) {
            long parent = byKoid.containsKey(v.parentKoid()) ? v.parentKoid() : 0;
            kids.computeIfAbsent(parent, k -> new ArrayList<>()).add(v);
        }
        return kids;
    }

    static String headline(VmoSnapshot v) {
        return "vmo " + v.koid() + " \"" + v.name() + "\" " + v.kind() + " " + size(v.size()) + ", committed "
                + size(v.committedBytes())
                + (v.suppliedBytes() != 0 || v.dirtyBytes() != 0
                        ? ", supplied " + size(v.suppliedBytes()) + ", dirty " + size(v.dirtyBytes()) : "")
                + flags(v.flags());
    }

    static String text(String who, List<VmoSnapshot> vmos) {
        long committed = vmos.stream().mapToLong(VmoSnapshot::committedBytes).sum();
        int maps = vmos.stream().mapToInt(v -> v.mappings().size()).sum();
        StringBuilder b = new StringBuilder(who + ": " + vmos.size() + " VMOs, " + maps + " mappings, "
                + size(committed) + " committed\n");
        Map<Long, List<VmoSnapshot>> kids = children(vmos);
        for (VmoSnapshot root : kids.getOrDefault(0L, List.of())) {
            render(b, root, kids, "", "");
        }
        return b.toString();
    }

    private static void render(StringBuilder b, VmoSnapshot v, Map<Long, List<VmoSnapshot>> kids, String first, String rest) {
        b.append(first).append(headline(v)).append('\n');
        List<String> lines = new ArrayList<>();
        for (int r : v.handleRights()) {
            lines.add("handle rights " + rights(r));
        }
        if (v.handleRights().isEmpty()) {
            lines.add("no handles (kept alive by mappings or children)");
        }
        for (VmoSnapshot.Mapped m : v.mappings()) {
            lines.add(String.format("mapping 0x%x +%s %s at vmo offset 0x%s", m.address(), size(m.length()),
                    perms(m.perms()), Long.toHexString(m.vmoOffset())));
        }
        List<VmoSnapshot> cs = kids.getOrDefault(v.koid(), List.of());
        for (int i = 0; i < lines.size(); i++) {
            boolean last = i == lines.size() - 1 && cs.isEmpty();
            b.append(rest).append(last ? "└─ " : "├─ ").append(lines.get(i)).append('\n');
        }
        for (int i = 0; i < cs.size(); i++) {
            boolean last = i == cs.size() - 1;
            render(b, cs.get(i), kids, rest + (last ? "└─ " : "├─ "), rest + (last ? "   " : "│  "));
        }
    }
}
