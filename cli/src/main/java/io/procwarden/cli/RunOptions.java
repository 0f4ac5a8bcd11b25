package io.procwarden.cli;

import io.procwarden.JailSpec;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.TreeMechanism;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * Turns the options of {@code run} into a {@link ProcessSpec}, checking first everything that
 * is procwarden's to provide: the directory, the output files, the fds to pass on. A problem
 * with one of them is procwarden's error (status 125, naming the option), found before
 * anything is started; a spawn failure can then only be about the command itself (126, 127).
 */
final class RunOptions {
    /**
     * System property set by the {@code ./procwarden} launcher: the fds that were open when it
     * started ({@code 0,1,2,5}). Without it, a {@code --preserve-fd N} that the caller did not
     * open could hand the child one of the JVM's own fds (the JDK's modules file is often fd 3),
     * since the JVM opens some without close-on-exec.
     */
    static final String LAUNCHER_FDS = "procwarden.launcher.fds";

    private RunOptions() {}

    /** The spec for {@code run}'s options and command. */
    static ProcessSpec toProcessSpec(RunCommand o) {
        if (o.grace != null && o.timeout == null) {
            throw usage(o.graceOption + " needs --timeout (it is the time between the timeout's signal and SIGKILL)");
        }
        if (o.pty && o.foreground) {
            throw usage("--pty and --foreground exclude each other (with --pty, CMD leads its own terminal's session)");
        }
        if (o.pty && o.stdout != null) {
            throw usage("--pty and --stdout exclude each other (CMD's stdout is its terminal, relayed to procwarden's)");
        }
        if (o.foreground && o.newSession) {
            throw usage("--foreground and --new-session exclude each other (a new session has no terminal)");
        }
        try {
            ProcessSpec p = ProcessSpec.of(o.command);
            if (o.envClear || !o.envKeep.isEmpty()) {
                p = p.inheritEnvironmentOnly(o.envKeep);
            }
            for (String setting : o.env) {
                int eq = setting.indexOf('=');
                if (eq <= 0) {
                    throw usage("--env \"" + setting + "\": use NAME=VALUE");
                }
                p = p.env(setting.substring(0, eq), setting.substring(eq + 1));
            }
            if (o.cwd != null) {
                p = p.directory(directory(o.cwd));
            }
            if (o.stdout != null) {
                p = p.stdout(output("--stdout", o.stdout, o.append));
            }
            if (o.pty) {
                // stderr on the terminal too, unless --stderr FILE sends it elsewhere
                p = p.pty(PtyRelay.initialSize(), o.stderr == null);
            }
            if (o.stderr != null) {
                // One open file for both, as the shell's >FILE 2>&1: two would overwrite each other.
                p = p.stderr(o.stdout != null && sameFile(o.stdout, o.stderr)
                        ? Redirect.TO_STDOUT
                        : output("--stderr", o.stderr, o.append));
            }
            Set<Integer> launcherFds = launcherFds();
            for (int fd : o.preserveFds) {
                if (fd <= 2) {
                    throw usage("--preserve-fd " + fd + ": fds 0, 1 and 2 are always passed on"
                            + " (--stdout and --stderr redirect them)");
                }
                if (launcherFds != null && !launcherFds.contains(fd)) {
                    throw usage("--preserve-fd " + fd + ": fd " + fd + " was not open when procwarden started"
                            + " (open it in the shell, e.g. " + fd + "<FILE)");
                }
                p = p.preserveFd(fd, fd);
            }
            p = contained(p, o);
            // --foreground: CMD stays in our group, the terminal's foreground group if we are in it.
            // Else CMD leads a group of its own, and in procwarden's terminal, when procwarden is its
            // foreground job, that group is the foreground job while CMD runs (JobControl).
            if (o.newSession) return p.newSession();
            if (o.foreground) return p;
            return !o.pty && JobControl.possible() ? p.foregroundJob() : p.newProcessGroup();
        } catch (IllegalArgumentException e) { // NUL in an argument, '=' in a name, ...
            throw usage(e.getMessage());
        }
    }

    /**
     * CMD's whole tree contained (unless {@code --no-tree}) and a parent-death SIGKILL for CMD,
     * each where this host offers it (without a cgroup or subreaper, or without util-linux
     * {@code setpriv}, run goes on without; {@code --debug} says why): if procwarden is killed
     * by SIGKILL, CMD dies with it.
     */
    private static ProcessSpec contained(ProcessSpec p, RunCommand o) {
        if (!o.noTree) {
            try {
                TreeMechanism.selected();
                p = p.containTree();
            } catch (IllegalStateException e) {
                debug(o, "CMD's tree is not contained: " + e.getMessage());
            }
        }
        JailSpec deathSignal = JailSpec.none().parentDeathSignal(Signal.KILL);
        try {
            deathSignal.checkSupported();
            p = p.jail(deathSignal);
        } catch (IOException e) {
            debug(o, "no parent-death signal for CMD: " + e.getMessage());
        }
        return p;
    }

    private static void debug(RunCommand o, String message) {
        if (o.flags().debug) {
            System.err.println("procwarden: debug: " + message);
        }
    }

    private static Path directory(Path dir) {
        String problem = !Files.exists(dir) ? "no such directory"
                : !Files.isDirectory(dir) ? "not a directory"
                : !Files.isExecutable(dir) ? "permission denied"
                : null;
        if (problem != null) {
            throw usage("--cwd " + dir + ": " + problem);
        }
        return dir;
    }

    /**
     * A redirect to {@code file}, after making sure it can be opened for writing: a regular or
     * missing file is opened (created, not truncated: the spawn truncates it unless appending);
     * anything else (a FIFO would block the open until a reader comes) is only checked.
     */
    private static Redirect output(String option, Path file, boolean append) {
        String problem = null;
        if (Files.isDirectory(file)) {
            problem = "is a directory";
        } else if (Files.exists(file) && !Files.isRegularFile(file)) {
            problem = Files.isWritable(file) ? null : "permission denied";
        } else {
            try (OutputStream probe = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                // opened: the spawn can open it too
            } catch (IOException e) {
                problem = reason(e);
            }
        }
        if (problem != null) {
            throw usage(option + " " + file + ": cannot open for writing: " + problem);
        }
        return append ? Redirect.appendTo(file) : Redirect.to(file);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false; // one does not exist yet: not the same
        }
    }

    /** The fds the launcher saw open; null when not started by it (then nothing can be checked). */
    private static Set<Integer> launcherFds() {
        String value = System.getProperty(LAUNCHER_FDS);
        if (value == null) {
            return null;
        }
        Set<Integer> fds = new HashSet<>();
        for (String n : value.split(",")) {
            if (!n.isBlank()) {
                fds.add(Integer.parseInt(n.strip()));
            }
        }
        return fds;
    }

    private static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileSystemException x when x.getReason() != null -> x.getReason();
            default -> String.valueOf(e.getMessage());
        };
    }

    private static UsageException usage(String message) {
        return new UsageException("run", message);
    }
}
