package io.procwarden.internal.spawn;

import io.procwarden.Redirect;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The descriptors a child gets for 0, 1 and 2, and our ends of its pipes, opened before the
 * spawn by this JVM (so a bad file fails with its name, not with an anonymous errno from the
 * child).
 *
 * <p>Our end of each pipe stays a close-on-exec descriptor, which the caller takes
 * ({@link #takeOurEnds()}) and puts on the monitor loop, non-blocking (internal/io); the
 * child's end stays blocking, as programs expect of their stdio.
 *
 * <p>Ownership: {@link #close()} always closes the child-side descriptors (call it once the
 * child has them, or on failure); {@link #closeStreams()} closes our ends not yet taken, for
 * the failure path.
 */
public final class StdioSetup implements AutoCloseable {
    private static final String[] NAMES = {"stdin", "stdout", "stderr"};

    private final Map<Integer, Fd> childFds = new HashMap<>();
    private final List<Fd> owned = new ArrayList<>();
    private final Fd[] ours = new Fd[3];
    private Fd devNull;

    private StdioSetup() {}

    /**
     * Opens what the three redirects need.
     *
     * @throws SpawnFailure naming the stream and file that failed; nothing stays open
     */
    public static StdioSetup open(Redirect in, Redirect out, Redirect err) throws SpawnFailure {
        StdioSetup s = new StdioSetup();
        boolean ok = false;
        try {
            s.setUp(0, in);
            s.setUp(1, out);
            if (err.kind() == Redirect.Kind.TO_STDOUT) {
                s.mergeStderr(out);
            } else {
                s.setUp(2, err);
            }
            ok = true;
            return s;
        } finally {
            if (!ok) {
                s.closeStreams();
                s.close();
            }
        }
    }

    private void setUp(int fd, Redirect r) throws SpawnFailure {
        switch (r.kind()) {
            case INHERIT -> { } // not in the map: the child keeps our descriptor
            case DISCARD -> childFds.put(fd, devNull());
            case PIPE -> pipe(fd);
            case READ, WRITE, APPEND -> childFds.put(fd, file(fd, r));
            case TO_STDOUT -> throw new IllegalArgumentException("TO_STDOUT is for stderr only");
        }
    }

    /** Stderr goes where stdout goes: the same descriptor, or our own stdout when stdout is inherited. */
    private void mergeStderr(Redirect out) throws SpawnFailure {
        if (out.kind() == Redirect.Kind.INHERIT) {
            try {
                childFds.put(2, own(Unistd.dupBorrowed(1, 3, "this process's stdout")));
            } catch (SyscallException e) {
                throw new SpawnFailure(e.errno() == Errno.EBADF
                        ? "stderr to stdout: this process's stdout (fd 1) is not open"
                        : "stderr to stdout: cannot duplicate this process's stdout (fd 1)", e.errno());
            }
        } else {
            childFds.put(2, childFds.get(1));
        }
    }

    private Fd devNull() throws SpawnFailure {
        if (devNull == null) {
            try {
                devNull = own(Unistd.open("/dev/null", Unistd.O_RDWR, 0));
            } catch (SyscallException e) {
                throw new SpawnFailure("cannot open /dev/null", e.errno());
            }
        }
        return devNull;
    }

    private Fd file(int fd, Redirect r) throws SpawnFailure {
        String path = r.file().orElseThrow().toString();
        int flags = switch (r.kind()) {
            case READ -> Unistd.O_RDONLY;
            case WRITE -> Unistd.O_WRONLY | Unistd.O_CREAT | Unistd.O_TRUNC;
            default -> Unistd.O_WRONLY | Unistd.O_CREAT | Unistd.O_APPEND;
        };
        try {
            return own(Unistd.open(path, flags, 0666));
        } catch (SyscallException e) {
            throw new SpawnFailure("cannot open " + NAMES[fd] + " file \"" + path + "\"", e.errno());
        }
    }

    private void pipe(int fd) throws SpawnFailure {
        Fd[] p;
        try {
            p = Unistd.pipe();
        } catch (SyscallException e) {
            throw new SpawnFailure("cannot create the " + NAMES[fd] + " pipe", e.errno());
        }
        ours[fd] = fd == 0 ? p[1] : p[0];
        childFds.put(fd, own(fd == 0 ? p[0] : p[1]));
    }

    private Fd own(Fd fd) {
        owned.add(fd);
        return fd;
    }

    /** Child descriptor number to the descriptor it gets; 0..2 absent are inherited. */
    public Map<Integer, Fd> childFds() {
        return childFds;
    }

    /**
     * Hands over our ends of the stdin, stdout and stderr pipes (null where not piped); the
     * caller owns them from now on.
     */
    public Fd[] takeOurEnds() {
        Fd[] taken = ours.clone();
        java.util.Arrays.fill(ours, null);
        return taken;
    }

    /** Closes our ends of the pipes not taken (the failure path). */
    public void closeStreams() {
        for (Fd fd : ours) {
            if (fd != null) fd.close();
        }
    }

    /** Closes the child-side descriptors; idempotent. */
    @Override
    public void close() {
        for (Fd fd : owned) fd.close();
    }
}
