package io.procwarden.internal.spawn;

import io.procwarden.Redirect;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The descriptors a child gets for 0, 1 and 2, and our ends of its pipes, opened before the
 * spawn by this JVM (so a bad file fails with its name, not with an anonymous errno from the
 * child).
 *
 * <p>Our end of each pipe becomes a plain {@link FileInputStream} / {@link FileOutputStream}:
 * we reopen it through {@code /proc/self/fd/N} ({@code /dev/fd/N} on macOS) while we still hold
 * both ends (opening a pipe with no peer would block), then close our descriptor. Java then has
 * a real stream with everything the JDK gives its own process pipes: {@code available()},
 * {@code transferTo}, and {@code getChannel()} for an interruptible channel. Like the JDK's own
 * process pipes, the reopened descriptor is not close-on-exec; our spawns close it in every
 * child anyway.
 *
 * <p>Ownership: {@link #close()} always closes the child-side descriptors (call it once the
 * child has them, or on failure); {@link #closeStreams()} closes our ends, for the failure path.
 * On success the caller takes the streams.
 */
public final class StdioSetup implements AutoCloseable {
    private static final String[] NAMES = {"stdin", "stdout", "stderr"};

    private final Map<Integer, Fd> childFds = new HashMap<>();
    private final List<Fd> owned = new ArrayList<>();
    private final List<Closeable> streams = new ArrayList<>();
    private OutputStream stdin;
    private InputStream stdout;
    private InputStream stderr;
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
        Fd ours = fd == 0 ? p[1] : p[0];
        childFds.put(fd, own(fd == 0 ? p[0] : p[1]));
        try {
            Closeable stream = reopen(ours, fd == 0);
            streams.add(stream);
            switch (fd) {
                case 0 -> stdin = (OutputStream) stream;
                case 1 -> stdout = (InputStream) stream;
                default -> stderr = (InputStream) stream;
            }
        } finally {
            ours.close();
        }
    }

    private static Closeable reopen(Fd fd, boolean write) throws SpawnFailure {
        int n = fd.acquire();
        String path = (Platform.current().isMacOs() ? "/dev/fd/" : "/proc/self/fd/") + n;
        try {
            return write ? new FileOutputStream(path) : new FileInputStream(path);
        } catch (IOException e) {
            throw new SpawnFailure("cannot reopen our end of a pipe through " + path + ": " + e.getMessage(),
                    errnoOfOpen(path, write));
        } finally {
            fd.release();
        }
    }

    /**
     * The errno of opening {@code path}, learnt by opening it ourselves: the JDK's exception
     * carries only the C library's (localised) text. Right after the JDK's open failed the
     * cause (EMFILE, ENFILE, ENOMEM) is still there; 0 if this open happens to succeed.
     */
    private static int errnoOfOpen(String path, boolean write) {
        try (Fd probe = Unistd.open(path, write ? Unistd.O_WRONLY : Unistd.O_RDONLY, 0)) {
            return 0;
        } catch (SyscallException e) {
            return e.errno();
        }
    }

    private Fd own(Fd fd) {
        owned.add(fd);
        return fd;
    }

    /** Child descriptor number to the descriptor it gets; 0..2 absent are inherited. */
    public Map<Integer, Fd> childFds() {
        return childFds;
    }

    /** Our end of the stdin pipe, or null. */
    public OutputStream stdin() {
        return stdin;
    }

    /** Our end of the stdout pipe, or null. */
    public InputStream stdout() {
        return stdout;
    }

    /** Our end of the stderr pipe, or null. */
    public InputStream stderr() {
        return stderr;
    }

    /** Closes our ends of the pipes (the failure path). */
    public void closeStreams() {
        for (Closeable c : streams) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing an unused pipe end cannot lose data
            }
        }
    }

    /** Closes the child-side descriptors; idempotent. */
    @Override
    public void close() {
        for (Fd fd : owned) fd.close();
    }
}
