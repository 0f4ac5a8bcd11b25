package io.procwarden.internal.launch;

import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.SpawnException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts {@code a | b | c}: one pipe between each pair of stages, created here, whose ends go
 * straight to the two children as their fd 1 and fd 0 (through the plan's preserved
 * descriptors, which the spawn dup2's over the stdio): the bytes between stages never pass
 * through this JVM. Our copies of each pipe are closed as soon as both of its children have
 * theirs, so a stage sees end of file exactly when the stage before it ends.
 *
 * <p>If a stage cannot be started, the stages already running are killed (the monitor reaps
 * them), every pipe is closed and the {@link SpawnException} names the failing stage.
 */
public final class PipelineLauncher {
    private PipelineLauncher() {}

    /**
     * Launches every stage; {@code listeners.get(i)} is told of stage i's exit.
     *
     * @param plans the stages, first to last; an inner stage's stdout and a later stage's stdin
     *     must be {@link Redirect#INHERIT} (the pipe replaces them); an inner stage's stderr
     *     may be {@link Redirect#TO_STDOUT} (then it goes down the pipe too)
     * @throws SpawnException for the first stage that cannot start; nothing is left running
     */
    public static List<Launched> launch(List<SpawnPlan> plans, MonitorLoop loop, List<? extends ExitListener> listeners)
            throws SpawnException {
        if (plans.size() < 2) throw new IllegalArgumentException("a pipeline needs two stages or more, got " + plans.size());
        List<Launched> started = new ArrayList<>(plans.size());
        Fd readFromPrevious = null; // the read end of the pipe from stage i-1
        boolean ok = false;
        try {
            for (int i = 0; i < plans.size(); i++) {
                SpawnPlan plan = plans.get(i);
                Fd[] next = null;
                if (i < plans.size() - 1) {
                    try {
                        next = Unistd.pipe();
                    } catch (SyscallException e) {
                        throw new SpawnException(plan.command(), plan.directory(), e.errno(),
                                "cannot create the pipe from pipeline stage " + i + ": " + e.getMessage(), e);
                    }
                }
                try {
                    started.add(Launcher.launch(wire(plan, readFromPrevious, next == null ? null : next[1]), loop,
                            listeners.get(i)));
                } finally {
                    // Stage i has its copies (or failed): ours of its stdin and stdout go now.
                    if (readFromPrevious != null) readFromPrevious.close();
                    if (next != null) next[1].close();
                    readFromPrevious = next == null ? null : next[0];
                }
            }
            ok = true;
            return started;
        } finally {
            if (readFromPrevious != null) readFromPrevious.close();
            if (!ok) {
                for (Launched l : started) {
                    try {
                        l.registration().signal(Signal.KILL.number());
                    } catch (SyscallException e) {
                        System.getLogger(PipelineLauncher.class.getName()).log(System.Logger.Level.WARNING,
                                "cannot kill pipeline stage pid " + l.pid() + " after a failed spawn: " + e.getMessage());
                    }
                    l.pipes().close();
                }
            }
        }
    }

    /** The plan with fd 0 from {@code in} and fd 1 (and a merged fd 2) to {@code out}, where given. */
    private static SpawnPlan wire(SpawnPlan p, Fd in, Fd out) {
        Map<Integer, Integer> fds = new TreeMap<>(p.preservedFds());
        Redirect stdin = p.stdin();
        Redirect stdout = p.stdout();
        Redirect stderr = p.stderr();
        if (in != null) {
            fds.put(0, in.number());
        }
        if (out != null) {
            fds.put(1, out.number());
            if (stderr.kind() == Redirect.Kind.TO_STDOUT) {
                fds.put(2, out.number());
                stderr = Redirect.INHERIT;
            }
        }
        return new SpawnPlan(p.command(), p.argv(), p.environment(), p.directory(), stdin, stdout, stderr, fds,
                p.newSession(), p.newProcessGroup(), p.jail());
    }
}
