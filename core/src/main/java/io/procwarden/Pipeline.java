package io.procwarden;

import io.procwarden.internal.launch.Launched;
import io.procwarden.internal.launch.PipelineLauncher;
import io.procwarden.internal.launch.SpawnPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A running {@code a | b | c}: each stage a {@link ChildProcess}, each one's stdout connected to
 * the next one's stdin by a pipe that goes from child to child, never through this JVM (as
 * {@link ProcessBuilder#startPipeline(List)} does).
 * {@snippet :
 * try (Pipeline p = Pipeline.start(List.of(
 *         ProcessSpec.of("printf", "b\\na\\nb\\n"),
 *         ProcessSpec.of("sort"),
 *         ProcessSpec.of("uniq", "-c").stdout(Redirect.PIPE)))) {
 *     String counts = new String(p.last().stdout().readAllBytes(), StandardCharsets.UTF_8);
 *     List<ExitStatus> statuses = p.onExit().join(); // every stage's, first to last
 * }
 * }
 *
 * <p>The first stage's stdin and the last one's stdout are the specs' own (a pipe to this JVM,
 * a file, {@link ProcessSpec#input(byte[]) given bytes}, inherited); every stage's stderr is its
 * spec's, {@link Redirect#TO_STDOUT} on an inner stage going down the pipe with its stdout. The
 * stdout of every stage but the last, and the stdin of every stage but the first, must be
 * left at {@link Redirect#INHERIT}: the pipe takes their place. Thread-safe.
 */
public final class Pipeline implements AutoCloseable {
    private final List<ChildProcess> stages;

    private Pipeline(List<ChildProcess> stages) {
        this.stages = List.copyOf(stages);
    }

    /** Starts every stage, watched by {@link ProcessMonitor#shared()}. @throws SpawnException as {@link #start(List, ProcessMonitor)} */
    public static Pipeline start(List<ProcessSpec> stages) throws SpawnException {
        return start(stages, ProcessMonitor.shared());
    }

    /**
     * Starts every stage, first to last, watched (and reaped) by {@code monitor}.
     *
     * @throws IllegalArgumentException if there are fewer than two stages, or a stdout/stdin that
     *     the pipes replace is not {@link Redirect#INHERIT} (naming the stage)
     * @throws SpawnException naming the command of the first stage that cannot start; the
     *     stages already started are killed and reaped
     */
    public static Pipeline start(List<ProcessSpec> stages, ProcessMonitor monitor) throws SpawnException {
        Objects.requireNonNull(monitor, "monitor");
        if (stages.size() < 2) throw new IllegalArgumentException("a pipeline needs two stages or more, got " + stages.size());
        List<SpawnPlan> plans = new ArrayList<>(stages.size());
        List<ChildProcess.Exit> exits = new ArrayList<>(stages.size());
        for (int i = 0; i < stages.size(); i++) {
            ProcessSpec s = Objects.requireNonNull(stages.get(i), "stage");
            if (i > 0 && s.stdin().kind() != Redirect.Kind.INHERIT) {
                throw new IllegalArgumentException("pipeline stage " + i + " (" + s.command() + "): its stdin is the pipe"
                        + " from stage " + (i - 1) + ", but it is set to " + s.stdin());
            }
            if (i < stages.size() - 1 && s.stdout().kind() != Redirect.Kind.INHERIT) {
                throw new IllegalArgumentException("pipeline stage " + i + " (" + s.command() + "): its stdout is the pipe"
                        + " to stage " + (i + 1) + ", but it is set to " + s.stdout());
            }
            plans.add(s.toPlan());
            exits.add(new ChildProcess.Exit());
        }
        List<Launched> launched = PipelineLauncher.launch(plans, monitor.loop(), exits);
        List<ChildProcess> children = new ArrayList<>(stages.size());
        for (int i = 0; i < stages.size(); i++) {
            children.add(stages.get(i).feedInput(new ChildProcess(stages.get(i), monitor.loop(), launched.get(i), exits.get(i))));
        }
        return new Pipeline(children);
    }

    /** Every stage, first to last. */
    public List<ChildProcess> stages() {
        return stages;
    }

    /** The first stage (whose stdin is the pipeline's). */
    public ChildProcess first() {
        return stages.getFirst();
    }

    /** The last stage (whose stdout is the pipeline's). */
    public ChildProcess last() {
        return stages.getLast();
    }

    /** Every stage's exit status, first to last, once all have exited. */
    public CompletableFuture<List<ExitStatus>> onExit() {
        List<CompletableFuture<ExitStatus>> all = stages.stream().map(ChildProcess::onExit).toList();
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
    }

    /** Waits for every stage; their statuses, first to last. */
    public List<ExitStatus> waitFor() throws InterruptedException {
        List<ExitStatus> statuses = new ArrayList<>(stages.size());
        for (ChildProcess c : stages) statuses.add(c.waitFor());
        return statuses;
    }

    /** SIGKILL to every stage still running ({@link ChildProcess#kill()}). */
    public void kill() {
        stages.forEach(ChildProcess::kill);
    }

    /** Closes our pipe ends of every stage; does not kill or wait. */
    @Override
    public void close() {
        stages.forEach(ChildProcess::close);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Pipeline[");
        for (int i = 0; i < stages.size(); i++) b.append(i == 0 ? "" : " | ").append(stages.get(i));
        return b.append(']').toString();
    }
}
