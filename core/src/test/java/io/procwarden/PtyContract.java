package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.testing.Children;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child on a pseudo-terminal (issue 15), on one backend (subclasses pick it): the child sees a
 * terminal that is its controlling one, of the size set; the master is served by the loop like a
 * pipe; the line discipline turns Ctrl-C, Ctrl-D and erase into what a terminal does; nothing is
 * left behind. Reads run on the test thread; the class timeout ends a hang.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class PtyContract {
    static final long LONG = 60;
    static final TerminalSize SIZE = new TerminalSize(91, 27);

    abstract MonitorBackend backend();

    ProcessMonitor monitor;
    long fdsBefore;
    final List<ChildProcess> children = new ArrayList<>();

    @BeforeEach
    void start() {
        monitor = ProcessMonitor.create(backend());
        fdsBefore = Children.openFds();
    }

    @AfterEach
    void stop() throws Exception {
        for (ChildProcess c : children) {
            c.kill();
            c.onExit().get(LONG, TimeUnit.SECONDS);
            c.close();
        }
        assertThat(TestAccess.loop(monitor).pipes().openEnds()).as("pipe ends left on the loop").isZero();
        monitor.close();
        assertThat(masters()).as("pty masters left open").isZero();
        assertThat(Children.openFds()).as("descriptors leaked").isLessThanOrEqualTo(fdsBefore);
    }

    ChildProcess onPty(String... commandLine) throws SpawnException {
        return onPty(ProcessSpec.of(List.of(commandLine)).pty(SIZE));
    }

    ChildProcess onPty(ProcessSpec spec) throws SpawnException {
        ChildProcess c = spec.spawn(monitor);
        children.add(c);
        return c;
    }

    /** Reads until {@code marker} has been seen (carriage returns dropped); fails at end of stream. */
    static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        while (true) {
            String text = seen.toString(StandardCharsets.UTF_8).replace("\r", "");
            if (text.contains(marker)) return text;
            int n = in.read(b);
            if (n < 0) throw new AssertionError("end of stream before \"" + marker + "\"; got: " + text);
            seen.write(b, 0, n);
        }
    }

    static String all(ChildProcess c) throws Exception {
        ProcessOutput out = c.collect().get(LONG, TimeUnit.SECONDS);
        return out.stdoutText().replace("\r", "");
    }

    static void type(ChildProcess c, String keys) throws IOException {
        OutputStream in = c.stdin();
        in.write(keys.getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Descriptors of this JVM open on a pty master. */
    static long masters() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(p -> {
                try {
                    String t = Files.readSymbolicLink(p).toString();
                    return t.equals("/dev/ptmx") || t.equals("/dev/pts/ptmx");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    /** Prints what the child sees of its terminal; {@link #assertControllingTerminal} reads it. */
    static final String WHERE_AM_I = "test -t 0 && test -t 1 && test -t 2 && echo ISATTY;"
            + " echo \"TTY=$(tty)\"; echo \"DEV=$(stat -L -c '%t:%T' \"$(tty)\")\";"
            + " echo \"STAT=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f3-6)\"; echo \"PID=$$\"";

    @Test
    void theChildSeesATerminalThatIsItsControllingTerminalAndLeadsItsForegroundGroup() throws Exception {
        ChildProcess c = onPty("sh", "-c", WHERE_AM_I);
        assertControllingTerminal(c);
        assertThat(c.spec().isNewSession()).isTrue();
    }

    /** The child of {@link #WHERE_AM_I}: on a terminal, which is its controlling one, leading its session and foreground group. */
    static void assertControllingTerminal(ChildProcess c) throws Exception {
        // fields of /proc/PID/stat after "(comm)": 3 state, 4 ppid, 5 pgrp, 6 session, 7 tty_nr, 8 tpgid
        String out = all(c);
        assertThat(c.waitFor()).isEqualTo(new ExitStatus.Exited(0));
        assertThat(out).contains("ISATTY\n").containsPattern("TTY=/dev/pts/\\d+\n");
        String[] stat = line(out, "STAT=").split(" "); // pgrp session tty_nr tpgid
        String pid = line(out, "PID=");
        assertThat(stat[0]).as("pgrp").isEqualTo(pid);
        assertThat(stat[1]).as("session").isEqualTo(pid);
        assertThat(stat[3]).as("foreground group of its terminal").isEqualTo(pid);
        String[] dev = line(out, "DEV=").split(":");
        int major = Integer.parseInt(dev[0], 16);
        int minor = Integer.parseInt(dev[1], 16);
        int ttyNr = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
        assertThat(Integer.parseInt(stat[2])).as("tty_nr is the pty's device").isEqualTo(ttyNr);
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " in " + out)).substring(prefix.length());
    }

    @Test
    void sttySizeIsTheSizeSetAndAResizeDeliversSigwinchWithTheNewSize() throws Exception {
        ChildProcess c = onPty("python3", "-c", String.join("\n",
                "import os, signal, sys",
                "def on_winch(n, f):",
                "    s = os.get_terminal_size(0)",
                "    print('WINCH %d %d' % (s.lines, s.columns), flush=True)",
                "    sys.exit(0)",
                "signal.signal(signal.SIGWINCH, on_winch)",
                "os.system('stty size')",
                "print('READY', flush=True)",
                "while True: signal.pause()"));
        String before = readUntil(c.stdout(), "READY\n");
        assertThat(before).contains(SIZE.rows() + " " + SIZE.columns() + "\n");
        assertThat(c.terminalSize()).contains(SIZE);
        assertThat(c.resize(new TerminalSize(120, 40))).isTrue();
        assertThat(readUntil(c.stdout(), "WINCH")).contains("WINCH 40 120");
        assertThat(c.waitFor()).isEqualTo(new ExitStatus.Exited(0));
        assertThat(c.resize(SIZE)).as("nothing to resize after the exit").isFalse();
        assertThat(c.terminalSize()).isEmpty();
    }

    @Test
    void ctrlCInterruptsTheForegroundGroup() throws Exception {
        ChildProcess c = onPty("cat");
        type(c, "hello\n");
        readUntil(c.stdout(), "hello\nhello\n"); // the echo, then cat's copy: cat is reading
        type(c, "\u0003");
        assertThat(c.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.INT, false));
    }

    @Test
    void ctrlDGivesEndOfFileToAReadingChild() throws Exception {
        ChildProcess c = onPty("sh", "-c", "read line; echo \"got:$line\"; if read more; then echo MORE; else echo EOF; fi");
        type(c, "hello\n");
        readUntil(c.stdout(), "got:hello\n");
        type(c, "\u0004");
        assertThat(all(c)).contains("EOF\n").doesNotContain("MORE");
        assertThat(c.waitFor()).isEqualTo(new ExitStatus.Exited(0));
    }

    @Test
    void echoAndLineEditingWorkLikeATerminal() throws Exception {
        ChildProcess c = onPty("sh", "-c", "read line; echo \"[$line]\"");
        type(c, "abx\u007fc\n"); // DEL erases the x before the line reaches the child
        String out = all(c);
        assertThat(out).contains("[abc]\n");
        assertThat(out).as("the input was echoed, with the erase").startsWith("abx\b \bc\n");
    }

    @Test
    void bashInteractiveDrivenByAScriptOfInputs() throws Exception {
        ChildProcess c = onPty(ProcessSpec.of("bash", "--norc", "--noprofile", "-i").env("PS1", "PROMPT$ ")
                .env("TERM", "dumb").pty(SIZE));
        readUntil(c.stdout(), "PROMPT$ ");
        type(c, "echo $((6 * 7)) $-\n");
        String out = readUntil(c.stdout(), "PROMPT$ ");
        assertThat(out).containsPattern("\n42 \\S*i\\S*\n"); // interactive: $- has i
        type(c, "exit 7\n");
        assertThat(c.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(7));
    }

    @Test
    void pythonInteractiveDrivenByAScriptOfInputs() throws Exception {
        ChildProcess c = onPty(ProcessSpec.of("python3", "-q", "-i").env("PYTHON_BASIC_REPL", "1").env("TERM", "dumb")
                .pty(SIZE));
        readUntil(c.stdout(), ">>> ");
        type(c, "x = 6 * 7\nprint(x, __import__('sys').stdin.isatty())\n");
        assertThat(readUntil(c.stdout(), "42 True\n")).contains("42 True\n");
        type(c, "raise SystemExit(5)\n");
        assertThat(c.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(5));
    }

    @Test
    void stderrCanStayASeparatePipe() throws Exception {
        ChildProcess c = onPty(ProcessSpec.of("sh", "-c", "echo out; echo err >&2; test -t 2 || echo NOTTY2; test -t 1 && echo TTY1")
                .pty(SIZE, false).stderr(Redirect.PIPE));
        ProcessOutput o = c.collect().get(LONG, TimeUnit.SECONDS);
        assertThat(o.stdoutText().replace("\r", "")).isEqualTo("out\nNOTTY2\nTTY1\n");
        assertThat(o.stderrText()).isEqualTo("err\n");
        assertThat(c.spec().isStderrOnPty()).isFalse();
    }

    @Test
    void chattyOutputArrivesWholeThroughTheLoop() throws Exception {
        ChildProcess c = onPty("seq", "1", "50000");
        String expected = Stream.iterate(1, i -> i + 1).limit(50000).map(String::valueOf)
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(all(c)).isEqualTo(expected);
        assertThat(c.waitFor()).isEqualTo(new ExitStatus.Exited(0));
        assertThat(c.outputCutOff()).isFalse();
    }

    @Test
    void noThreadIsAddedAndNoMasterOutlivesTheChild() throws Exception {
        ChildProcess warm = onPty("true");
        all(warm);
        warm.waitFor();
        assertThat(masters()).as("the stdin end stays until close(), as a stdin pipe does").isEqualTo(1);
        warm.close();
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        ChildProcess c = onPty("sh", "-c", "read x; echo \"x=$x\"");
        assertThat(masters()).as("our original plus the loop's two duplicates").isEqualTo(3);
        Set<Thread> during = Thread.getAllStackTraces().keySet();
        assertThat(during).as("threads while a pty child runs").containsExactlyInAnyOrderElementsOf(before);
        type(c, "1\n");
        assertThat(all(c)).contains("x=1");
        c.waitFor();
        c.close();
        assertThat(masters()).isZero();
    }

    @Test
    void resizeOfAChildWithoutAPtyIsRefused() throws Exception {
        ChildProcess c = ProcessSpec.of("true").spawn(monitor);
        children.add(c);
        assertThatThrownBy(() -> c.resize(SIZE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no pseudo-terminal");
    }

    @Test
    void aJailedChildOnAPtyHasItAsItsControllingTerminalAndGetsCtrlC() throws Exception {
        JailSpec jail = JailSpec.development();
        jail.checkSupported(); // setpriv: a prerequisite here (scripts/ci-prereqs.sh), so a missing one fails by name
        assertControllingTerminal(onPty(ProcessSpec.of("sh", "-c", WHERE_AM_I).pty(SIZE).jail(jail)));
        ChildProcess cat = onPty(ProcessSpec.of("cat").pty(SIZE).jail(jail));
        type(cat, "hello\n");
        readUntil(cat.stdout(), "hello\nhello\n");
        type(cat, "\u0003");
        assertThat(cat.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.INT, false));
    }

    @Test
    void aSandboxedChildOnAPtySeesItsTerminalAndGetsCtrlC() throws Exception {
        JailSpec jail = JailSpec.standard(); // bubblewrap, in PID namespace: ids inside are not ours
        jail.checkSupported();
        ChildProcess c = onPty(ProcessSpec.of("/bin/sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo ISATTY;"
                + " echo \"TTYNR=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f5)\"").pty(SIZE).jail(jail));
        String out = all(c);
        assertThat(c.waitFor()).isEqualTo(new ExitStatus.Exited(0));
        assertThat(out).contains("ISATTY\n");
        assertThat(line(out, "TTYNR=")).as("a controlling terminal (tty_nr), inside the sandbox too").isNotEqualTo("0");
        ChildProcess cat = onPty(ProcessSpec.of("/bin/cat").pty(SIZE).jail(jail));
        type(cat, "hello\n");
        readUntil(cat.stdout(), "hello\nhello\n");
        type(cat, "\u0003");
        assertThat(cat.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.INT, false));
    }

    @Test
    void aContainedTreeOnAPtyIsKilledWholeDaemonsIncluded() throws Exception {
        assertControllingTerminal(onPty(ProcessSpec.of("sh", "-c", WHERE_AM_I).pty(SIZE).containTree()));
        // A daemon (setsid, double fork) leaves the terminal's session; the tree kill still reaches it.
        ChildProcess c = onPty(ProcessSpec.of("sh", "-c", "setsid sh -c 'sleep 600 & echo DAEMON=$!' < /dev/null;"
                + " stty size; exec cat").pty(SIZE).containTree());
        String seen = readUntil(c.stdout(), SIZE.rows() + " " + SIZE.columns() + "\n");
        long daemon = Long.parseLong(line(seen, "DAEMON=").strip());
        java.util.concurrent.CompletableFuture<ExitStatus> gone = monitor.watch(daemon);
        assertThat(gone).as("the daemon runs").isNotDone();
        assertThat(c.killTree()).isTrue();
        assertThat(c.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(gone.get(LONG, TimeUnit.SECONDS)).as("the daemon is gone too").isNotNull();
    }
}
