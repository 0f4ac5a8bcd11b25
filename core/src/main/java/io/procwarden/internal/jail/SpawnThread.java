package io.procwarden.internal.jail;

import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.SpawnFailure;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One thread, alive as long as the JVM, that spawns the children which carry a parent-death
 * signal. The kernel's "parent" for {@code PR_SET_PDEATHSIG} (and bwrap's
 * {@code --die-with-parent}) is the <em>thread</em> that created the child (posix_spawn clones
 * from the calling thread), so a child spawned from a pool thread that later retires, or from a
 * virtual thread's carrier, would be killed long before the JVM dies. {@link FutureTask#run}
 * catches everything, so a failing spawn never ends this thread.
 */
final class SpawnThread {
    private static final class Holder {
        static final SpawnThread INSTANCE = new SpawnThread();
    }

    private final BlockingQueue<FutureTask<PosixSpawner.Started>> queue = new LinkedBlockingQueue<>();

    private SpawnThread() {
        Thread t = new Thread(this::run, "procwarden-jail-spawner");
        t.setDaemon(true);
        t.start();
    }

    private void run() {
        while (true) {
            try {
                queue.take().run();
            } catch (InterruptedException e) {
                // Never stop: children spawned here die with this thread.
            }
        }
    }

    /** Spawns on the long-lived thread and waits (uninterruptibly: the child must not be lost). */
    static PosixSpawner.Started spawn(PosixSpawner.Request request) throws SpawnFailure {
        FutureTask<PosixSpawner.Started> task = new FutureTask<>(() -> PosixSpawner.spawn(request));
        Holder.INSTANCE.queue.add(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof SpawnFailure f) throw f;
                    if (c instanceof RuntimeException r) throw r;
                    if (c instanceof Error err) throw err;
                    throw new IllegalStateException(c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The thread's name, for tests that look for it. */
    static String threadName() {
        return "procwarden-jail-spawner";
    }
}
