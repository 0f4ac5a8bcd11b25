package io.procwarden.cli;

import io.procwarden.ChildProcess;
import io.procwarden.TerminalSize;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code run --pty}: relays procwarden's stdin and stdout through the child's pseudo-terminal.
 *
 * <p>When stdin is a terminal it goes into raw mode, so that every key (Ctrl-C, Ctrl-Z, arrows)
 * reaches the child's terminal, whose line discipline and foreground group do what a terminal
 * does; the saved settings are put back on every way out: the child's exit (however it ended),
 * a failure here, and the JVM's shutdown (a shutdown hook, for a signal that ends procwarden;
 * SIGINT, SIGTERM and SIGHUP are forwarded to the child instead, and procwarden ends with it).
 * Only SIGKILL of procwarden leaves the terminal raw ({@code stty sane} repairs it).
 *
 * <p>SIGWINCH of procwarden's terminal resizes the child's. When stdin is not a terminal (a
 * pipe, a file), its end of file is passed on as the terminal's EOF character (Ctrl-D), as
 * {@code script(1)} does, so a shell or REPL fed from a file ends.
 *
 * <p>Threads: one platform thread copies stdin (waiting in poll(2), woken at the end, so that
 * it is out of native code before the JVM exits), one copies the terminal's output to stdout.
 */
final class PtyRelay implements AutoCloseable {
    private static final byte VEOF = 0x04;
    private static final Duration OUTPUT_END = Duration.ofSeconds(10);

    private volatile ChildProcess child; // set by attach, before the threads start
    private final PrintStream err;
    private final TerminalMode mode; // null: stdin is not a terminal, or raw mode failed
    private final Thread restoreHook;
    private final StdinPoll stdinPoll;
    private final Thread input;
    private final Thread output;
    private sun.misc.SignalHandler previousWinch;

    private PtyRelay(PrintStream err, TerminalMode mode) {
        this.err = err;
        this.mode = mode;
        this.restoreHook = mode == null ? null : new Thread(mode::close, "procwarden-terminal-restore");
        this.stdinPoll = new StdinPoll();
        this.input = Thread.ofPlatform().daemon().name("procwarden-pty-in").unstarted(this::copyInput);
        this.output = Thread.ofPlatform().name("procwarden-pty-out").unstarted(this::copyOutput);
    }

    /** The size to give the child's terminal: procwarden's own, if it has one, else 80x24. */
    static TerminalSize initialSize() {
        for (int fd = 0; fd <= 2; fd++) {
            Optional<TerminalSize> s = TerminalMode.isTerminal(fd) ? TerminalMode.size(fd) : Optional.empty();
            if (s.isPresent()) return s.get();
        }
        return TerminalSize.DEFAULT;
    }

    /**
     * Before the spawn: raw mode on our terminal if stdin is one, so that no key typed while CMD
     * starts is edited or echoed here. {@link #close()} restores it if the spawn fails.
     */
    static PtyRelay prepare(PrintStream err) {
        TerminalMode mode = null;
        if (TerminalMode.isTerminal(0)) {
            try {
                mode = TerminalMode.raw(0);
            } catch (IllegalStateException e) {
                err.println("procwarden: warning: cannot put the terminal into raw mode (" + e.getMessage()
                        + "); keys are edited by this terminal first");
            }
        }
        PtyRelay relay = new PtyRelay(err, mode);
        if (relay.restoreHook != null) Runtime.getRuntime().addShutdownHook(relay.restoreHook);
        return relay;
    }

    /** Starts relaying for the child, spawned with a pty. */
    void attach(ChildProcess c) {
        child = c;
        forwardWindowSize();
        input.start();
        output.start();
    }

    private void forwardWindowSize() {
        int fd = TerminalMode.isTerminal(0) ? 0 : TerminalMode.isTerminal(1) ? 1 : -1;
        if (fd < 0) return;
        try {
            previousWinch = sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> resize(fd));
        } catch (IllegalArgumentException e) {
            err.println("procwarden: warning: cannot follow window size changes: " + e.getMessage());
        }
        resize(fd); // a change between reading the size for the spawn and the handler
    }

    private void resize(int fd) {
        try {
            TerminalMode.size(fd).ifPresent(child::resize);
        } catch (RuntimeException e) {
            err.println("procwarden: warning: cannot resize the child's terminal: " + e.getMessage());
        }
    }

    private void copyInput() {
        boolean terminal = mode != null || TerminalMode.isTerminal(0);
        byte[] b = new byte[8192];
        byte last = '\n';
        InputStream in = new FileInputStream(FileDescriptor.in); // not closed: fd 0 stays procwarden's
        try {
            OutputStream to = child.stdin();
            while (stdinPoll.await()) {
                int n = in.read(b);
                if (n < 0) {
                    if (!terminal) {
                        // A pending partial line takes one EOF to be sent, an empty line one more to read as EOF.
                        to.write(last == '\n' ? new byte[] {VEOF} : new byte[] {VEOF, VEOF});
                        to.flush();
                    }
                    return;
                }
                if (n > 0) {
                    to.write(b, 0, n);
                    to.flush();
                    last = b[n - 1];
                }
            }
        } catch (IOException e) {
            // the child's terminal is gone (it exited) or stdin failed: nothing more to relay
        }
    }

    private void copyOutput() {
        byte[] b = new byte[16384];
        try {
            InputStream from = child.stdout();
            OutputStream out = new FileOutputStream(FileDescriptor.out);
            for (int n; (n = from.read(b)) >= 0; ) {
                out.write(b, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // stdout closed by the reader of procwarden's output: the child's output has nowhere to go
        }
    }

    /**
     * After the child's exit: waits for its last output (the stream ends once nobody holds the
     * terminal, or at the drain deadline), stops the input thread, restores the terminal.
     */
    void finish() throws InterruptedException {
        if (child != null && !output.join(OUTPUT_END)) {
            err.println("procwarden: warning: the child's terminal output did not end within " + OUTPUT_END.toSeconds()
                    + "s; leaving it");
        }
        close();
    }

    /** Restores the terminal and stops relaying; idempotent. */
    @Override
    public synchronized void close() {
        if (mode != null) {
            mode.close();
            try {
                Runtime.getRuntime().removeShutdownHook(restoreHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: the terminal is restored either way
            }
        }
        if (previousWinch != null) {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), previousWinch);
            previousWinch = null;
        }
        stdinPoll.wake();
        try {
            if (input.isAlive()) input.join(OUTPUT_END); // not started (no child): not alive
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!input.isAlive()) stdinPoll.close();
    }
}
