package io.zxmem.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * Latency against size, one PNG per benchmark family: log-log axes, one line per method, zxmem paths
 * solid, C baselines dashed, Java alternatives dotted. Drawn with Java2D, headless.
 */
final class Plot {
    private static final int W = 900;
    private static final int H = 560;
    private static final int L = 90;
    private static final int R = 260;
    private static final int T = 50;
    private static final int B = 60;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf),
        new Color(0x7f7f7f), new Color(0xbcbd22)};

    /** One result: a method's time per op, in nanoseconds, at a size in bytes. */
    record Point(String method, double bytes, double nanos) {}

    private Plot() {}

    static void draw(String title, List<Point> points, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, TreeMap<Double, Double>> series = new LinkedHashMap<>();
        for (Point p : points) {
            series.computeIfAbsent(p.method(), k -> new TreeMap<>()).put(p.bytes(), p.nanos());
        }
        double xmin = points.stream().mapToDouble(Point::bytes).min().orElse(1);
        double xmax = points.stream().mapToDouble(Point::bytes).max().orElse(2);
        double ymin = points.stream().mapToDouble(Point::nanos).filter(v -> v > 0).min().orElse(1);
        double ymax = points.stream().mapToDouble(Point::nanos).max().orElse(10);
        double lx0 = Math.floor(Math.log10(xmin)) - (xmin == xmax ? 1 : 0);
        double lx1 = Math.ceil(Math.log10(xmax)) + (xmin == xmax ? 1 : 0);
        double ly0 = Math.floor(Math.log10(ymin));
        double ly1 = Math.max(Math.ceil(Math.log10(ymax)), ly0 + 1);

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, L, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = W - L - R;
        int ph = H - T - B;
        // Grid and axes: powers of ten on y, powers of two (as sizes) on x.
        List<Double> yticks = new ArrayList<>();
        for (double d = ly0; d <= ly1; d++) {
            for (double m : new double[] {1, 2, 5}) {
                double v = m * Math.pow(10, d);
                if (Math.log10(v) <= ly1 + 1e-9) {
                    yticks.add(v);
                }
            }
        }
        g.setColor(new Color(0xe6e6e6));
        for (double v : yticks) {
            int y = T + ph - (int) ((Math.log10(v) - ly0) / (ly1 - ly0) * ph);
            g.drawLine(L, y, L + pw, y);
        }
        List<Double> xticks = new ArrayList<>();
        for (double b = Math.pow(2, Math.floor(Math.log(Math.pow(10, lx0)) / Math.log(2))); b <= Math.pow(10, lx1); b *= 4) {
            if (b >= Math.pow(10, lx0)) {
                xticks.add(b);
            }
        }
        for (double b : xticks) {
            int x = L + (int) ((Math.log10(b) - lx0) / (lx1 - lx0) * pw);
            g.drawLine(x, T, x, T + ph);
        }
        g.setColor(Color.BLACK);
        g.drawRect(L, T, pw, ph);
        for (double v : yticks) {
            int y = T + ph - (int) ((Math.log10(v) - ly0) / (ly1 - ly0) * ph);
            String lbl = time(v);
            g.drawString(lbl, L - 8 - g.getFontMetrics().stringWidth(lbl), y + 4);
        }
        for (double b : xticks) {
            int x = L + (int) ((Math.log10(b) - lx0) / (lx1 - lx0) * pw);
            String lbl = Inspect.size((long) b);
            g.drawString(lbl, x - g.getFontMetrics().stringWidth(lbl) / 2, T + ph + 18);
        }
        g.drawString("size", L + pw / 2 - 10, H - 18);
        g.rotate(-Math.PI / 2);
        g.drawString("time per operation (log)", -(T + ph / 2 + 60), 22);
        g.rotate(Math.PI / 2);

        int n = 0;
        for (Map.Entry<String, TreeMap<Double, Double>> e : series.entrySet()) {
            Color c = PALETTE[n % PALETTE.length];
            String m = e.getKey();
            float[] dash = m.startsWith("c_") ? new float[] {8, 5} : m.startsWith("java_") ? new float[] {2, 4} : null;
            g.setColor(c);
            g.setStroke(dash == null ? new BasicStroke(2.5f) : new BasicStroke(2f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 10, dash, 0));
            Path2D line = new Path2D.Double();
            boolean first = true;
            for (Map.Entry<Double, Double> pt : e.getValue().entrySet()) {
                double x = L + (Math.log10(pt.getKey()) - lx0) / (lx1 - lx0) * pw;
                double y = T + ph - (Math.log10(Math.max(pt.getValue(), Math.pow(10, ly0))) - ly0) / (ly1 - ly0) * ph;
                if (first) {
                    line.moveTo(x, y);
                } else {
                    line.lineTo(x, y);
                }
                first = false;
                g.fillOval((int) x - 3, (int) y - 3, 7, 7);
            }
            g.draw(line);
            int ly = T + 14 + n * 20;
            g.drawLine(L + pw + 16, ly - 4, L + pw + 46, ly - 4);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            g.drawString(m, L + pw + 54, ly);
            n++;
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    static String time(double ns) {
        if (ns >= 1e9) {
            return fmt(ns / 1e9) + " s";
        }
        if (ns >= 1e6) {
            return fmt(ns / 1e6) + " ms";
        }
        if (ns >= 1e3) {
            return fmt(ns / 1e3) + " us";
        }
        return fmt(ns) + " ns";
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.format("%d", (long) v) : String.format("%.1f", v);
    }
}
