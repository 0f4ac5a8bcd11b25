package io.procwarden.internal.ffi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The owned descriptor: closed exactly once, never while a call is using it. */
class FdTest {

    private static boolean isOpen(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }

    @Test
    void closeIsIdempotentAndReal() throws Exception {
        Fd[] pipe = Unistd.pipe();
        int n = pipe[0].number();
        assertThat(isOpen(n)).isTrue();
        pipe[0].close();
        pipe[0].close();
        assertThat(isOpen(n)).isFalse();
        assertThat(pipe[0].isOpen()).isFalse();
        assertThatThrownBy(pipe[0]::acquire).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        pipe[1].close();
    }

    @Test
    void closeWhileInUseIsDeferredToTheLastRelease() throws Exception {
        Fd[] pipe = Unistd.pipe();
        try {
            int n = pipe[0].acquire();
            pipe[0].close();
            assertThat(isOpen(n)).as("still in use by a call").isTrue();
            pipe[0].release();
            assertThat(isOpen(n)).isFalse();
        } finally {
            pipe[1].close();
        }
    }

    @Test
    void pipesAreCloseOnExec() throws Exception {
        Fd[] pipe = Unistd.pipe();
        try {
            assertThat(Unistd.fcntl(pipe[0], Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC).isEqualTo(Unistd.FD_CLOEXEC);
            Unistd.setNonBlocking(pipe[0]);
            assertThat(Unistd.fcntl(pipe[0], Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK).isEqualTo(Unistd.O_NONBLOCK);
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }

    @Test
    void errorsNameTheCallAndErrno() {
        assertThatThrownBy(() -> Unistd.open("/nonexistent/dir/file", Unistd.O_RDONLY, 0))
                .isInstanceOf(io.procwarden.SyscallException.class)
                .hasMessageContaining("/nonexistent/dir/file").hasMessageContaining("ENOENT")
                .satisfies(e -> assertThat(((io.procwarden.SyscallException) e).errnoName()).isEqualTo("ENOENT"));
    }
}
