/*
 * The physical limit for sequential spawn + wait: posix_spawn("/bin/true") + waitpid, in C.
 *
 *   spawnloop ITERATIONS WARMUP EXTRA_FDS [MODE]
 *
 * MODE posix_spawn (default): glibc posix_spawn, which clones with CLONE_VM|CLONE_VFORK and so
 * copies the whole descriptor table into every child.
 * MODE clone-files: clone(CLONE_VM|CLONE_VFORK|CLONE_FILES), then in the child
 * close_range(3, ~0U, CLOSE_RANGE_UNSHARE) (Linux 5.9) and execve: the kernel copies only
 * descriptors 0-2 into the child's new table. Not something glibc's posix_spawn does, nor
 * something reachable from Java without native code; here to show what the copy costs.
 *
 * Opens EXTRA_FDS descriptors on /dev/null first (O_CLOEXEC, like the JVM side; the soft
 * RLIMIT_NOFILE is raised if needed), runs WARMUP untimed iterations, then ITERATIONS timed
 * ones. Prints "total_ns N" (wall time of the timed loop), then one latency in ns per line.
 * Every call is checked; any failure exits with status 2 and a message on stderr.
 * Compiled by the benchmark harness at run time (gcc -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
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

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

static int clone_files;
static char child_stack[64 * 1024] __attribute__((aligned(16)));

/* Runs in the clone child, on child_stack, sharing our memory until execve: only async-signal-safe calls. */
static int clone_child(void *argv) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_UNSHARE) != 0) _exit(126);
    execve("/bin/true", (char *const *)argv, environ);
    _exit(127);
}

static long long spawn_wait(char *const argv[]) {
    long long t0 = now_ns();
    pid_t pid;
    if (clone_files) {
        pid = clone(clone_child, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD,
                    (void *)argv);
        if (pid < 0) die("clone", errno);
    } else {
        int err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
        if (err != 0) die("posix_spawn /bin/true", err); /* returns the error, errno untouched */
    }
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
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: spawnloop ITERATIONS WARMUP EXTRA_FDS [posix_spawn|clone-files]\n");
        return 2;
    }
    if (argc == 5) {
        if (strcmp(argv[4], "clone-files") == 0) {
            clone_files = 1;
        } else if (strcmp(argv[4], "posix_spawn") != 0) {
            fprintf(stderr, "spawnloop: bad MODE: %s\n", argv[4]);
            return 2;
        }
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
