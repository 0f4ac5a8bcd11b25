#!/usr/bin/env bash
# Measures the start-up of procwarden (median wall time of N runs, ms) against a plain Java
# hello world and GNU `timeout 10 true`, on this machine in this run: procwarden.jar with the
# launcher's JVM flags without a cache, with an AppCDS archive, with the JDK 25 AOT cache (the
# launcher's choice), and through the ./procwarden launcher itself. Caches are trained as the
# launcher trains them (io.procwarden.cli.AotTraining) and kept in a scratch directory, not in
# cli/target. A bash loop with date +%s%N (hyperfine is not needed), the configurations
# interleaved round by round so that drift on a noisy machine hits all alike.
#   scripts/measure-startup.sh [RUNS]        (default 20; builds the jar first if needed)
#   PROCWARDEN_BASELINE_JAR=old.jar scripts/measure-startup.sh   adds a row for an older jar
#       (launcher flags of before: AppCDS trained by `wait --timeout 0 1`)
# docs/startup.md has the figures and how to read them.
# shellcheck disable=SC2086 # java options are kept in strings and split on purpose
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
set -f # no globbing: java options hold "*"
runs=${1:-20}
./procwarden --version >/dev/null # builds the jar and the launcher's cache on first use
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp cli/target/procwarden.jar "$scratch/procwarden.jar" # caches record the jar's path and mtime
jar=$scratch/procwarden.jar

cat >"$scratch/Hello.java" <<'EOF'
public class Hello { public static void main(String[] args) { System.out.println("hello"); } }
EOF
javac -d "$scratch" "$scratch/Hello.java"

flags="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
quiet='-Xlog:disable -Xlog:all=warning:stderr -Xlog:cds*=off:stderr -Xlog:aot*=off:stderr' # as the launcher
commands=("--version" "info" "wait --timeout 0 1" "run -- true")

if [ "$(date +%N)" != N ]; then
    now_ns() { date +%s%N; }
else # BSD date (macOS) has no %N
    now_ns() { perl -MTime::HiRes=time -e 'printf "%.0f\n", time * 1e9'; }
fi

labels=()
configs=() # a command prefix per configuration; the command's words are appended

config() { # label, command prefix
    labels+=("$1")
    configs+=("$2")
}

# One run of configuration $1 with command $2; "skip" configurations print nothing.
run_once() {
    local prefix=$1 cmd=$2
    case $prefix in
        HELLO*) ${prefix#HELLO} ;;                              # ignores the command
        TIMEOUT) [ "$cmd" = "run -- true" ] && timeout 10 true ;; # GNU's own floor for run
        *) $prefix $cmd ;;
    esac
}

measure() { # command: prints one median per configuration ("-" where it does not apply)
    local cmd=$1 round c t0 t1
    local -a files=()
    for c in "${!configs[@]}"; do
        files[c]=$scratch/times.$c
        : >"${files[c]}"
    done
    for ((round = -3; round < runs; round++)); do # 3 warm-up rounds
        for c in "${!configs[@]}"; do
            [ "${configs[c]}" = TIMEOUT ] && [ "$cmd" != "run -- true" ] && continue
            t0=$(now_ns)
            run_once "${configs[c]}" "$cmd" >/dev/null 2>&1 || true
            t1=$(now_ns)
            [ "$round" -ge 0 ] && echo $(((t1 - t0) / 100000)) >>"${files[c]}" # tenths of ms
        done
    done
    for c in "${!configs[@]}"; do
        sort -n "${files[c]}" | awk '{ a[NR] = $1 } END {
            if (NR == 0) { print "-"; exit }
            m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.1f\n", m / 10 }'
    done
}

training=(-cp "$jar" io.procwarden.cli.AotTraining) # as the launcher
java $flags $quiet -XX:ArchiveClassesAtExit="$scratch/pw.jsa" "${training[@]}" >/dev/null 2>&1 </dev/null || true
config "java Hello (plain java, default flags)" "HELLOjava -cp $scratch Hello"
config "java Hello, the launcher's flags" "HELLOjava $flags -cp $scratch Hello"
if command -v timeout >/dev/null 2>&1; then
    config "GNU timeout 10 true" TIMEOUT
fi
config "procwarden.jar, launcher flags, no cache" "java $flags $quiet -Xshare:auto -jar $jar"
config "  + AppCDS archive (JDK 22-24 launcher)" "java $flags $quiet -XX:SharedArchiveFile=$scratch/pw.jsa -jar $jar"
if [ "$PROCWARDEN_JDK_VERSION" -ge 25 ]; then
    java $flags $quiet -XX:AOTCacheOutput="$scratch/pw.aot" "${training[@]}" >/dev/null 2>&1 </dev/null || true
    config "  + AOT cache (JDK 25+ launcher)" "java $flags $quiet -XX:AOTCache=$scratch/pw.aot -jar $jar"
fi
config "./procwarden (the launcher script, its cache)" "./procwarden"
if [ -n "${PROCWARDEN_BASELINE_JAR:-}" ]; then
    cp "$PROCWARDEN_BASELINE_JAR" "$scratch/baseline.jar"
    old="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto $quiet"
    java $old -XX:ArchiveClassesAtExit="$scratch/baseline.jsa" -jar "$scratch/baseline.jar" wait --timeout 0 1 \
        >/dev/null 2>&1 || true
    config "baseline jar, its flags + AppCDS" "java $old -XX:SharedArchiveFile=$scratch/baseline.jsa -jar $scratch/baseline.jar"
fi

for f in pw.jsa pw.aot; do
    [ "$f" = pw.aot ] && [ "$PROCWARDEN_JDK_VERSION" -lt 25 ] && continue
    [ -s "$scratch/$f" ] || echo "measure-startup: training did not write $f; its row runs without it" >&2
done

results=()
for cmd in "${commands[@]}"; do
    results+=("$(measure "$cmd")")
done
hello_version=$(sed -n 1p <<<"${results[0]}") # the first configuration, plain java Hello
hello_run=$(sed -n 1p <<<"${results[3]}")
echo "JDK $PROCWARDEN_JDK_VERSION ($JAVA_HOME), $(nproc 2>/dev/null || sysctl -n hw.ncpu) CPUs," \
    "load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?), $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "median of $runs runs, ms; configurations interleaved"
echo
echo "| configuration | --version | info | wait --timeout 0 1 | run -- true | run / hello | --version / hello |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for c in "${!configs[@]}"; do
    row=()
    for r in "${results[@]}"; do
        row+=("$(sed -n "$((c + 1))p" <<<"$r")")
    done
    ratio() { [ "$1" = - ] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
    echo "| ${labels[c]} | ${row[0]} | ${row[1]} | ${row[2]} | ${row[3]} | $(ratio "${row[3]}" "$hello_run") |" \
        "$(ratio "${row[0]}" "$hello_version") |"
done
