package io.procwarden.internal.launch;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Tty;
import io.procwarden.internal.ffi.Unistd;

/**
 * A child started as the foreground job of this process's controlling terminal, the way a shell
 * with job control starts one: the child's new process group gets the terminal before exec
 * ({@code posix_spawn_file_actions_addtcsetpgrp_np}, see {@code PosixSpawner}), and when the
 * child ends, {@link #giveBack()} takes the terminal back for this process's group and puts
 * back the settings it had at the spawn (a program that crashed in raw mode leaves none behind).
 *
 * <p>Only a process that is the terminal's foreground job itself may hand it on: a job in the
 * background would take the terminal from whoever has it.
 */
final class ForegroundJob implements AutoCloseable {
    private static final String TTY = "/dev/tty";

    private final Fd tty;
    private final int ourGroup;
    private final byte[] settings;
    private boolean done; // guarded by this

    private ForegroundJob(Fd tty, int ourGroup, byte[] settings) {
        this.tty = tty;
        this.ourGroup = ourGroup;
        this.settings = settings;
    }

    /**
     * Opens the controlling terminal and saves its settings.
     *
     * @throws SyscallException there is no controlling terminal ({@code open("/dev/tty")}: ENXIO),
     *     or this process is not its foreground job (EPERM, naming both groups)
     */
    static ForegroundJob open() throws SyscallException {
        Fd tty = Unistd.open(TTY, Unistd.O_RDWR | Unistd.O_NOCTTY | Unistd.O_CLOEXEC, 0); // ENXIO: none
        try {
            int ours = Tty.processGroup();
            int foreground = Tty.foregroundGroup(tty);
            if (foreground != ours) {
                throw Errno.exception("this process's group " + ours + " is not the foreground job of its terminal"
                        + " (group " + foreground + " is), so it cannot hand the terminal on", Errno.EPERM);
            }
            return new ForegroundJob(tty, ours, Tty.attributes(tty));
        } catch (SyscallException | RuntimeException e) {
            tty.close();
            throw e;
        }
    }

    /** Our descriptor of the terminal, for the spawn's file action. */
    Fd terminal() {
        return tty;
    }

    /**
     * Once, after the child's exit: this process's group is the foreground job again and the
     * terminal has its settings of the spawn. A terminal that has gone away (hung up: EIO,
     * ENXIO, ENOTTY) has nothing to give back; any other failure is logged, since the exit
     * itself must still be reported.
     */
    void giveBack() {
        synchronized (this) {
            if (done) return;
            done = true;
        }
        try {
            if (Tty.foregroundGroup(tty) != ourGroup) Tty.setForegroundGroup(tty, ourGroup);
            Tty.setAttributes(tty, settings);
        } catch (SyscallException e) {
            if (e.errno() != Errno.EIO && e.errno() != Errno.ENXIO && e.errno() != Errno.ENOTTY) {
                System.getLogger(ForegroundJob.class.getName()).log(System.Logger.Level.WARNING,
                        "cannot give the terminal back to process group " + ourGroup + ": " + e.getMessage());
            }
        } finally {
            tty.close();
        }
    }

    /** The same as {@link #giveBack()}: also after a failed spawn, whose child may have had the terminal. */
    @Override
    public void close() {
        giveBack();
    }
}
