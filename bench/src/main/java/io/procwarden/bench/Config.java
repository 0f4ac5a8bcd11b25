package io.procwarden.bench;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Command-line options of the harness.
 *
 * <pre>
 * --quick            fewer samples, small N, short idle periods: a smoke run of a few minutes
 * --only=a,b         run only these comparisons (nonchild, child, spawn, polling, concurrent, jail, stdio, tree, pty)
 * --out=DIR          where benchmarks.md and the charts go (default: -Dbench.docs, else ./docs)
 * --no-time-guard    run the N = 10,000 comparisons even when they would take minutes
 * </pre>
 */
record Config(boolean quick, boolean noTimeGuard, Set<String> only, Path out, Path target, Path csrc, List<String> args) {
    static final List<String> ALL = List.of("nonchild", "child", "spawn", "polling", "concurrent", "jail", "stdio", "tree", "pty");

    static Config parse(String[] args) {
        boolean quick = false;
        boolean noTimeGuard = false;
        Set<String> only = new LinkedHashSet<>(ALL);
        Path target = Path.of(System.getProperty("bench.target", "bench/target"));
        Path out = null;
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else if (a.equals("--no-time-guard")) {
                noTimeGuard = true;
            } else if (a.startsWith("--only=")) {
                only = new LinkedHashSet<>(List.of(a.substring(7).split(",")));
                for (String id : only) {
                    if (!ALL.contains(id)) throw new IllegalArgumentException("unknown comparison \"" + id + "\" (valid: " + ALL + ")");
                }
            } else if (a.startsWith("--out=")) {
                out = Path.of(a.substring(6));
            } else {
                throw new IllegalArgumentException("unknown option \"" + a + "\" (valid: --quick, --no-time-guard, --only=a,b, --out=DIR)");
            }
        }
        if (out == null) {
            out = quick ? target.resolve("quick-docs") : Path.of(System.getProperty("bench.docs", "docs"));
        }
        Path csrc = Path.of(System.getProperty("bench.csrc", "bench/src/main/c"));
        return new Config(quick, noTimeGuard, only, out.toAbsolutePath().normalize(), target.toAbsolutePath().normalize(),
                csrc.toAbsolutePath().normalize(), List.of(args));
    }

    /** {@code full} normally, {@code quick} with --quick. */
    int pick(int full, int quickValue) {
        return quick ? quickValue : full;
    }
}
