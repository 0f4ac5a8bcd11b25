#!/usr/bin/env bash
# Measures the start-up of procwarden.jar (median wall time of N runs, ms) with the launcher's
# JVM flags, with and without a class-data-sharing archive (dynamic AppCDS; the JDK 25 AOT
# cache). A bash loop with date +%s%N, the configurations interleaved round by round so that
# drift on a noisy machine hits all alike. Archives go to a scratch directory, not cli/target.
#   scripts/measure-startup.sh [RUNS]        (default 20; build the jar first: ./procwarden --version)
# shellcheck disable=SC2086 # java options are kept in strings and split on purpose
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
set -f # no globbing: java options hold "*"
runs=${1:-20}
jar=$PWD/cli/target/procwarden.jar
[ -f "$jar" ] || { echo "measure-startup: no $jar; run ./procwarden --version first" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$jar" "$scratch/procwarden.jar" # archives record the jar's path and mtime
jar=$scratch/procwarden.jar

flags="-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
native="--enable-native-access=ALL-UNNAMED"
commands=("--version" "info" "wait --timeout 0 1" "run -- true")

if [ "$(date +%N)" != N ]; then
    now_ns() { date +%s%N; }
else # BSD date (macOS) has no %N
    now_ns() { perl -MTime::HiRes=time -e 'printf "%.0f\n", time * 1e9'; }
fi

labels=()
configs=() # java options before -jar, one string per configuration

config() { # label, java options
    labels+=("$1")
    configs+=("$2")
}

measure() { # command: prints one median per configuration
    local cmd=$1 round c t0 t1
    local -a files=()
    for c in "${!configs[@]}"; do
        files[c]=$scratch/times.$c
        : >"${files[c]}"
    done
    for ((round = -3; round < runs; round++)); do # 3 warm-up rounds
        for c in "${!configs[@]}"; do
            t0=$(now_ns)
            # shellcheck disable=SC2086 # options and command are split into words on purpose
            java ${configs[c]} -jar "$jar" $cmd >/dev/null 2>&1 || true
            t1=$(now_ns)
            [ "$round" -ge 0 ] && echo $(((t1 - t0) / 1000000)) >>"${files[c]}"
        done
    done
    for c in "${!configs[@]}"; do
        sort -n "${files[c]}" | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)) }'
    done
}

quiet='-Xlog:disable -Xlog:all=warning:stderr -Xlog:cds*=off:stderr' # as the launcher
training=(-jar "$jar" wait --timeout 0 1)                           # as the launcher
java $native $flags -Xshare:auto $quiet -XX:ArchiveClassesAtExit="$scratch/a.jsa" "${training[@]}" >/dev/null 2>&1 || true
java $flags -Xshare:auto $quiet -XX:ArchiveClassesAtExit="$scratch/b.jsa" "${training[@]}" >/dev/null 2>&1 || true
config "launcher flags, no archive" "$native $flags -Xshare:auto $quiet"
config "launcher flags + AppCDS archive (the launcher's)" "$native $flags -Xshare:auto $quiet -XX:SharedArchiveFile=$scratch/a.jsa"
config "without --enable-native-access (manifest grants it)" "$flags -Xshare:auto $quiet"
config "  + AppCDS archive" "$flags -Xshare:auto $quiet -XX:SharedArchiveFile=$scratch/b.jsa"
if [ "$PROCWARDEN_JDK_VERSION" -ge 25 ]; then
    java $native $flags $quiet -XX:AOTCacheOutput="$scratch/pw.aot" "${training[@]}" >/dev/null 2>&1 || true
    config "JDK 25 AOT cache (JEP 483/514) instead of AppCDS" "$native $flags $quiet -XX:AOTCache=$scratch/pw.aot"
fi

for archive in a.jsa b.jsa pw.aot; do
    [ "$archive" = pw.aot ] && [ "$PROCWARDEN_JDK_VERSION" -lt 25 ] && continue
    [ -s "$scratch/$archive" ] || echo "measure-startup: training did not write $archive; its rows run without it" >&2
done

results=()
for cmd in "${commands[@]}"; do
    results+=("$(measure "$cmd")")
done
echo "JDK $PROCWARDEN_JDK_VERSION ($JAVA_HOME), $(nproc 2>/dev/null || sysctl -n hw.ncpu) CPUs;" \
    "median of $runs runs, ms; configurations interleaved; archives trained by one run of 'wait --timeout 0 1'"
printf '%-52s %10s %10s %10s %10s\n' "java options (all: $flags, -Xlog as the launcher)" "--version" "info" "wait->124" \
    "run true"
for c in "${!configs[@]}"; do
    printf '%-52s' "${labels[c]}"
    for r in "${results[@]}"; do
        printf ' %10s' "$(sed -n "$((c + 1))p" <<<"$r")"
    done
    echo
done
