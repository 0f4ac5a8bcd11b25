package io.procwarden.testing;

import java.util.Queue;
import java.util.concurrent.TimeUnit;

/**
 * Waiting until another thread is blocked in a given wait, judged by its state and its own stack
 * (no sleeps: they are the event). Tests use it before interrupting a thread, so that the
 * interrupt lands in that wait and nowhere else.
 */
public final class Blocked {
    private static final long LONG_SECONDS = 60;

    private Blocked() {}

    /** Where a thread is, from its state and its stack (read as state, stack, state). */
    @FunctionalInterface
    public interface Where {
        boolean test(Thread.State state, StackTraceElement[] stack);
    }

    /**
     * Returns once {@code t} is blocked where {@code where} says. The deadline only bounds a
     * broken test. {@code outcomes} is what the thread reports, each of which the caller has
     * taken so far: anything that arrives meanwhile fails, naming it (and where it was thrown),
     * so an InterruptedException for which no interrupt was due is reported as such.
     */
    public static void await(Thread t, Queue<Object> outcomes, String what, Where where) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LONG_SECONDS);
        while (true) {
            Object early = outcomes.peek();
            if (early != null) {
                throw new AssertionError(t.getName() + " reported " + describe(early)
                        + "\nwhile no interrupt was due, instead of waiting in " + what + "; all: " + outcomes);
            }
            Thread.State before = t.getState();
            StackTraceElement[] stack = t.getStackTrace();
            if (t.getState() == before && where.test(before, stack)) return;
            if (before == Thread.State.TERMINATED) {
                throw new AssertionError(t.getName() + " ended instead of waiting in " + what + "; outcomes: " + outcomes);
            }
            if (System.nanoTime() > deadline) {
                AssertionError e = new AssertionError(t.getName() + " never blocked in " + what + ": " + before);
                Throwable at = new Throwable(t.getName() + "'s stack");
                at.setStackTrace(stack);
                e.addSuppressed(at);
                throw e;
            }
            Thread.yield();
        }
    }

    /**
     * In {@code ChildProcess.waitFor()}'s own wait, where an interrupt lands in that wait and
     * nowhere else: parked in the CompletableFuture it reads, or (a platform thread that waits on
     * the pidfd itself, RUNNABLE in native code) in CallerReap's poll(2), past the point where its
     * interrupt handler is installed. A Poll elsewhere (a pipe's BlockingPoll) or a lock on the
     * way does not count.
     */
    public static boolean inWaitFor(Thread.State state, StackTraceElement[] stack) {
        if (!has(stack, "io.procwarden.ChildProcess", "waitFor")) return false;
        if (parkedInFutureGet(state, stack)) return true;
        return state == Thread.State.RUNNABLE && has(stack, "io.procwarden.internal.monitor.CallerReap", "awaitExit")
                && has(stack, "io.procwarden.internal.ffi.Poll", "awaitEither");
    }

    /** In a platform thread's poll(2) on a pipe end (a pull stream or channel), past its interrupt handler. */
    public static boolean inPipeWait(Thread.State state, StackTraceElement[] stack) {
        return state == Thread.State.RUNNABLE && has(stack, "io.procwarden.internal.io.BlockingPoll", "await")
                && has(stack, "io.procwarden.internal.ffi.Poll", "awaitEither");
    }

    /** Parked in a {@code CompletableFuture.get()} (timed or not), on a platform or virtual thread. */
    public static boolean parkedInFutureGet(Thread.State state, StackTraceElement[] stack) {
        return (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
                && has(stack, "java.util.concurrent.CompletableFuture$Signaller", "block")
                && has(stack, "java.util.concurrent.CompletableFuture", "get");
    }

    /** True if a frame of {@code stack} is {@code className.method}. */
    public static boolean has(StackTraceElement[] stack, String className, String method) {
        for (StackTraceElement e : stack) {
            if (e.getClassName().equals(className) && e.getMethodName().equals(method)) return true;
        }
        return false;
    }

    private static String describe(Object outcome) {
        if (!(outcome instanceof Throwable e)) return String.valueOf(outcome);
        StringBuilder b = new StringBuilder(e.toString());
        for (StackTraceElement f : e.getStackTrace()) b.append("\n\tat ").append(f);
        return b.toString();
    }
}
