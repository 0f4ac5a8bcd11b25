package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.io.EventWait;
import io.procwarden.internal.io.PipeReadiness;
import io.procwarden.internal.sys.ProcStat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The fallback for systems without pidfds or kqueue (Linux before 5.3, seccomp sandboxes that
 * block the pidfd calls): every {@link #intervalNanos} the loop checks each watched process.
 *
 * <ul>
 *   <li>children: on Linux one {@code waitid(P_ALL, WNOWAIT)} peek per round says which child
 *       has exited, if any, without reaping it; that one is reaped by pid. Only when the peek
 *       shows a child that is not ours to reap (a JDK child not yet reaped by the JDK), or on
 *       other systems, is every child checked with {@code wait4(pid, WNOHANG)}. So 1,000 idle
 *       children cost one system call per round, not 1,000;
 *   <li>others: {@code kill(pid, 0)} every round, and on Linux {@code /proc/PID/stat} (zombie
 *       state, and a start time that changed because the pid was recycled) for up to
 *       {@link #STAT_CHECKS_PER_ROUND} of them per round, in rotation, to stay cheap when
 *       thousands are watched.
 * </ul>
 * With nothing watched the loop blocks without a timeout: no wake-ups when idle.
 *
 * <p>Cost, idle, 1,000 children, 50 ms rounds, on the 2-core VM here: about 1% of a core for the
 * loop thread. {@code perf record} on it put 72% of that in the kernel's wait_consider_task: the
 * peek walks every child of the process, ~0.4 ms per round with cold caches. A wake-up alone
 * costs ~0.25% (a Java thread that only waits 50 ms at a time).
 */
final class PollingExitSource implements ExitSource {
    /**
     * Default round interval: detection within 50 ms plus the round itself (target: 100 ms). The
     * one home of the interval: {@link ExitBackend#POLLING}'s description is built from it.
     */
    static final long DEFAULT_INTERVAL_MILLIS = 50;
    /** The system property that sets the interval in milliseconds (1..100): {@value}. */
    static final String INTERVAL_PROPERTY = "procwarden.polling.intervalMillis";
    static final int STAT_CHECKS_PER_ROUND = 32;

    private final long intervalNanos;
    private final Set<Registration> armed = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Registration> childrenByPid = new ConcurrentHashMap<>();
    /** Outcomes found in a round, until collect() hands them over (loop thread only). */
    private final Map<Registration, Wait.Reaped> found = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment peekInfo = arena.allocate(Wait.SIGINFO); // loop thread only
    /** Pipe readiness and the wake-up (epoll on Linux, kqueue on macOS). */
    private final EventWait wait;
    private volatile boolean roundRequested;
    private long lastRound = System.nanoTime(); // loop thread only
    private final boolean linux = Platform.current().isLinux();
    private int statCursor;

    PollingExitSource(long intervalMillis) throws SyscallException {
        if (intervalMillis < 1 || intervalMillis > 100) {
            throw new IllegalArgumentException("polling interval must be 1..100 ms: " + intervalMillis);
        }
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.wait = new EventWait();
    }

    /** A source with the interval of {@value #INTERVAL_PROPERTY}, else the default. */
    static PollingExitSource withConfiguredInterval() throws SyscallException {
        return new PollingExitSource(Long.getLong(INTERVAL_PROPERTY, DEFAULT_INTERVAL_MILLIS));
    }

    @Override
    public ExitBackend backend() {
        return ExitBackend.POLLING;
    }

    @Override
    public Opened open(int pid, long key) throws SyscallException {
        return PidProbe.open(pid, key);
    }

    @Override
    public Registration adoptChild(int pid, Fd pidfd, long key) {
        return new Registration(key, pid, true, pidfd, -1);
    }

    @Override
    public Wait.Reaped arm(Registration r) {
        if (r.child) childrenByPid.put(r.pid, r);
        armed.add(r);
        roundRequested = true;
        wakeup(); // check at once: it may already be gone
        return null;
    }

    /**
     * Waits in the pipe wait (so that with this backend too every pipe is served by the loop
     * thread), at most until the next round is due while anything is watched; a round runs when
     * due or when an arm asked for one, not for every pipe event.
     */
    @Override
    public void await(long timeoutNanos, LongConsumer ready) throws SyscallException {
        long t = timeoutNanos;
        if (roundRequested) {
            t = 0;
        } else if (!armed.isEmpty()) {
            long untilRound = Math.max(0, lastRound + intervalNanos - System.nanoTime());
            t = t < 0 ? untilRound : Math.min(t, untilRound);
        }
        // sleep-ok: polling IS this backend's behaviour; any registration, pipe or close wakes it.
        wait.await(t, ready);
        long now = System.nanoTime();
        if (roundRequested || (!armed.isEmpty() && now - lastRound >= intervalNanos)) {
            roundRequested = false;
            lastRound = now;
            poll(ready);
        }
    }

    @Override
    public PipeReadiness pipeReadiness() {
        return wait;
    }

    private void poll(LongConsumer ready) throws SyscallException {
        boolean scanChildren = !linux || reapPeekedChildren(ready);
        if (!scanChildren && armed.size() == childrenByPid.size()) {
            return; // only children, and the peek found none exited: nothing else to look at
        }
        List<Registration> nonChildren = new ArrayList<>();
        for (Registration r : armed) {
            if (found.containsKey(r)) continue;
            Wait.Reaped outcome = null;
            if (r.child) {
                if (!scanChildren) continue;
                outcome = PidProbe.reapChild(r, Wait.WNOHANG);
            } else if (!Signals.kill(r.pid, 0)) {
                outcome = ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
            } else if (linux) {
                nonChildren.add(r);
            }
            if (outcome != null) report(r, outcome, ready);
        }
        // kill(pid, 0) succeeds for a zombie and for a stranger that reused the pid: /proc tells.
        int n = nonChildren.size();
        for (int i = 0; i < Math.min(n, STAT_CHECKS_PER_ROUND); i++) {
            Registration r = nonChildren.get((statCursor + i) % n);
            Optional<ProcStat> stat = ProcStat.read(r.pid);
            if (stat.isEmpty() || stat.get().startTime() != r.startTime || stat.get().hasExited()) {
                report(r, ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD), ready);
            }
        }
        statCursor = n == 0 ? 0 : (statCursor + STAT_CHECKS_PER_ROUND) % n;
    }

    /**
     * Reaps the exited children the peek reports, one by one. Returns true when the per-child
     * scan is still needed this round: the peek showed an exited child that is not ours to
     * reap, or we have no children left although some are registered (someone reaped them).
     */
    private boolean reapPeekedChildren(LongConsumer ready) throws SyscallException {
        if (childrenByPid.isEmpty()) return false;
        for (int bound = childrenByPid.size(); bound >= 0; bound--) {
            int pid = Wait.peekExitedChild(peekInfo);
            if (pid == 0) return false;
            Registration r = pid > 0 ? childrenByPid.get(pid) : null;
            if (r == null || found.containsKey(r)) return true;
            Wait.Reaped outcome = PidProbe.reapChild(r, Wait.WNOHANG);
            if (outcome == null) return true;
            report(r, outcome, ready); // releases r at once, on this thread
        }
        return true;
    }

    private void report(Registration r, Wait.Reaped outcome, LongConsumer ready) {
        found.put(r, outcome);
        ready.accept(r.key);
    }

    @Override
    public Wait.Reaped collect(Registration r) {
        return found.remove(r);
    }

    @Override
    public void disarm(Registration r) {
        armed.remove(r);
        childrenByPid.remove(r.pid, r);
        found.remove(r);
    }

    @Override
    public void wakeup() {
        wait.wakeup();
    }

    @Override
    public void close() {
        found.clear();
        armed.clear();
        childrenByPid.clear();
        arena.close();
        wait.close();
    }
}
