package io.procwarden.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The C comparison programs ({@code bench/src/main/c}): compiled with gcc at run time, once each. */
final class CTools {
    private CTools() {}

    private static final Map<String, Path> BUILT = new HashMap<>();
    private static final Map<String, String> WHY_NOT = new HashMap<>();

    /**
     * Compiles {@code name.c} into the target directory; null when there is no gcc or it fails
     * ({@link #whyNot} says which). {@code libs} are linker flags after the source ({@code -lutil}).
     */
    static synchronized Path binary(Config cfg, String name, String... libs) throws Exception {
        if (BUILT.containsKey(name)) return BUILT.get(name);
        Path bin = null;
        String gcc = null;
        try {
            gcc = Procs.which("gcc");
        } catch (IllegalStateException e) {
            WHY_NOT.put(name, "gcc not found on PATH: the C column is skipped");
        }
        if (gcc != null) {
            Path src = cfg.csrc().resolve(name + ".c");
            Path out = cfg.target().resolve(name);
            Files.createDirectories(cfg.target());
            List<String> cc = new ArrayList<>(List.of(gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11", "-pthread", "-o",
                    out.toString(), src.toString()));
            cc.addAll(List.of(libs));
            Process p = new ProcessBuilder(cc).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0) {
                bin = out;
            } else {
                WHY_NOT.put(name, "gcc failed on " + src + " (exit " + p.exitValue() + "): " + text.trim()
                        + "; the C column is skipped");
            }
        }
        BUILT.put(name, bin);
        return bin;
    }

    static synchronized String whyNot(String name) {
        return WHY_NOT.get(name);
    }

    /**
     * Runs a compiled program to its end (tagged, so that anything it leaves is found) and
     * returns its standard output lines; fails unless it exits 0.
     */
    static List<String> run(Path binary, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(List.of(args));
        Process p = Procs.jdk(cmd.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) lines.add(line);
        }
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(binary.getFileName() + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(binary.getFileName() + " " + String.join(" ", args) + " failed: exit " + p.exitValue());
        }
        return lines;
    }
}
