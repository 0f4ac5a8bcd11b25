package io.procwarden.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Order statistics of a sample, in milliseconds (nearest-rank percentiles: the p-th percentile
 * is a value that was really measured).
 */
record Stats(int n, double min, double median, double p99, double max) {

    /** Summarises durations given in nanoseconds. */
    static Stats ofNanos(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] ms = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            ms[i] = nanos[i] / 1e6;
        }
        return of(ms);
    }

    /** Summarises plain values (any unit). */
    static Stats of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return new Stats(v.length, v[0], median(v), rank(v, 0.99), v[v.length - 1]);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double rank(double[] sorted, double p) {
        int idx = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    /** The median of some values (e.g. per-round rates). */
    static double medianOf(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return median(v);
    }

    /** Milliseconds with a precision that suits the magnitude: 0.412, 12.3, 254. */
    static String ms(double ms) {
        if (ms < 10) return String.format(Locale.ROOT, "%.3f", ms);
        if (ms < 100) return String.format(Locale.ROOT, "%.1f", ms);
        return String.format(Locale.ROOT, "%.0f", ms);
    }

    /** A ratio such as 2.13x. */
    static String ratio(double r) {
        return String.format(Locale.ROOT, r >= 100 ? "%.0fx" : "%.2fx", r);
    }

    /** "2.13x faster" when {@code other / ours} >= 1, else "1.20x slower". */
    static String speed(double ours, double other) {
        return other >= ours ? ratio(other / ours) + " faster" : ratio(ours / other) + " slower";
    }

    static String num(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
