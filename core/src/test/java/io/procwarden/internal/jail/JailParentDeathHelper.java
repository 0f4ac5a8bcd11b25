package io.procwarden.internal.jail;

import io.procwarden.ChildProcess;
import io.procwarden.JailSpec;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Runs in a JVM of its own for {@link JailParentDeathTest}: starts jailed children through the
 * public API that must die with this JVM, prints their pids, then blocks until it is killed.
 */
public final class JailParentDeathHelper {
    private JailParentDeathHelper() {}

    public static void main(String[] args) throws Exception {
        ChildProcess pdeathsig = quiet(ProcessSpec.of("/bin/sleep", "1000"))
                .jail(JailSpec.none().parentDeathSignal(Signal.KILL)).spawn();
        System.out.println("setpriv " + pdeathsig.pid());

        // bwrap --die-with-parent without a PID namespace: the sandboxed sleep has a host pid.
        ChildProcess bwrap = quiet(ProcessSpec.of("/bin/sh", "-c", "echo $$; exec sleep 1000 >/dev/null"))
                .stdout(Redirect.PIPE).jail(JailSpec.none().dieWithParent()).spawn();
        String inner = new BufferedReader(new InputStreamReader(bwrap.stdout(), StandardCharsets.US_ASCII)).readLine();
        System.out.println("bwrap " + bwrap.pid());
        System.out.println("sandboxed " + inner);

        // Spawned from a thread that ends at once: the child must outlive that thread.
        ChildProcess[] fromThread = new ChildProcess[1];
        Thread t = new Thread(() -> {
            try {
                fromThread[0] = quiet(ProcessSpec.of("/bin/sleep", "1000"))
                        .jail(JailSpec.none().parentDeathSignal(Signal.KILL)).spawn();
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

    private static ProcessSpec quiet(ProcessSpec p) {
        return p.stdin(Redirect.DISCARD).stdout(Redirect.DISCARD).stderr(Redirect.DISCARD);
    }
}
