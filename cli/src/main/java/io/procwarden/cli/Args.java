package io.procwarden.cli;

import java.util.List;
import java.util.function.Function;

/**
 * The words of one command line, read option by option, the way GNU {@code getopt_long}
 * reads them: {@code --name VALUE} or {@code --name=VALUE}, {@code -x VALUE} or
 * {@code -xVALUE}, short flags clustered ({@code -vh}), {@code --} ending the options. Each
 * command's parser asks for the next option name, then for its value or takes it as a flag;
 * anything wrong is a {@link UsageException} naming the option, as picocli worded it before.
 *
 * <p>Hand-written rather than picocli: picocli's reflection, annotation proxies and ~140
 * classes (compiled for Java 5, so never archived by CDS or the AOT cache) took ~140 ms of
 * every start (docs/startup.md).
 *
 * <p>Not thread-safe; one instance per parse.
 */
final class Args {
    private final String command;
    private final List<String> words;
    private int next;
    private String name;     // the option being read
    private String attached; // its value from --name=VALUE or -xVALUE; null if none
    private boolean shortCluster; // attached came from -xREST, which may be more flags
    private boolean optionsEnded;

    /**
     * @param command the command's name in messages and the hint ({@code "run"}; {@code ""}: the top level)
     * @param words the words after the command's name
     */
    Args(String command, List<String> words) {
        this.command = command;
        this.words = words;
    }

    /** The command's name, for {@link UsageException}. */
    String command() {
        return command;
    }

    /**
     * Moves to the next option and returns its name ({@code --timeout}, {@code -k}); null when
     * the next word is not an option (or after {@code --}), which {@link #rest()} then gives.
     */
    String option() {
        if (name != null && attached != null) {
            throw usage("option '" + name + "' takes no value (\"" + attached + "\")");
        }
        name = null;
        attached = null;
        if (optionsEnded || next >= words.size()) {
            return null;
        }
        String w = words.get(next);
        if (w.equals("--")) {
            next++;
            optionsEnded = true;
            return null;
        }
        if (w.length() < 2 || w.charAt(0) != '-') {
            return null;
        }
        next++;
        if (w.startsWith("--")) {
            int eq = w.indexOf('=');
            name = eq < 0 ? w : w.substring(0, eq);
            attached = eq < 0 ? null : w.substring(eq + 1);
            shortCluster = false;
        } else {
            name = w.substring(0, 2);
            attached = w.length() > 2 ? w.substring(2) : null;
            shortCluster = attached != null;
        }
        return name;
    }

    /** The current option is a flag: no value; clustered short flags ({@code -vh}) come next. */
    boolean flag() {
        if (attached != null && shortCluster) {
            next--;
            words.set(next, "-" + attached); // the rest of the cluster is the next option
            attached = null;
        }
        return true;
    }

    /** The current option's value: attached, or the next word (whatever it is, as getopt does). */
    String value(String label) {
        if (attached != null) {
            String v = attached;
            attached = null;
            return v;
        }
        if (next >= words.size()) {
            throw usage("Missing required parameter for option '" + name + "' (" + label + ")");
        }
        return words.get(next++);
    }

    /** The current option's value converted; a conversion's IllegalArgumentException names the option. */
    <T> T value(String label, Function<String, T> convert) {
        String v = value(label);
        try {
            return convert.apply(v);
        } catch (IllegalArgumentException e) {
            throw usage("Invalid value for option '" + name + "': " + e.getMessage());
        }
    }

    /** The current option is not one of the command's. */
    UsageException unknown() {
        return usage("Unknown option: '" + name + "'");
    }

    /** The words not read as options: the positional arguments. */
    List<String> rest() {
        return words.subList(next, words.size());
    }

    /**
     * Skips one positional word and goes on reading options after it (wait's pids and options
     * may come in any order); the word is returned.
     */
    String positional() {
        return words.get(next++);
    }

    /** True while words remain. */
    boolean hasMore() {
        return next < words.size();
    }

    UsageException usage(String message) {
        return new UsageException(command, message);
    }
}
