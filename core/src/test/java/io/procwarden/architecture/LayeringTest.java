package io.procwarden.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ProcessMonitor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Arrows point down: no class under {@code io.procwarden.internal} depends on a face of the
 * public package ({@code ProcessSpec}, {@code JailSpec}, {@code ChildProcess}, a launcher,
 * {@code ProcessMonitor}, {@code MonitorBackend}, ...), only on the values and exceptions in
 * {@link #ALLOWED}. Checked with the JDK's own {@code jdeps -verbose:class} over the module's
 * compiled classes, so nothing a reader cannot rerun by hand:
 * <pre>
 * jdeps -verbose:class -filter:none core/target/classes | grep 'io.procwarden.internal.* -> io.procwarden.[A-Z]'
 * </pre>
 *
 * <p>A new public type is a face until it is added to {@link #ALLOWED}: that list is the
 * decision, made in review, that internals may know it (a value or an exception, with no
 * behaviour that reaches back into internal code).
 *
 * <p>Before the one-way-layers change (main at e275fa3) internal {@code jail} read
 * {@code JailSpec} and internal {@code monitor} and {@code spawn} read {@code MonitorBackend};
 * this test was written red against that state and must never be disabled.
 */
class LayeringTest {
    /** The public-package types internal code may depend on (top-level names; nested types count as their outer type). */
    static final Set<String> ALLOWED = Set.of(
            "ExitStatus", "Signal", "ResourceUsage", "ProcessIdentity", "Redirect", "FdCloseMechanism",
            "SyscallException", "SpawnException", "JailUnavailableException");

    private static final String PUBLIC = "io.procwarden";
    private static final String INTERNAL = "io.procwarden.internal.";
    // "   io.procwarden.internal.x.A$B      -> io.procwarden.C$D      io.procwarden"
    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+\\S.*$");

    @Test
    void noInternalClassDependsOnAFaceOfThePublicPackage() throws Exception {
        List<String[]> edges = jdepsEdges(moduleClasses());
        TreeMap<String, TreeSet<String>> violations = new TreeMap<>();
        int internalToPublic = 0;
        for (String[] e : edges) {
            if (!e[0].startsWith(INTERNAL) || !packageOf(e[1]).equals(PUBLIC)) continue;
            internalToPublic++;
            String target = topLevelSimpleName(e[1]);
            if (!ALLOWED.contains(target)) {
                violations.computeIfAbsent(PUBLIC + "." + target, k -> new TreeSet<>()).add(topLevel(e[0]));
            }
        }
        assertThat(internalToPublic).as("jdeps found no internal -> public edge at all: the parse is broken").isPositive();
        if (!violations.isEmpty()) {
            StringBuilder b = new StringBuilder("internal classes depend on faces of the public package (allowed: "
                    + new TreeSet<>(ALLOWED) + "):\n");
            violations.forEach((target, from) -> b.append("  ").append(target).append(" <- ").append(String.join(", ", from)).append('\n'));
            throw new AssertionError(b.append("Hand internals a plan or a value instead; see LayeringTest's Javadoc."));
        }
    }

    @Test
    void everyAllowedTypeExistsInThePublicPackage() {
        for (String name : ALLOWED) {
            assertThat(ProcessMonitor.class.getModule().getClassLoader().getResource(PUBLIC.replace('.', '/') + "/" + name + ".class"))
                    .as("ALLOWED names %s, which the public package does not have", name).isNotNull();
        }
    }

    @Test
    void theTestsRunInsideTheNamedModule() {
        // On the class path (surefire useModulePath=false) a split package would go unnoticed.
        assertThat(getClass().getModule().getName())
                .as("tests must run on the module path, patched into io.procwarden (core/pom.xml)").isEqualTo(PUBLIC);
        assertThat(ProcessMonitor.class.getModule().isNamed()).isTrue();
    }

    /** The directory (or jar) the module's own classes come from: core/target/classes in a build. */
    static Path moduleClasses() {
        Module m = ProcessMonitor.class.getModule();
        URI location = m.getLayer().configuration().findModule(m.getName()).orElseThrow().reference().location().orElseThrow();
        return Path.of(location);
    }

    /** {@code jdeps -verbose:class -filter:none <classes>}, as (from, to) class-name pairs. */
    static List<String[]> jdepsEdges(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:class", "-filter:none", classes.toString());
        if (rc != 0) throw new IllegalStateException("jdeps " + classes + " failed (" + rc + "): " + err + out);
        List<String[]> edges = new ArrayList<>();
        for (String line : out.toString().lines().toList()) {
            Matcher mt = EDGE.matcher(line);
            if (mt.matches()) edges.add(new String[] {mt.group(1), mt.group(2)});
        }
        return edges;
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static String topLevel(String className) {
        int dollar = className.indexOf('$');
        return dollar < 0 ? className : className.substring(0, dollar);
    }

    private static String topLevelSimpleName(String className) {
        String top = topLevel(className);
        return top.substring(top.lastIndexOf('.') + 1);
    }
}
