/*
 * The floor for exit notice of a child after kill -9, in C, in one thread:
 * posix_spawn a batch of `sleep 600`, open a pidfd for each, then one at a time:
 * take the time, kill(pid, SIGKILL), poll() the pidfd until readable, take the time,
 * reap with waitid(P_PIDFD). No thread hand-off: the killing thread is the one woken.
 * With --pids, the same for processes that are NOT our children (their parent reaps them):
 * pidfd_open each given pid, then kill and poll one at a time. With --pids-watcher, the shape
 * of a monitor: a second thread waits in epoll_wait on all the pidfds and takes the time when
 * it wakes, while the main thread kills one process, then waits (on a semaphore) for the
 * watcher before the next: the floor for any design with one watcher thread. With --pids-status,
 * "status known" instead of "death seen": kill, poll() the pidfd for its hang-up (it hangs up
 * when the parent has reaped the process), then read the wait status with
 * ioctl(PIDFD_GET_INFO, PIDFD_INFO_EXIT) (Linux 6.15) and check it is SIGKILL.
 *
 *   exitnotice SLEEP_PATH BATCH
 *   exitnotice --pids PID...
 *   exitnotice --pids-watcher PID...
 *   exitnotice --pids-status PID...
 *
 * Prints one latency in ns per line. Every call is checked; any failure exits with status 2.
 * Needs Linux 5.4 (pidfd_open, waitid(P_PIDFD)). Compiled by the benchmark harness (gcc -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* struct pidfd_info, first version (64 bytes); exit_code at 60 (Linux 6.15). */
struct pidfd_info_v0 {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_EXIT_BIT 0x8

extern char **environ;

static pid_t *pids;
static long started;
static int *pidfds_w;

/* Reports the failure and kills every child still alive, so that no sleep outlives us. */
static void die(const char *what, int err) {
    fprintf(stderr, "exitnotice: %s: %s\n", what, strerror(err));
    for (long i = 0; i < started; i++) {
        if (pids[i] > 0 && kill(pids[i], SIGKILL) != 0 && errno != ESRCH) {
            fprintf(stderr, "exitnotice: kill(%d) during cleanup: %s\n", pids[i], strerror(errno));
        }
    }
    exit(2);
}

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime", errno);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* SIGKILLs pid and blocks in poll() on its pidfd until it is readable; returns the ns in between. */
static long long killAndPoll(pid_t pid, int pidfd) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    long long t0 = now_ns();
    if (kill(pid, SIGKILL) != 0) die("kill", errno);
    int r;
    do {
        r = poll(&p, 1, -1);
    } while (r < 0 && errno == EINTR);
    if (r != 1) die("poll", r < 0 ? errno : EIO);
    return now_ns() - t0;
}

/* Parses the PIDs given after the mode and opens a pidfd for each (non-children: not ours to reap). */
static int *openGivenPids(int argc, char **argv) {
    long n = argc - 2;
    pids = calloc((size_t)n, sizeof(pid_t));
    int *fds = calloc((size_t)n, sizeof(int));
    if (pids == NULL || fds == NULL) die("calloc", ENOMEM);
    for (long i = 0; i < n; i++) {
        char *end;
        errno = 0;
        long pid = strtol(argv[i + 2], &end, 10);
        if (errno != 0 || *end != '\0' || pid <= 0) {
            fprintf(stderr, "exitnotice: bad PID: %s\n", argv[i + 2]);
            exit(2);
        }
        long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
        if (fd < 0) die("pidfd_open", errno);
        pids[i] = (pid_t)pid;
        fds[i] = (int)fd;
        started = i + 1;
    }
    return fds;
}

/* Non-children: kill each, poll its pidfd until readable; their parent reaps them. */
static int nonChildren(int argc, char **argv) {
    long n = argc - 2;
    int *pidfds = openGivenPids(argc, argv);
    long long *lat = calloc((size_t)n, sizeof(long long));
    if (lat == NULL) die("calloc", ENOMEM);
    for (long i = 0; i < n; i++) {
        lat[i] = killAndPoll(pids[i], pidfds[i]);
        pids[i] = 0; /* dead; its parent may reap it at any moment: never signal this number again */
        if (close(pidfds[i]) != 0) die("close", errno);
    }
    for (long i = 0; i < n; i++) {
        if (printf("%lld\n", lat[i]) < 0) die("printf", errno);
    }
    if (fflush(stdout) != 0) die("fflush", errno);
    return 0;
}

/* Non-children: kill each, wait for its reap (the pidfd hangs up), read its status from the kernel. */
static int nonChildrenStatus(int argc, char **argv) {
    long n = argc - 2;
    int *pidfds = openGivenPids(argc, argv);
    long long *lat = calloc((size_t)n, sizeof(long long));
    if (lat == NULL) die("calloc", ENOMEM);
    for (long i = 0; i < n; i++) {
        struct pollfd p = {.fd = pidfds[i], .events = 0}; /* only POLLHUP: reaped */
        long long t0 = now_ns();
        if (kill(pids[i], SIGKILL) != 0) die("kill", errno);
        pids[i] = 0; /* dead; its parent may reap it at any moment: never signal this number again */
        int r;
        do {
            r = poll(&p, 1, -1);
        } while (r < 0 && errno == EINTR);
        if (r != 1) die("poll", r < 0 ? errno : EIO);
        struct pidfd_info_v0 info;
        memset(&info, 0, sizeof info);
        info.mask = PIDFD_INFO_EXIT_BIT;
        if (ioctl(pidfds[i], PIDFD_GET_INFO_V0, &info) != 0) die("ioctl(PIDFD_GET_INFO)", errno);
        lat[i] = now_ns() - t0;
        if (!(info.mask & PIDFD_INFO_EXIT_BIT) || !WIFSIGNALED(info.exit_code) || WTERMSIG(info.exit_code) != SIGKILL) {
            fprintf(stderr, "exitnotice: mask %llx exit_code %d\n", (unsigned long long)info.mask, info.exit_code);
            die("unexpected status from PIDFD_INFO_EXIT", EINVAL);
        }
        if (close(pidfds[i]) != 0) die("close", errno);
    }
    for (long i = 0; i < n; i++) {
        if (printf("%lld\n", lat[i]) < 0) die("printf", errno);
    }
    if (fflush(stdout) != 0) die("fflush", errno);
    return 0;
}

