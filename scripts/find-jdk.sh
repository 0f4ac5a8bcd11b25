# shellcheck shell=bash
# Finds a JDK >= 22 (procwarden calls native code through java.lang.foreign, final in 22),
# exports JAVA_HOME and puts its bin first on PATH.
#
# Sourced by ./procwarden and ./run-tests; on failure it prints one line to stderr and exits
# the sourcing script with 127 (the shell's "command not found").
# Run directly (bash scripts/find-jdk.sh) it prints the JDK's home, or the same error.
#
# Looks, in this order, at: $JAVA_HOME; the `java` on PATH (symlinks resolved to its home);
# every JDK under the search directories, highest version first (default /usr/lib/jvm on
# Linux; /Library/Java/JavaVirtualMachines/*/Contents/Home and `/usr/libexec/java_home -v 22+`
# on macOS). PROCWARDEN_JDK_SEARCH_DIRS (colon-separated) replaces the search directories
# (and skips java_home), for tests and unusual layouts.
# A candidate counts only with bin/java and bin/javac (the launcher builds the jar on first use).
# Written for bash 3.2 (macOS /bin/bash): no associative arrays, no ${x,,}.

PROCWARDEN_MIN_JAVA=22

# The feature version (25 for "25.0.1", 8 for "1.8.0_402") of the JDK at $1; empty if unknown.
# Reads the release file (no JVM start); falls back to `java -version`.
procwarden_jdk_version() {
    local home=$1 line='' v=''
    if [ -r "$home/release" ]; then
        line=$(grep -m1 '^JAVA_VERSION=' "$home/release" 2>/dev/null) || line=
        v=${line#JAVA_VERSION=}
        v=${v//\"/}
    fi
    if [ -z "$v" ] && [ -x "$home/bin/java" ]; then
        line=$("$home/bin/java" -version 2>&1 | grep -m1 ' version "') || line=
        v=${line#*version \"}
        v=${v%%\"*}
    fi
    case $v in
        1.*) v=${v#1.} ;;
    esac
    v=${v%%[!0-9]*}
    printf '%s' "$v"
}

# Resolves symlinks in $1 (portable: macOS before 12.3 has no readlink -f).
procwarden_realpath() {
    local p=$1 dir link n=0
    while [ -L "$p" ] && [ $n -lt 40 ]; do
        link=$(readlink "$p") || break
        case $link in
            /*) p=$link ;;
            *) p=$(dirname "$p")/$link ;;
        esac
        n=$((n + 1))
    done
    dir=$(cd "$(dirname "$p")" 2>/dev/null && pwd -P) || { printf '%s' "$p"; return; }
    printf '%s/%s' "$dir" "$(basename "$p")"
}

procwarden_jdk_reject() {
    case "$PROCWARDEN_JDK_REJECTED, " in
        *", $1, "*) ;;
        *) PROCWARDEN_JDK_REJECTED="$PROCWARDEN_JDK_REJECTED, $1" ;;
    esac
}

# Succeeds if $1 is a usable JDK; records rejections in PROCWARDEN_JDK_REJECTED.
procwarden_jdk_ok() {
    local home=${1%/} v
    [ -n "$home" ] && [ -d "$home" ] && [ -x "$home/bin/java" ] || return 1
    v=$(procwarden_jdk_version "$home")
    if [ -z "$v" ] || [ "$v" -lt "$PROCWARDEN_MIN_JAVA" ]; then
        procwarden_jdk_reject "${v:-unknown version} at $home"
        return 1
    fi
    if [ ! -x "$home/bin/javac" ]; then
        procwarden_jdk_reject "$v at $home (no javac: a JRE)"
        return 1
    fi
    PROCWARDEN_JDK_VERSION=$v
    return 0
}

# Sets PROCWARDEN_JDK (and PROCWARDEN_JDK_VERSION) and returns 0, or prints the error and returns 127.
procwarden_find_jdk() {
    local java home dir cand best='' best_v=0 looked dirs is_mac=''
    PROCWARDEN_JDK_REJECTED=
    case ${OSTYPE:-} in darwin*) is_mac=1 ;; esac

    # 1. JAVA_HOME
    if [ -n "${JAVA_HOME:-}" ] && procwarden_jdk_ok "$JAVA_HOME"; then
        PROCWARDEN_JDK=${JAVA_HOME%/}
        return 0
    fi
    # 2. java on PATH, resolved to its home (/usr/bin/java -> /usr/lib/jvm/X/bin/java -> X)
    java=$(command -v java 2>/dev/null) || java=
    if [ -n "$java" ]; then
        home=$(dirname "$(dirname "$(procwarden_realpath "$java")")")
        # macOS /usr/bin/java is a stub without a release file: step 3 asks java_home instead.
        if [ "$home" != /usr ] && procwarden_jdk_ok "$home"; then
            PROCWARDEN_JDK=$home
            return 0
        fi
    fi
    # 3. well-known directories: the highest version wins
    if [ -n "${PROCWARDEN_JDK_SEARCH_DIRS+set}" ]; then
        dirs=$PROCWARDEN_JDK_SEARCH_DIRS
    elif [ -n "$is_mac" ]; then
        dirs=/Library/Java/JavaVirtualMachines:$HOME/Library/Java/JavaVirtualMachines
    else
        dirs=/usr/lib/jvm
    fi
    local IFS=:
    for dir in $dirs; do
        [ -d "$dir" ] || continue
        for cand in "$dir"/* "$dir"/*/Contents/Home; do
            [ -d "$cand" ] || continue
            if procwarden_jdk_ok "$cand" && [ "$PROCWARDEN_JDK_VERSION" -gt "$best_v" ]; then
                best=$cand
                best_v=$PROCWARDEN_JDK_VERSION
            fi
        done
    done
    unset IFS
    if [ -z "$best" ] && [ -n "$is_mac" ] && [ -z "${PROCWARDEN_JDK_SEARCH_DIRS+set}" ] \
            && [ -x /usr/libexec/java_home ]; then
        home=$(/usr/libexec/java_home -v "$PROCWARDEN_MIN_JAVA+" 2>/dev/null) || home=
        if [ -n "$home" ] && procwarden_jdk_ok "$home"; then
            best=$home
            best_v=$PROCWARDEN_JDK_VERSION
        fi
    fi
    if [ -n "$best" ]; then
        PROCWARDEN_JDK=$best
        PROCWARDEN_JDK_VERSION=$best_v
        return 0
    fi

    looked="JAVA_HOME${JAVA_HOME:+=$JAVA_HOME}, PATH${dirs:+, ${dirs//:/, }}"
    [ -n "$is_mac" ] && [ -z "${PROCWARDEN_JDK_SEARCH_DIRS+set}" ] && looked="$looked, java_home"
    if [ -n "$PROCWARDEN_JDK_REJECTED" ]; then
        looked="$looked; rejected: ${PROCWARDEN_JDK_REJECTED#, }"
    fi
    echo "procwarden: needs a JDK >= $PROCWARDEN_MIN_JAVA (looked in $looked); none found" >&2
    return 127
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Run as a command: print the home.
    procwarden_find_jdk || exit 127
    printf '%s\n' "$PROCWARDEN_JDK"
else
    procwarden_find_jdk || exit 127
    export JAVA_HOME=$PROCWARDEN_JDK
    case ":$PATH:" in
        "$JAVA_HOME/bin:"*) ;;
        *) PATH=$JAVA_HOME/bin:$PATH ;;
    esac
    export PATH
fi
