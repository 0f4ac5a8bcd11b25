package io.procwarden.cli;

/** The text of {@code procwarden run --help}: options, GNU {@code timeout(1)} differences, examples, exit status. */
final class RunHelp {
    private RunHelp() {}

    static final String TEXT = """
            Usage: procwarden run [OPTIONS] [--] CMD [ARG...]
            Run CMD in its own process group with only fds 0, 1, 2 and a clean signal state,
            its whole process tree contained; forward the signals that would kill procwarden
            to that tree; kill what CMD leaves running when it ends; exit with its status.
                  CMD...                 The command and its arguments (everything after the
                                           first non-option word, or after --).
                  --timeout=DUR          After DUR, send the --signal (SIGTERM) to CMD's tree,
                                           then exit 124; 0: no timeout.
                  --grace=DUR, -k DUR, --kill-after=DUR
                                         With --timeout: SIGKILL to the tree DUR after the
                                           signal (default: 10s; 0: never).
              -s, --signal=SIG           Signal to send on timeout: a name (TERM, SIGINT,
                                           kill) or number (default: TERM).
                  --preserve-status      On timeout, exit with CMD's status (128+N if signal
                                           N killed it), not 124.
                  --foreground           Keep CMD in procwarden's process group: it may read
                                           the terminal; only CMD (not its children) gets the
                                           signals, and on timeout only CMD is killed.
                  --env-clear            Start CMD with an empty environment.
                  --env-keep=NAME        Keep only NAME of procwarden's environment
                                           (repeatable; implies --env-clear).
                  --env=NAME=VALUE       Set a variable for CMD (repeatable).
                  --cwd=DIR              Run CMD in DIR.
                  --stdout=FILE          Write CMD's stdout to FILE (truncated first).
                  --stderr=FILE          Write CMD's stderr to FILE (may be the --stdout FILE).
                  --append               Append to the --stdout and --stderr FILEs instead.
                  --preserve-fd=N        Pass procwarden's fd N on to CMD as fd N (repeatable;
                                           N >= 3).
                  --new-session          Start CMD in a new session (setsid): no controlling
                                           terminal.
                  --no-tree              Do not contain CMD's tree: signals go to CMD's process
                                           group only, and what CMD leaves running outlives it.
                  --pty                  Run CMD on a new pseudo-terminal (its stdin, stdout
                                           and, unless --stderr is given, stderr), relayed to
                                           procwarden's stdin and stdout; raw mode here while
                                           stdin is a terminal; window size changes follow.
                  --status               When CMD ends, print how, its wall and CPU time and
                                           peak RSS on stderr.
                  --json                 When CMD ends, print one JSON line about it on stderr.
              -h, --help                 Show this help and exit.
                  --debug                Show the stack trace of errors.

            DUR: a number with an optional unit: ms, s (the default), m, h, d; fractions
            are allowed (1.5s, .1, 2.5m).

            CMD is looked up on procwarden's own PATH, not on one set with --env.
            FILEs and a relative DIR are taken relative to the current directory.
            CMD's tree is every process CMD starts, and theirs, however they detach
            (double fork, setsid): a cgroup v2 leaf, else a v1 cgroup with the freezer,
            else procwarden as child subreaper (procwarden info shows which).
            SIGINT (even when procwarden was started with it ignored, as a background job),
            SIGTERM, SIGHUP, SIGUSR1, SIGALRM and the other signals that would kill
            procwarden go on to CMD's tree (then SIGCONT); procwarden ends when CMD does.
            If procwarden is killed by SIGKILL (or crashes), CMD gets SIGKILL (a
            parent-death signal, with util-linux setpriv); CMD's descendants too on a
            cgroup v2 tree (its guardian), else they live on. Run in a terminal (stdin a terminal, procwarden its foreground job),
            CMD's group is the terminal's foreground job while it runs, as under a shell:
            it reads the terminal, Ctrl-C and Ctrl-Z reach it (Ctrl-Z stops procwarden too;
            fg continues both), and the terminal gets its settings back when CMD ends, even
            after a crash in raw mode. Else (a pipe, or run with &) it is a background group
            that stops if it reads the terminal; --foreground keeps CMD in procwarden's
            group; --pty gives CMD a new terminal of its own.

            As GNU timeout(1), with these differences: the timeout is an option
            (--timeout DUR), not the first word; the SIGKILL escalation is on by default
            (--grace 10s; -k 0 turns it off); durations may be given in ms; the signals
            reach CMD's whole tree, not only its process group; SIGQUIT and SIGUSR2 are not
            forwarded (the JVM keeps them); 125 is also procwarden's status for an
            unusable --cwd, --stdout, --stderr or --preserve-fd; a CMD killed by a signal
            makes procwarden exit 128+N, it does not kill itself with that signal.

            Examples:
              procwarden run -- make test            exit with make's status
              procwarden run --timeout 30s --grace 2s -- ./server
                                                     SIGTERM after 30 s, SIGKILL 2 s later
              procwarden run --timeout 1.5 -s INT -k 0 -- ./job   SIGINT only, no SIGKILL
              procwarden run -- vim notes.txt        vim as the terminal's foreground job
              procwarden run --env-keep PATH --env LANG=C -- env   only these two
              procwarden run --stdout out.log --append --status -- ./job
              procwarden run --json -- sh -c 'exit 3' 2>&1 | tail -n 1
              procwarden run --preserve-fd 3 -- cat /dev/fd/3 3<input.txt
              procwarden run --pty -- bash -i         an interactive shell on its own pty
              printf 'print(6*7)\n' | procwarden run --pty -- python3 -i

            --status prints on stderr: pid, how it ended, wall and CPU time, peak RSS.
            --json prints one JSON object on stderr, the same keys every time:
              pid, status (exited|signaled|unknown), code, signal, core_dumped,
              timed_out, wall_ms, cpu_ms, user_cpu_ms, sys_cpu_ms, peak_rss_bytes,
              peak_rss_exact, exit; or {"status":"not_started","errno":...,
              "message":...,"exit":...} when CMD could not be started, and
              {"status":"error","errno":null,"message":...,"exit":125} for
              procwarden's own errors (bad option, unusable file). On Linux a child's
              peak RSS includes procwarden's own at the spawn: '<=' (peak_rss_exact
              false) marks that.

            Exit status: CMD's status; 128+N if signal N killed it; 124 timed out
            (137 if SIGKILL was needed, as GNU timeout; --preserve-status: CMD's);
            125 procwarden failed (bad option, unusable file or fd); 126 CMD cannot
            be run (not executable, bad format); 127 CMD not found.
            """;
}