static long watched;
static int epfd;
static long long *stamp;
static sem_t seen;

/* The watcher thread: epoll_wait on every pidfd; stamps each exit as it wakes. */
static void *watcher(void *unused) {
    (void)unused;
    for (long done = 0; done < watched;) {
        struct epoll_event ev[16];
        int r = epoll_wait(epfd, ev, 16, -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("epoll_wait", errno);
        long long t = now_ns();
        for (int k = 0; k < r; k++) {
            long i = (long)ev[k].data.u64;
            stamp[i] = t;
            if (epoll_ctl(epfd, EPOLL_CTL_DEL, pidfds_w[i], NULL) != 0) die("epoll_ctl(DEL)", errno);
            done++;
            if (sem_post(&seen) != 0) die("sem_post", errno);
        }
    }
    return NULL;
}

/* Non-children, watched by a second thread (see the header). */
static int nonChildrenWatched(int argc, char **argv) {
    watched = argc - 2;
    pidfds_w = openGivenPids(argc, argv);
    stamp = calloc((size_t)watched, sizeof(long long));
    long long *t0 = calloc((size_t)watched, sizeof(long long));
    if (stamp == NULL || t0 == NULL) die("calloc", ENOMEM);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1", errno);
    if (sem_init(&seen, 0, 0) != 0) die("sem_init", errno);
    for (long i = 0; i < watched; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, pidfds_w[i], &ev) != 0) die("epoll_ctl(ADD)", errno);
    }
    pthread_t th;
    int e = pthread_create(&th, NULL, watcher, NULL);
    if (e != 0) die("pthread_create", e);
    for (long i = 0; i < watched; i++) {
        t0[i] = now_ns();
        if (kill(pids[i], SIGKILL) != 0) die("kill", errno);
        pids[i] = 0; /* its parent may reap it at any moment: never signal this number again */
        while (sem_wait(&seen) != 0) {
            if (errno != EINTR) die("sem_wait", errno);
        }
    }
    e = pthread_join(th, NULL);
    if (e != 0) die("pthread_join", e);
    for (long i = 0; i < watched; i++) {
        if (close(pidfds_w[i]) != 0) die("close", errno);
        if (printf("%lld\n", stamp[i] - t0[i]) < 0) die("printf", errno);
    }
    if (fflush(stdout) != 0) die("fflush", errno);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--pids") == 0) {
        return nonChildren(argc, argv);
    }
    if (argc >= 3 && strcmp(argv[1], "--pids-watcher") == 0) {
        return nonChildrenWatched(argc, argv);
    }
    if (argc >= 3 && strcmp(argv[1], "--pids-status") == 0) {
        return nonChildrenStatus(argc, argv);
    }
    if (argc != 3) {
        fprintf(stderr, "usage: exitnotice SLEEP_PATH BATCH | exitnotice --pids PID... | exitnotice --pids-watcher PID..."
                " | exitnotice --pids-status PID...\n");
        return 2;
    }
    char *end;
    errno = 0;
    long batch = strtol(argv[2], &end, 10);
    if (errno != 0 || *end != '\0' || batch <= 0 || batch > 100000) {
        fprintf(stderr, "exitnotice: bad BATCH: %s\n", argv[2]);
        return 2;
    }
    pids = calloc((size_t)batch, sizeof(pid_t));
    int *pidfds = calloc((size_t)batch, sizeof(int));
    long long *lat = calloc((size_t)batch, sizeof(long long));
    if (pids == NULL || pidfds == NULL || lat == NULL) die("calloc", ENOMEM);
    char *child_argv[] = {"sleep", "600", NULL};
    for (long i = 0; i < batch; i++) {
        int err = posix_spawn(&pids[i], argv[1], NULL, NULL, child_argv, environ);
        if (err != 0) die("posix_spawn sleep", err);
        started = i + 1;
        long fd = syscall(SYS_pidfd_open, pids[i], 0);
        if (fd < 0) die("pidfd_open", errno);
        pidfds[i] = (int)fd;
    }
    for (long i = 0; i < batch; i++) {
        lat[i] = killAndPoll(pids[i], pidfds[i]);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid((idtype_t)P_PIDFD, (id_t)pidfds[i], &si, WEXITED) != 0) die("waitid(P_PIDFD)", errno);
        pid_t reaped = pids[i];
        pids[i] = 0; /* reaped: never signal this number again */
        if (si.si_code != CLD_KILLED || si.si_status != SIGKILL) {
            fprintf(stderr, "exitnotice: child %d: code %d status %d\n", reaped, si.si_code, si.si_status);
            die("unexpected exit status", EINVAL);
        }
        if (close(pidfds[i]) != 0) die("close", errno);
    }
    for (long i = 0; i < batch; i++) {
        if (printf("%lld\n", lat[i]) < 0) die("printf", errno);
    }
    if (fflush(stdout) != 0) die("fflush", errno);
    return 0;
}
