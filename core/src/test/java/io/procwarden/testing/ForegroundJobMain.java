package io.procwarden.testing;

import io.procwarden.ChildProcess;
import io.procwarden.ProcessSpec;
import io.procwarden.SpawnException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Tty;
import java.nio.charset.StandardCharsets;

/**
 * A JVM on a terminal (the test starts it on a pty) that starts foreground jobs and reports, on
 * its stdout (the terminal), what it saw: args {@code job} or {@code refuse}.
 */
public final class ForegroundJobMain {
    private ForegroundJobMain() {}

    /** The first job: where it stands, one line read from the terminal, then a crash in raw mode. */
    static final String CRASH_IN_RAW_MODE = "read -r l < /proc/$$/stat; echo \"CHILD $$ $l CHILD-END\";"
            + " read -r x; echo \"GOT $x\"; stty raw -echo; kill -SEGV $$";

    public static void main(String[] args) throws Exception {
        if (args[0].equals("refuse")) {
            try (ChildProcess c = ProcessSpec.of("true").foregroundJob().spawn()) {
                System.out.println("STARTED " + c.waitFor());
            } catch (SpawnException e) {
                System.out.println("REFUSED " + e.errnoName().orElse("-") + " " + e.getMessage() + " REFUSED-END");
            }
            return;
        }
        Fd terminal = Fd.adopt(0, "stdin"); // never closed: it only names fd 0
        int ours = Tty.processGroup();
        String before = stty();
        try (ChildProcess c = ProcessSpec.of("sh", "-c", CRASH_IN_RAW_MODE).foregroundJob().spawn()) {
            System.out.println("STATUS1 " + c.waitFor());
        }
        System.out.println("AFTER1 foreground=" + (Tty.foregroundGroup(terminal) == ours)
                + " restored=" + before.equals(stty()) + " END1");
        try (ChildProcess c = ProcessSpec.of("sh", "-c", "echo READY2; exec cat").foregroundJob().spawn()) {
            System.out.println("STATUS2 " + c.waitFor());
        }
        System.out.println("AFTER2 foreground=" + (Tty.foregroundGroup(terminal) == ours) + " END2");
    }

    /** {@code stty -g} of our terminal, run in our own group (the foreground one). */
    private static String stty() throws Exception {
        Process p = new ProcessBuilder("stty", "-g").redirectInput(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) throw new IllegalStateException("stty -g failed");
        return out;
    }
}
