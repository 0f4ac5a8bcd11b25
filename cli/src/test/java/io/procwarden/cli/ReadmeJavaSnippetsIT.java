package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ProcessSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every {@code java} block of README.md compiles as written, against the library, with
 * javax.tools: its {@code import} lines on top of a class, the rest as the body of its
 * {@code main}. Each then runs in a JVM of its own with the documented flag and must exit 0
 * within a minute; a block under a {@code <!-- compile only: why -->} line is only compiled.
 */
class ReadmeJavaSnippetsIT {
    private static final String COMPILE_ONLY = "<!-- compile only";

    record Snippet(int index, int line, List<String> imports, List<String> body, boolean run) {
        String className() {
            return "ReadmeSnippet" + index;
        }

        String source() {
            StringBuilder b = new StringBuilder();
            imports.forEach(i -> b.append(i).append('\n'));
            b.append("public class ").append(className()).append(" {\n")
                    .append("    public static void main(String[] args) throws Exception {\n");
            body.forEach(l -> b.append("        ").append(l).append('\n'));
            return b.append("    }\n}\n").toString();
        }
    }

    static List<Snippet> snippets(List<String> readme) {
        List<Snippet> out = new ArrayList<>();
        for (int i = 0; i < readme.size(); i++) {
            if (!readme.get(i).strip().equals("```java")) continue;
            boolean run = i == 0 || !readme.get(i - 1).startsWith(COMPILE_ONLY);
            List<String> imports = new ArrayList<>();
            List<String> body = new ArrayList<>();
            int start = i + 1;
            for (i = start; !readme.get(i).strip().equals("```"); i++) {
                String l = readme.get(i);
                if (l.startsWith("import ")) imports.add(l);
                else body.add(l);
            }
            out.add(new Snippet(out.size() + 1, start, imports, body, run));
        }
        return out;
    }

    @Test
    void everyJavaBlockCompilesAndRuns() throws Exception {
        Path root = Path.of(System.getProperty("procwarden.root", ".."));
        List<Snippet> snippets = snippets(Files.readAllLines(root.resolve("README.md"), StandardCharsets.UTF_8));
        assertThat(snippets).as("java blocks in README.md").hasSizeGreaterThanOrEqualTo(4);
        assertThat(snippets).as("blocks that run").filteredOn(Snippet::run).hasSizeGreaterThanOrEqualTo(3);

        Path dir = Files.createTempDirectory(Path.of("target"), "readme-snippets");
        String core = Path.of(ProcessSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<Path> sources = new ArrayList<>();
        for (Snippet s : snippets) {
            sources.add(Files.writeString(dir.resolve(s.className() + ".java"), s.source()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, files, diagnostics,
                    List.of("-cp", core, "-d", dir.toString(), "--release", "22", "-proc:none"), null,
                    files.getJavaFileObjectsFromPaths(sources)).call();
            assertThat(ok).as("README snippets compile (README line numbers: %s): %s",
                    snippets.stream().map(s -> s.className() + "@" + s.line()).toList(),
                    diagnostics.getDiagnostics()).isTrue();
        }

        for (Snippet s : snippets) {
            if (!s.run()) continue;
            Path log = dir.resolve(s.className() + ".log");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", core + java.io.File.pathSeparator + dir, s.className())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            if (!done) p.destroyForcibly().waitFor();
            String output = read(log);
            assertThat(done).as("README snippet at line %d finished within 60 s: %s", s.line(), output).isTrue();
            assertThat(p.exitValue()).as("README snippet at line %d exit status; output:%n%s", s.line(), output).isZero();
            assertThat(output).as("README snippet at line %d, run with the flag", s.line())
                    .doesNotContain("restricted method").doesNotContain("enable-native-access");
        }
    }

    /**
     * Without the flag, the first line about it is the library's own, naming the flag, once;
     * the JDK's restricted-method warnings come after it.
     */
    @Test
    void withoutTheFlagTheFirstWarningNamesIt() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "native-access");
        Path src = Files.writeString(dir.resolve("NoFlag.java"), """
                public class NoFlag {
                    public static void main(String[] args) throws Exception {
                        System.exit(io.procwarden.ProcessSpec.of("true").spawn().waitFor().shellCode());
                    }
                }
                """);
        String core = Path.of(ProcessSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "-cp", core, "-d", dir.toString(), src.toString())).isZero();
        Path log = dir.resolve("out.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", core + java.io.File.pathSeparator + dir, "NoFlag")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = read(log);
        assertThat(p.exitValue()).as(out).isZero();
        String ours = "run java with --enable-native-access=ALL-UNNAMED (class path)";
        assertThat(out.split(java.util.regex.Pattern.quote(ours), -1)).as(out).hasSize(2); // exactly once
        int jdk = out.indexOf("restricted method");
        assertThat(jdk < 0 || out.indexOf(ours) < jdk).as("ours comes first: %s", out).isTrue();
    }

    private static String read(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }
}
