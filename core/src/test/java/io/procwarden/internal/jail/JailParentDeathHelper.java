package io.procwarden.internal.jail;

import io.procwarden.JailSpec;
import io.procwarden.Signal;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.monitor.BackendProbe;
import io.procwarden.internal.monitor.MonitorLoop;
import java.util.Map;

/**
 * Runs in a JVM of its own for {@link JailParentDeathTest}: starts jailed children that must die
 * with this JVM, prints their pids, then blocks until it is killed.
 */
public final class JailParentDeathHelper {
    private JailParentDeathHelper() {}

    public static void main(String[] args) throws Exception {
        MonitorLoop loop = MonitorLoop.start(BackendProbe.selected());
        try (Fd devNull = Unistd.open("/dev/null", Unistd.O_RDWR, 0)) {
            Map<Integer, Fd> quiet = Map.of(0, devNull, 1, devNull, 2, devNull);
            JailedChild pdeathsig = JailLauncher.spawn(JailSpec.none().parentDeathSignal(Signal.KILL),
                    JailFixture.request(new String[] {"/bin/sleep", "1000"}, quiet), loop, null);
            System.out.println("setpriv " + pdeathsig.pid());

            // bwrap --die-with-parent without a PID namespace: the sandboxed sleep has a host pid.
            Fd[] pipe = Unistd.pipe();
            JailedChild bwrap;
            try (Fd w = pipe[1]) {
                bwrap = JailLauncher.spawn(JailSpec.none().dieWithParent(),
                        JailFixture.request(new String[] {"/bin/sh", "-c", "echo $$; exec sleep 1000 >/dev/null"},
                                Map.of(0, devNull, 1, w, 2, devNull)), loop, null);
            }
            String inner;
            try (Fd r = pipe[0]) {
                inner = readLine(r);
            }
            System.out.println("bwrap " + bwrap.pid());
            System.out.println("sandboxed " + inner);

            // Spawned from a thread that ends at once: the child must outlive that thread.
            JailedChild[] fromThread = new JailedChild[1];
            Thread t = new Thread(() -> {
                try {
                    fromThread[0] = JailLauncher.spawn(JailSpec.none().parentDeathSignal(Signal.KILL),
                            JailFixture.request(new String[] {"/bin/sleep", "1000"}, quiet), loop, null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            t.join();
            System.out.println("from-thread " + fromThread[0].pid());
            System.out.println("ready");
            System.out.flush();
            System.in.read(); // until killed
        }
    }

    private static String readLine(Fd fd) throws Exception {
        StringBuilder b = new StringBuilder();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment c = arena.allocate(1);
            while (Unistd.read(fd, c, 1) == 1) {
                char ch = (char) c.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                if (ch == '\n') break;
                b.append(ch);
            }
        }
        return b.toString();
    }
}
