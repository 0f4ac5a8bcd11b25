package io.procwarden.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The training run behind the launcher's start-up cache: runs each command once, as a user
 * would, so that the JDK 25 AOT cache (JEPs 483, 514, 515; {@code -XX:AOTCacheOutput}) or,
 * on JDK 22-24, the AppCDS archive ({@code -XX:ArchiveClassesAtExit}) holds the classes,
 * linkage and profiles of every command's path, not only of one. Output is discarded.
 *
 * <p>Started by {@code ./procwarden} with {@code -cp procwarden.jar io.procwarden.cli.AotTraining}
 * (the cache then fits {@code -jar procwarden.jar}: the same class path), never by users. Exits
 * 0 even if a command failed: a training run only has to run the code.
 */
public final class AotTraining {
    private AotTraining() {}

    /** Runs the commands; {@code args} are ignored. */
    public static void main(String[] args) throws IOException, InterruptedException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        System.setOut(nowhere);
        System.setErr(nowhere);
        try {
            Main.execute("--version");
            Main.execute("--help");
            Main.execute("run", "--help");
            Main.execute("run", "--bogus", "--json", "--", "true");
            Main.execute("run", "--status", "--json", "--", "true");
            Main.execute("run", "--timeout", "20ms", "-k", "1s", "--", "sleep", "5");
            Main.execute("run", "--", "procwarden-aot-training-no-such-command");
            Main.execute("wait", "--timeout", "0", "1");
            Main.execute("wait", "-v", Long.toString(orphan()));
            Main.execute("info");
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** A process that is not ours (a shell's background sleep; the shell has exited) and ends soon. */
    private static long orphan() throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("sh", "-c", "sleep 0.2 </dev/null >/dev/null 2>&1 & echo $!")
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.US_ASCII))) {
            String line = r.readLine();
            sh.waitFor();
            return Long.parseLong(line.strip());
        }
    }
}
