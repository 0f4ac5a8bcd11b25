/*
 * The floor for reading a child through a pseudo-terminal: forkpty (80x24), exec PROGRAM in the
 * child, read the master 64 KiB at a time until EIO (Linux: the last slave descriptor is closed
 * and the buffer is empty) or 0, then waitpid.
 *
 *   ptyfloor PROGRAM [ARG...]
 *
 * Prints one line: "wall_ns W first_ns F cpu_ns C bytes B reads R", where W runs from before forkpty
 * until the child is reaped, F from before forkpty until the first read returned data, C is
 * this process's own user + system CPU time (getrusage RUSAGE_SELF: the child's is not in it),
 * B the bytes read, R the reads that returned data. Every call is checked (EINTR retried); any failure, or a child that does
 * not exit 0, exits with status 2 and a message on stderr.
 * Compiled by the benchmark harness at run time (gcc -O2 ... -lutil).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, int err) {
    fprintf(stderr, "ptyfloor: %s: %s\n", what, strerror(err));
    exit(2);
}

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime", errno);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: ptyfloor PROGRAM [ARG...]\n");
        return 2;
    }
    static char buf[65536];
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    int master;
    long long t0 = now_ns();
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) die("forkpty", errno);
    if (pid == 0) {
        execvp(argv[1], &argv[1]);
        fprintf(stderr, "ptyfloor: exec %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    long long first = -1;
    long long bytes = 0;
    long long reads = 0;
    for (;;) {
        ssize_t r = read(master, buf, sizeof buf);
        if (r > 0) {
            if (first < 0) first = now_ns() - t0;
            bytes += r;
            reads++;
        } else if (r == 0 || errno == EIO) {
            break;
        } else if (errno != EINTR) {
            die("read", errno);
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) die("waitpid", errno);
    }
    long long wall = now_ns() - t0;
    if (close(master) != 0) die("close", errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ptyfloor: %s did not exit 0 (wait status %d)\n", argv[1], status);
        return 2;
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) die("getrusage", errno);
    long long cpu = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
            + ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("wall_ns %lld first_ns %lld cpu_ns %lld bytes %lld reads %lld\n", wall, first, cpu, bytes, reads);
    return 0;
}
