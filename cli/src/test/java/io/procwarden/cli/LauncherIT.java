package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./procwarden} launcher as {@code run} sees it: the command gets the caller's
 * environment, not the one the launcher made to find a JDK, and {@code --preserve-fd} takes
 * only fds the caller really gave.
 */
class LauncherIT {
    @TempDir
    Path tmp;

    @Test
    void theCommandGetsTheCallersPathAndNoJavaHome() {
        // env -u: the caller has no JAVA_HOME; the launcher finds a JDK and sets one for itself.
        Cli.Result r = launcher("exec env -u JAVA_HOME PATH=/usr/bin:/bin ./procwarden run -- sh -c "
                + "'echo \"$PATH|${JAVA_HOME-unset}\"'");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).containsExactly("/usr/bin:/bin|unset");
    }

    @Test
    void preserveFdTakesAnFdTheCallerOpenedAndRefusesOneItDidNot() throws IOException {
        Path input = Files.writeString(tmp.resolve("input"), "given by the caller\n");

        Cli.Result given = launcher("exec ./procwarden run --preserve-fd 3 -- cat /dev/fd/3 3<'" + input + "'");
        assertThat(given.exit()).as(given.toString()).isZero();
        assertThat(given.out()).as(given.toString()).containsExactly("given by the caller");

        // Not opened by the caller: in the JVM, fd 3 is typically the JDK's modules file.
        Cli.Result notGiven = launcher("exec ./procwarden run --preserve-fd 3 -- true 3<&-");
        assertThat(notGiven.exit()).as(notGiven.toString()).isEqualTo(125);
        assertThat(notGiven.err()).as(notGiven.toString()).containsExactly(
                "procwarden: --preserve-fd 3: fd 3 was not open when procwarden started (open it in the shell,"
                        + " e.g. 3<FILE)",
                "Try 'procwarden run --help'");
    }

    @Test
    void theLauncherKeepsAStartUpCacheNextToTheJarAndRunsWithIt() throws IOException {
        Cli.Result r = launcher("exec ./procwarden --version");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).as("no JVM log lines: " + r).isEmpty();

        // JDK 25+: an AOT cache; 22-24: an AppCDS archive. A failed training leaves *.failed.
        try (var files = Files.list(Cli.root().resolve("cli/target"))) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("procwarden-")).toList())
                    .anySatisfy(n -> assertThat(n).matches("procwarden-.*\\.(aot|jsa)"))
                    .noneSatisfy(n -> assertThat(n).endsWith(".failed"));
        }
        Cli.Result off = launcher("PROCWARDEN_CDS=off exec ./procwarden run -- sh -c 'exit 4'");
        assertThat(off.exit()).as(off.toString()).isEqualTo(4);
    }

    private static Cli.Result launcher(String script) {
        try (Cli.Running cli = Cli.start(List.of("sh", "-c", script), Map.of(), Cli.root())) {
            return cli.finish();
        }
    }
}
