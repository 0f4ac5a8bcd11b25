package io.procwarden.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Two small SVG chart kinds, drawn by hand (no dependency): horizontal bars and lines. */
final class Svg {
    private Svg() {}

    static final String PROCWARDEN = "#1f6fb4";
    static final String JDK = "#c8453a";
    static final String LIMIT = "#6b6b6b";
    static final String OTHER = "#3b9a4b";
    static final String OTHER2 = "#e08a1e";
    static final String PROCWARDEN_LIGHT = "#7fb2de";
    static final String NUPROCESS = "#8a56b0";
    static final String OTHER3 = "#a0522d";
    static final String OTHER4 = "#2a9d8f";

    private static final int WIDTH = 820;
    private static final String FONT = "font-family=\"Helvetica,Arial,sans-serif\"";

    /**
     * One bar: its value, an optional whisker (p99; NaN for none) and the text printed after it.
     */
    record Bar(String label, double value, double whisker, String color, String text) {}

    /** A named line of (x, y) points. */
    record Series(String name, String color, double[] x, double[] y) {}

    /** Horizontal bars (with a p99 whisker where given) on a linear or log axis. */
    static void bars(Path file, String title, String axis, List<Bar> bars, boolean log) throws IOException {
        int left = 250;
        int right = 170;
        int top = 50;
        int barH = 20;
        int gap = 10;
        int plotW = WIDTH - left - right;
        int height = top + bars.size() * (barH + gap) + 50;
        double max = 0;
        double min = Double.MAX_VALUE;
        for (Bar b : bars) {
            max = Math.max(max, Double.isNaN(b.whisker()) ? b.value() : Math.max(b.value(), b.whisker()));
            if (b.value() > 0) min = Math.min(min, b.value());
        }
        Axis ax = log ? Axis.log(min, max) : Axis.linear(max);
        StringBuilder s = header(WIDTH, height, title);
        int y = top;
        for (Bar b : bars) {
            double w = ax.pos(b.value()) * plotW;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\" %s>%s</text>%n",
                    left - 8, y + barH - 5, FONT, esc(b.label())));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
                    left, y, Math.max(1, w), barH, b.color()));
            double textX = left + w;
            if (!Double.isNaN(b.whisker())) {
                double wx = left + ax.pos(b.whisker()) * plotW;
                s.append(String.format(Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\" stroke-width=\"1.5\"/>%n"
                                + "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\" stroke-width=\"1.5\"/>%n",
                        left + w, y + barH / 2, wx, y + barH / 2, wx, y + 3, wx, y + barH - 3));
                textX = Math.max(textX, wx);
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#333\" %s>%s</text>%n",
                    textX + 6, y + barH - 6, FONT, esc(b.text())));
            y += barH + gap;
        }
        xAxis(s, ax, left, plotW, top - 6, y, axis);
        write(file, s);
    }

    /** Lines with markers; either axis may be logarithmic. */
    static void lines(Path file, String title, String xLabel, String yLabel, List<Series> series, boolean logX,
            boolean logY) throws IOException {
        int left = 80;
        int right = 200;
        int top = 50;
        int plotH = 300;
        int plotW = WIDTH - left - right;
        int height = top + plotH + 60;
        double xmin = Double.MAX_VALUE, xmax = 0, ymin = Double.MAX_VALUE, ymax = 0;
        for (Series se : series) {
            for (int i = 0; i < se.x().length; i++) {
                if (Double.isNaN(se.y()[i])) continue;
                xmin = Math.min(xmin, se.x()[i]);
                xmax = Math.max(xmax, se.x()[i]);
                if (se.y()[i] > 0) ymin = Math.min(ymin, se.y()[i]);
                ymax = Math.max(ymax, se.y()[i]);
            }
        }
        Axis ax = logX ? Axis.log(xmin, xmax) : Axis.linear(xmax);
        Axis ay = logY ? Axis.log(ymin, ymax) : Axis.linear(ymax);
        StringBuilder s = header(WIDTH, height, title);
        int bottom = top + plotH;
        xAxis(s, ax, left, plotW, top, bottom, xLabel);
        for (double t : ay.ticks()) {
            double py = bottom - ay.pos(t) * plotH;
            s.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" %s>%s</text>%n",
                    left, py, left + plotW, py, left - 6, py + 4, FONT, Axis.label(t)));
        }
        s.append(String.format(Locale.ROOT,
                "<text x=\"16\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\" %s>%s</text>%n",
                top + plotH / 2, top + plotH / 2, FONT, esc(yLabel)));
        int legendY = top + 10;
        for (Series se : series) {
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < se.x().length; i++) {
                if (Double.isNaN(se.y()[i])) continue;
                double px = left + ax.pos(se.x()[i]) * plotW;
                double py = bottom - ay.pos(Math.max(se.y()[i], ay.lo)) * plotH;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n", px, py, se.color()));
            }
            s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    pts.toString().trim(), se.color()));
            s.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\" %s>%s</text>%n",
                    left + plotW + 14, legendY - 4, se.color(), left + plotW + 34, legendY + 1, FONT, esc(se.name())));
            legendY += 20;
        }
        write(file, s);
    }

    private static StringBuilder header(int w, int h, String title) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n", w, h, w, h));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"26\" font-size=\"15\" font-weight=\"bold\" %s>%s</text>%n",
                20, FONT, esc(title)));
        return s;
    }

    private static void xAxis(StringBuilder s, Axis ax, int left, int plotW, int top, int bottom, String label) {
        for (double t : ax.ticks()) {
            double px = left + ax.pos(t) * plotW;
            s.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n"
                            + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" %s>%s</text>%n",
                    px, top, px, bottom, px, bottom + 16, FONT, Axis.label(t)));
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n",
                left, bottom, left + plotW, bottom));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" %s>%s</text>%n",
                left + plotW / 2, bottom + 36, FONT, esc(label)));
    }

    private static void write(Path file, StringBuilder s) throws IOException {
        s.append("</svg>\n");
        Files.createDirectories(file.getParent());
        Files.writeString(file, s.toString(), StandardCharsets.UTF_8);
    }

    private static String esc(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Maps values to 0..1 along an axis. */
    private static final class Axis {
        final boolean log;
        final double lo;
        final double hi;

        private Axis(boolean log, double lo, double hi) {
            this.log = log;
            this.lo = lo;
            this.hi = hi;
        }

        static Axis linear(double max) {
            return new Axis(false, 0, niceStep(max) * Math.ceil(max / niceStep(max)));
        }

        static Axis log(double min, double max) {
            double lo = Math.pow(10, Math.floor(Math.log10(min)));
            double hi = Math.pow(10, Math.ceil(Math.log10(max)));
            if (hi <= lo) hi = lo * 10;
            return new Axis(true, lo, hi);
        }

        double pos(double v) {
            if (log) {
                return (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
            }
            return hi == 0 ? 0 : v / hi;
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            if (log) {
                for (double v = lo; v <= hi * 1.0001; v *= 10) t.add(v);
            } else {
                double step = niceStep(hi);
                for (double v = 0; v <= hi * 1.0001; v += step) t.add(v);
            }
            return t;
        }

        private static double niceStep(double max) {
            if (max <= 0) return 1;
            double raw = max / 5;
            double mag = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / mag;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
        }

        static String label(double v) {
            if (v == 0) return "0";
            if (v >= 1000) return String.format(Locale.ROOT, "%,.0f", v);
            return stripZeros(v);
        }

        private static String stripZeros(double v) {
            return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        }
    }
}
