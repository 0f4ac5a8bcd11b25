/*
 * The floor for the polling fallback's idle cost with non-children: what kill(pid, 0) on every
 * watched process once per interval costs by itself, in C, with nothing else.
 *
 *   pollfloor INTERVAL_MS SECONDS PID...
 *
 * Every INTERVAL_MS (absolute deadlines, so rounds do not drift) calls kill(pid, 0) for each PID,
 * for SECONDS seconds, then prints the CPU it used (user + system, getrusage) as a percentage of
 * one core over the wall time. A PID that has gone (ESRCH) is an error: the caller keeps them
 * alive for the whole run. Exits 2 on any failure. Compiled by the benchmark harness (gcc -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long parse(const char *what, const char *s, long max) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0 || v > max) {
        fprintf(stderr, "pollfloor: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static double cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        fprintf(stderr, "pollfloor: getrusage: %s\n", strerror(errno));
        exit(2);
    }
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
        fprintf(stderr, "pollfloor: clock_gettime: %s\n", strerror(errno));
        exit(2);
    }
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: pollfloor INTERVAL_MS SECONDS PID...\n");
        return 2;
    }
    long interval_ms = parse("INTERVAL_MS", argv[1], 10000);
    long seconds = parse("SECONDS", argv[2], 3600);
    int n = argc - 3;
    pid_t *pids = calloc((size_t)n, sizeof(pid_t));
    if (pids == NULL) return 2;
    for (int i = 0; i < n; i++) pids[i] = (pid_t)parse("PID", argv[i + 3], 1L << 30);

    struct timespec next;
    if (clock_gettime(CLOCK_MONOTONIC, &next) != 0) return 2;
    double cpu0 = cpu_seconds();
    double t0 = now();
    long rounds = seconds * 1000 / interval_ms;
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            if (kill(pids[i], 0) != 0) {
                fprintf(stderr, "pollfloor: kill(%d, 0): %s\n", pids[i], strerror(errno));
                return 2;
            }
        }
        next.tv_nsec += interval_ms * 1000000L;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        int e;
        while ((e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL)) == EINTR) {
        }
        if (e != 0) {
            fprintf(stderr, "pollfloor: clock_nanosleep: %s\n", strerror(e));
            return 2;
        }
    }
    printf("%.4f\n", 100.0 * (cpu_seconds() - cpu0) / (now() - t0));
    return fflush(stdout) == 0 ? 0 : 2;
}
