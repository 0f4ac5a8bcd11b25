/*
 * The floor for draining many children's stdout: posix_spawn N children, each with its stdout on
 * a pipe (stdin and stderr on /dev/null), and read every pipe to end of file in ONE epoll loop
 * (non-blocking read ends, level-triggered, 64 KiB reads), then waitpid each child.
 *
 *   drainfloor N PROGRAM [ARG...]
 *
 * Prints one line: "wall_ns W cpu_ns C bytes B threads 1", where W runs from before the first
 * spawn until every pipe is at end of file and every child reaped, C is this process's own user
 * + system CPU time (getrusage RUSAGE_SELF: the children's CPU is not in it), B the bytes read.
 * Every call is checked; any failure exits with status 2 and a message on stderr.
 * Compiled by the benchmark harness at run time (gcc -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what, int err) {
    fprintf(stderr, "drainfloor: %s: %s\n", what, strerror(err));
    exit(2);
}

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime", errno);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: drainfloor N PROGRAM [ARG...]\n");
        return 2;
    }
    char *end;
    errno = 0;
    long n = strtol(argv[1], &end, 10);
    if (errno != 0 || *end != '\0' || n < 1) {
        fprintf(stderr, "drainfloor: bad N: %s\n", argv[1]);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit", errno);
    if (rl.rlim_cur < (rlim_t)(n + 64)) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit", errno);
    }
    pid_t *pids = calloc((size_t)n, sizeof(pid_t));
    if (pids == NULL) die("calloc", ENOMEM);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1", errno);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) die("open /dev/null", errno);

    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) die("pipe2", errno);
        posix_spawn_file_actions_t fa;
        int rc = posix_spawn_file_actions_init(&fa);
        if (rc != 0) die("posix_spawn_file_actions_init", rc);
        if ((rc = posix_spawn_file_actions_adddup2(&fa, devnull, 0)) != 0) die("adddup2 0", rc);
        if ((rc = posix_spawn_file_actions_adddup2(&fa, p[1], 1)) != 0) die("adddup2 1", rc);
        if ((rc = posix_spawn_file_actions_adddup2(&fa, devnull, 2)) != 0) die("adddup2 2", rc);
        rc = posix_spawn(&pids[i], argv[2], &fa, NULL, &argv[2], environ);
        if (rc != 0) die("posix_spawn", rc);
        posix_spawn_file_actions_destroy(&fa);
        if (close(p[1]) != 0) die("close", errno);
        int fl = fcntl(p[0], F_GETFL);
        if (fl < 0) die("fcntl F_GETFL", errno);
        if (fcntl(p[0], F_SETFL, fl | O_NONBLOCK) != 0) die("fcntl F_SETFL", errno);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0) die("epoll_ctl", errno);
    }
    static char buf[65536];
    struct epoll_event events[256];
    long open_pipes = n;
    long long bytes = 0;
    while (open_pipes > 0) {
        int k = epoll_wait(ep, events, 256, -1);
        if (k < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait", errno);
        }
        for (int j = 0; j < k; j++) {
            int fd = events[j].data.fd;
            ssize_t r = read(fd, buf, sizeof buf);
            if (r > 0) {
                bytes += r;
            } else if (r == 0) {
                if (epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) != 0) die("epoll_ctl DEL", errno);
                if (close(fd) != 0) die("close", errno);
                open_pipes--;
            } else if (errno != EAGAIN && errno != EINTR) {
                die("read", errno);
            }
        }
    }
    for (long i = 0; i < n; i++) {
        int status;
        while (waitpid(pids[i], &status, 0) < 0) {
            if (errno != EINTR) die("waitpid", errno);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "drainfloor: child %d ended with status %d\n", (int)pids[i], status);
            return 2;
        }
    }
    long long wall = now_ns() - t0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) die("getrusage", errno);
    long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
            + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("wall_ns %lld cpu_ns %lld bytes %lld threads 1\n", wall, cpu, bytes);
    free(pids);
    return 0;
}
