package io.procwarden.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/** How this JVM was started: to start another one like it, and to say in the report how it ran. */
final class Jvm {
    private Jvm() {}

    /**
     * This JVM's options, as a fresh JVM needs them: the launcher's record of {@code -m}
     * ({@code -Djdk.module.main}) is left out, the module path, exports and native access kept.
     */
    static List<String> options() {
        List<String> out = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Djdk.module.main=")) out.add(a);
        }
        return out;
    }

    /** The command that runs {@code main} with {@code args} in a fresh JVM with this one's options. */
    static List<String> command(Class<?> main, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        cmd.addAll(options());
        if (main.getModule().isNamed()) {
            cmd.addAll(List.of("-m", main.getModule().getName() + "/" + main.getName()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        }
        cmd.addAll(args);
        return cmd;
    }

    /**
     * The options as the report shows them: no {@code -D} (paths of this checkout), the module
     * path named by what it holds rather than where this machine keeps it.
     */
    static String shownOptions() {
        List<String> out = new ArrayList<>();
        for (String a : options()) {
            if (a.startsWith("-D")) continue;
            out.add(a.startsWith("--module-path=") ? "--module-path=bench/target/classes:core/target/classes:<nuprocess, pty4j, kotlin-stdlib, jna>" : a);
        }
        return String.join(" ", out);
    }
}
