package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code mvn} on a JDK older than 22 stops at once with a message naming the JDK it needs
 * (maven-enforcer-plugin in the root pom), not later with "Unsupported major.minor version".
 * Runs Maven on the root pom alone ({@code -N validate}, offline: the plugin is in the local
 * repository once the build ran); skipped where no older JDK is installed.
 */
class BuildJdkCheckIT {
    @Test
    void mavenOnAnOldJdkSaysWhichJdkItNeeds() {
        Optional<Path> old = oldJdk();
        assumeTrue(old.isPresent(), "no JDK older than 22 under /usr/lib/jvm");
        String mvn = System.getProperty("os.name").startsWith("Windows") ? "mvn.cmd" : "mvn";

        Cli.Result r;
        try (Cli.Running build = Cli.start(List.of(mvn, "-B", "-o", "-N", "validate"),
                // As a user's plain mvn: without the MAVEN_OPTS our scripts add for JDK 24+, which an
                // old JDK refuses before Maven could say anything.
                Map.of("JAVA_HOME", old.get().toString(), "PATH", old.get().resolve("bin") + ":" + System.getenv("PATH"),
                        "MAVEN_OPTS", ""),
                Cli.root())) {
            r = build.finish();
        }

        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(String.join("\n", r.out())).as(r.toString())
                .contains("procwarden needs a JDK 22 or newer", "Set JAVA_HOME to a JDK 22+");
    }

    /** A JDK 8-21 with bin/java and a release file that says so. */
    private static Optional<Path> oldJdk() {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) return Optional.empty();
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")))
                    .filter(h -> feature(h).filter(v -> v >= 8 && v < 22).isPresent())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    if (v.startsWith("1.")) v = v.substring(2);
                    return Optional.of(Integer.parseInt(v.split("[^0-9]")[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no release file: not a JDK we can tell
        }
        return Optional.empty();
    }
}
