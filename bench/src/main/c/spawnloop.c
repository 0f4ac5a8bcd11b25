/*
 * The physical limit for sequential spawn + wait: posix_spawn("/bin/true") + waitpid, in C.
 *
 *   spawnloop ITERATIONS WARMUP EXTRA_FDS
 *
 * Opens EXTRA_FDS descriptors on /dev/null first (O_CLOEXEC, like the JVM side; the soft
 * RLIMIT_NOFILE is raised if needed), runs WARMUP untimed iterations, then ITERATIONS timed
 * ones. Prints "total_ns N" (wall time of the timed loop), then one latency in ns per line.
 * Every call is checked; any failure exits with status 2 and a message on stderr.
 * Compiled by the benchmark harness at run time (gcc -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what, int err) {
    fprintf(stderr, "spawnloop: %s: %s\n", what, strerror(err));
    exit(2);
}

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime", errno);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long parse(const char *s, const char *name) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0) {
        fprintf(stderr, "spawnloop: bad %s: %s\n", name, s);
        exit(2);
    }
    return v;
}

static void open_extra(long n) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit", errno);
    rlim_t want = (rlim_t)n + 64;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
            fprintf(stderr, "spawnloop: hard RLIMIT_NOFILE %llu < %llu\n",
                    (unsigned long long)rl.rlim_max, (unsigned long long)want);
            exit(2);
        }
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit", errno);
    }
    for (long i = 0; i < n; i++) {
        if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0) die("open /dev/null", errno);
    }
}

static long long spawn_wait(char *const argv[]) {
    long long t0 = now_ns();
    pid_t pid;
    int err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
    if (err != 0) die("posix_spawn /bin/true", err); /* returns the error, errno untouched */
    int status;
    pid_t r;
    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r != pid) die("waitpid", errno);
    long long t1 = now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "spawnloop: /bin/true ended with status 0x%x\n", status);
        exit(2);
    }
    return t1 - t0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: spawnloop ITERATIONS WARMUP EXTRA_FDS\n");
        return 2;
    }
    long iterations = parse(argv[1], "ITERATIONS");
    long warmup = parse(argv[2], "WARMUP");
    open_extra(parse(argv[3], "EXTRA_FDS"));
    char *child_argv[] = {"true", NULL};
    for (long i = 0; i < warmup; i++) spawn_wait(child_argv);
    long long *lat = malloc(sizeof(long long) * (size_t)(iterations > 0 ? iterations : 1));
    if (lat == NULL) die("malloc", ENOMEM);
    long long start = now_ns();
    for (long i = 0; i < iterations; i++) lat[i] = spawn_wait(child_argv);
    long long total = now_ns() - start;
    if (printf("total_ns %lld\n", total) < 0) die("printf", errno);
    for (long i = 0; i < iterations; i++) {
        if (printf("%lld\n", lat[i]) < 0) die("printf", errno);
    }
    if (fflush(stdout) != 0) die("fflush", errno);
    free(lat);
    return 0;
}
