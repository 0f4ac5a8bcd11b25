#!/usr/bin/env bash
# How long after a non-child's death `procwarden wait` reports it, against the library in a
# warm JVM, interleaved round by round (scripts/WaitLatency.java says how). The CLI runs
# through the ./procwarden launcher, as a user runs it (with its start-up cache).
#   scripts/measure-wait-latency.sh [ROUNDS]     (default 30; builds the jar first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
rounds=${1:-30}
./procwarden --version >/dev/null # builds the jar and the cache on first use
echo "JDK $PROCWARDEN_JDK_VERSION ($JAVA_HOME), $(nproc 2>/dev/null || sysctl -n hw.ncpu) CPUs," \
    "load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime); $rounds rounds, $(date -u '+%Y-%m-%d %H:%M UTC')"
exec java --enable-native-access=ALL-UNNAMED -cp cli/target/procwarden.jar scripts/WaitLatency.java "$rounds" ./procwarden
