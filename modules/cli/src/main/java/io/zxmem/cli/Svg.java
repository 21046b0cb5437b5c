package io.zxmem.cli;

import io.zxmem.VmoSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Draws a VMO tree as SVG: one box per VMO, children below their parent, mappings inside the box. */
final class Svg {
    private static final int LINE_H = 16;
    private static final int GAP_X = 24;
    private static final int GAP_Y = 40;
    private static final int MARGIN = 20;

    private Svg() {}

    /** Width of every box: fits the longest line in 12 px monospace (about 7.3 px a character). */
    private static int boxW;

    private record Box(VmoSnapshot vmo, List<String> lines, int x, int y, int h) {}

    static synchronized String tree(String who, List<VmoSnapshot> vmos) {
        Map<Long, List<VmoSnapshot>> kids = Inspect.children(vmos);
        int longest = vmos.stream().flatMap(v -> lines(v).stream()).mapToInt(String::length).max().orElse(30);
        boxW = Math.max(220, 16 + (int) Math.ceil(longest * 7.3));
        List<Box> boxes = new ArrayList<>();
        List<int[]> edges = new ArrayList<>();
        int x = MARGIN;
        for (VmoSnapshot root : kids.getOrDefault(0L, List.of())) {
            x = place(root, kids, x, MARGIN + 30, boxes, edges, null) + GAP_X;
        }
        int width = Math.max(x, 400);
        int height = boxes.stream().mapToInt(b -> b.y + b.h).max().orElse(60) + MARGIN;
        StringBuilder s = new StringBuilder();
        s.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"monospace\" font-size=\"12\">%n", width, height));
        s.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">%s: %d VMOs</text>%n",
                MARGIN, MARGIN + 4, esc(who), vmos.size()));
        for (int[] e : edges) {
            s.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" stroke-width=\"1.5\"/>%n",
                    e[0], e[1], e[2], e[3]));
        }
        for (Box b : boxes) {
            String fill = switch (b.vmo.kind()) {
                case "physical" -> "#fde8c8";
                case "slice" -> "#f3e3f6";
                case "paged" -> "#dde8f8";
                default -> "#e0f0e0";
            };
            s.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"#345\"/>%n",
                    b.x, b.y, boxW, b.h, fill));
            for (int i = 0; i < b.lines.size(); i++) {
                s.append(String.format("<text x=\"%d\" y=\"%d\"%s>%s</text>%n", b.x + 8, b.y + 18 + i * LINE_H,
                        i == 0 ? " font-weight=\"bold\"" : "", esc(b.lines.get(i))));
            }
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** Places {@code v} and its subtree starting at column {@code x}. @return the right edge used */
    private static int place(VmoSnapshot v, Map<Long, List<VmoSnapshot>> kids, int x, int y, List<Box> boxes,
            List<int[]> edges, Box parent) {
        List<String> lines = lines(v);
        int h = 10 + lines.size() * LINE_H;
        List<VmoSnapshot> cs = kids.getOrDefault(v.koid(), List.of());
        int right = x + boxW;
        int childX = x;
        Box me = new Box(v, lines, x, y, h);
        boxes.add(me);
        if (parent != null) {
            edges.add(new int[] {parent.x + boxW / 2, parent.y + parent.h, x + boxW / 2, y});
        }
        for (VmoSnapshot c : cs) {
            childX = place(c, kids, childX, y + h + GAP_Y, boxes, edges, me) + GAP_X;
            right = Math.max(right, childX - GAP_X);
        }
        return right;
    }

    private static List<String> lines(VmoSnapshot v) {
        List<String> lines = new ArrayList<>();
        lines.add("vmo " + v.koid() + " \"" + v.name() + "\"");
        lines.add(v.kind() + " " + Inspect.size(v.size()) + ", committed " + Inspect.size(v.committedBytes())
                + Inspect.flags(v.flags()));
        for (int r : v.handleRights()) {
            lines.add("handle " + Inspect.rights(r));
        }
        for (VmoSnapshot.Mapped m : v.mappings()) {
            lines.add(String.format("map 0x%x %s +%s @0x%s", m.address(), Inspect.perms(m.perms()),
                    Inspect.size(m.length()), Long.toHexString(m.vmoOffset())));
        }
        return lines;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
