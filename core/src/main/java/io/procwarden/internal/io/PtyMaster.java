package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Stdlib;
import io.procwarden.internal.ffi.Termios;
import io.procwarden.internal.ffi.Unistd;

/**
 * A child's pseudo-terminal, our side: the master, opened with posix_openpt, grantpt,
 * unlockpt and ptsname_r, its window size set before the child starts.
 *
 * <p>The master is one descriptor for both directions, and a {@link PipeEnd} serves one
 * direction; so the loop gets two duplicates of it ({@link #adoptInto}): a write end (the child's
 * stdin) and a read end (its stdout, and stderr when shared), each armed in the epoll set on its
 * own. This object keeps the original for {@link #resize}, and closes it when the child exits
 * or the handle is closed, whichever comes first. The read end goes when its stream ends (EIO
 * once no process holds the slave, or the drain's cut-off); the write end, as a stdin pipe's,
 * when the handle is closed. The child never gets the master (close-on-exec, and closed by
 * the spawn's close actions); we never open the slave (the child opens it in a file action).
 */
public final class PtyMaster implements AutoCloseable {
    private final Fd master;
    private final String slavePath;

    private PtyMaster(Fd master, String slavePath) {
        this.master = master;
        this.slavePath = slavePath;
    }

    /**
     * Opens a new pseudo-terminal of this size.
     *
     * @throws SyscallException naming the call that failed; nothing stays open
     */
    public static PtyMaster open(int rows, int columns) throws SyscallException {
        Fd master = Stdlib.openMaster();
        try {
            Stdlib.unlock(master);
            String slave = Stdlib.slaveName(master);
            Termios.setWindowSize(master, rows, columns);
            return new PtyMaster(master, slave);
        } catch (SyscallException | RuntimeException e) {
            master.close();
            throw e;
        }
    }

    /** The slave's path, for the child to open. */
    public String slavePath() {
        return slavePath;
    }

    /**
     * Puts two duplicates of the master on {@code hub}'s loop, the child's stdin (write) and
     * stdout (read), with {@code stderr} (our end of a separate stderr pipe, or null).
     *
     * @throws SyscallException if a duplicate cannot be made or put on the loop; {@code stderr} is then closed
     */
    public ChildPipes adoptInto(PipeHub hub, Fd stderr) throws SyscallException {
        Fd writer = null;
        Fd reader = null;
        try {
            writer = Unistd.dupCloexecAbove(master, 3);
            reader = Unistd.dupCloexecAbove(master, 3);
        } catch (SyscallException | RuntimeException e) {
            if (writer != null) writer.close();
            if (stderr != null) stderr.close();
            throw e;
        }
        return ChildPipes.adoptTerminal(hub, writer, reader, stderr);
    }

    /**
     * Sets the window size; the kernel sends SIGWINCH to the terminal's foreground process
     * group when it changes.
     *
     * @return false if the child has exited or the handle was closed (nothing to resize)
     * @throws SyscallException if the ioctl fails
     */
    public boolean resize(int rows, int columns) throws SyscallException {
        try {
            Termios.setWindowSize(master, rows, columns);
            return true;
        } catch (IllegalStateException closed) {
            return false;
        }
    }

    /** The window size as {rows, columns}, or null once closed. */
    public int[] size() throws SyscallException {
        try {
            return Termios.windowSize(master);
        } catch (IllegalStateException closed) {
            return null;
        }
    }

    /** The child has exited: the original master goes (the loop's duplicates end with their streams). */
    public void exited() {
        close();
    }

    /** Closes the original master; idempotent. */
    @Override
    public void close() {
        master.close();
    }
}
