package io.procwarden.testing;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessIdentity;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.TestAccess;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.sys.ProcStat;
import io.procwarden.internal.monitor.Registration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Recycles a pid on purpose and checks that procwarden never touches the process that got it.
 * Run by {@code PidReuseTest} as pid 1 of a new pid namespace ({@code unshare --pid --fork
 * --mount-proc}, as root), where {@code /proc/sys/kernel/ns_last_pid} chooses the next pid:
 *
 * <ol>
 *   <li>spawn A ({@code sleep 600}, leading its own process group), record its pid and
 *       {@link ProcessIdentity}; kill it and wait until the monitor has reaped it;
 *   <li>write A's pid - 1 to ns_last_pid and spawn B, which gets A's pid (retried when a JVM
 *       thread took the pid first, or when B started within A's clock tick: start times are in
 *       ticks, and the identity check cannot tell such a pair apart);
 *   <li>every signalling path of A's handle (and of its registration, below the handle's own
 *       check) must refuse, {@code watch(identity of A)} must say NO_SUCH_PROCESS, while
 *       {@code kill(pid, 0)}, {@code kill(-pid, 0)} and {@code ProcessHandle.of(pid)} reach B;
 *   <li>B is finally ended with SIGUSR1: if anything had sent it SIGTERM or SIGKILL before, that
 *       would have been its fatal signal instead.
 * </ol>
 * Prints one {@code CHECK ok|FAIL name: detail} line per check; exit status 0 when all passed,
 * 1 when one failed, 2 when the pid could not be recycled.
 *
 * <p>Argument: {@code pidfd} (pidfd backend, handle mode), {@code polling} (polling backend,
 * children still get pidfds), or {@code pidmode} (a seccomp filter makes pidfds ENOSYS first:
 * polling backend, children signalled by pid).
 */
public final class PidReuseMain {
    private static boolean failed;

    private PidReuseMain() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length == 1 ? args[0] : "";
        if (mode.equals("pidmode")) SeccompFilter.install(Errno.ENOSYS);
        MonitorBackend backend = switch (mode) {
            case "pidfd" -> MonitorBackend.PIDFD;
            case "polling", "pidmode" -> MonitorBackend.POLLING;
            default -> throw new IllegalArgumentException("usage: PidReuseMain pidfd|polling|pidmode");
        };
        check("in a new pid namespace", Unistd.getpid() == 1, "our pid is " + Unistd.getpid());
        ProcessSpec sleeper = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                .stderr(Redirect.DISCARD).newProcessGroup();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            ChildProcess a = sleeper.spawn(monitor);
            int pid = (int) a.pid();
            ProcessIdentity idA = ProcessIdentity.of(pid).orElseThrow();
            check("A in the expected mode", TestAccess.handleMode(a) == !mode.equals("pidmode"),
                    "handle mode " + TestAccess.handleMode(a) + ", backend " + monitor.backend().id());
            Registration regA = TestAccess.registration(a);
            a.kill();
            ExitStatus statusA = a.waitFor();
            check("A killed and reaped", statusA.equals(new ExitStatus.Signaled(Signal.KILL, false)), statusA.toString());

            ChildProcess b = null;
            int attempts = 0;
            int otherPid = 0;
            int sameTick = 0;
            while (b == null && attempts < 500) {
                attempts++;
                Files.writeString(Path.of("/proc/sys/kernel/ns_last_pid"), Integer.toString(pid - 1));
                ChildProcess c = sleeper.spawn(monitor);
                if (c.pid() == pid && ProcessIdentity.of(pid).orElseThrow().startTime() != idA.startTime()) {
                    b = c;
                    break;
                }
                if (c.pid() == pid) sameTick++;
                else otherPid++;
                c.kill();
                c.waitFor();
            }
            if (b == null) {
                System.out.println("CHECK FAIL recycled: pid " + pid + " not recycled in " + attempts + " attempts");
                System.exit(2);
            }
            System.out.println("RECYCLED pid " + pid + " after " + attempts + " spawns (" + otherPid
                    + " got another pid, " + sameTick + " started within A's clock tick)");
            ProcessIdentity idB = ProcessIdentity.of(pid).orElseThrow();

            // Through procwarden: nothing may reach B.
            check("A.signal(TERM) refused", !a.signal(Signal.TERM), "");
            check("A.kill() refused", !a.kill(), "");
            check("A.signalGroup(TERM) refused (B leads a group with A's id)", !a.signalGroup(Signal.TERM), "");
            check("A.terminate() sends nothing, gives A's status", a.terminate(Duration.ZERO)
                    .get(60, TimeUnit.SECONDS).equals(statusA), "");
            check("A.terminateGroup() sends nothing, gives A's status", a.terminateGroup(Duration.ZERO)
                    .get(60, TimeUnit.SECONDS).equals(statusA), "");
            a.asProcess().destroy();
            a.asProcess().destroyForcibly();
            // The JDK's answer for an ended process, never B's: not alive, no info, no children, no destroy.
            ProcessHandle handleA = a.asProcess().toHandle();
            check("A.asProcess().toHandle() describes the ended A, not B",
                    !handleA.isAlive() && handleA.info().command().isEmpty() && handleA.children().findAny().isEmpty()
                            && !handleA.destroyForcibly() && a.asProcess().info().startInstant().isEmpty(),
                    handleA + " alive=" + handleA.isAlive() + " info=" + handleA.info());
            check("A.isAlive() false", !a.isAlive(), "");
            check("A's registration refuses signal(TERM)", !regA.signal(Signal.TERM.number()), "");
            check("A's registration refuses signalGroup(KILL)", !regA.signalGroup(Signal.KILL.number()), "");
            ExitStatus adopted = monitor.watch(idA).get(60, TimeUnit.SECONDS);
            check("watch(identity of A) is NO_SUCH_PROCESS",
                    adopted.equals(new ExitStatus.Unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS)), adopted.toString());
            check("watch(identity of B) watches B", !monitor.watch(idB).isDone(), "");

            // What the bare pid does: it reaches B.
            check("kill(pid, 0) reaches B", Signals.kill(pid, 0), "");
            check("kill(-pid, 0) reaches B's group", Signals.kill(-pid, 0), "");
            check("ProcessHandle.of(pid) finds B", ProcessHandle.of(pid).isPresent(), "");

            ProcStat stat = ProcStat.read(pid).orElseThrow();
            // Any live state (R, S, or D while a loaded machine pages it in); only Z or X would mean hit.
            check("B still running", b.isAlive() && !stat.hasExited(), "state " + stat.state());
            check("B signalled through its own handle", b.signal(Signal.USR1), "");
            ExitStatus statusB = b.waitFor();
            check("B's fatal signal was our SIGUSR1, nothing earlier",
                    statusB.equals(new ExitStatus.Signaled(Signal.USR1, false)), statusB.toString());
            check("nothing left watched", monitor.watchedCount() == 0, monitor.watchedCount() + " watched");
        }
        System.out.println(failed ? "RESULT FAIL" : "RESULT ok");
        System.exit(failed ? 1 : 0);
    }

    private static void check(String name, boolean ok, String detail) {
        if (!ok) failed = true;
        System.out.println("CHECK " + (ok ? "ok" : "FAIL") + " " + name + (detail.isEmpty() ? "" : ": " + detail));
    }
}
