# shellcheck shell=bash
# Makes sure `mvn` is on PATH. Sourced by ./run-tests and ./procwarden (when it must build),
# after scripts/find-jdk.sh. As root on a Debian/Ubuntu system it installs Maven with apt-get;
# otherwise it prints one line to stderr and exits the sourcing script with 127.

if ! command -v mvn >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "procwarden: mvn not found; installing Maven with apt-get" >&2
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven; } >&2; then
            echo "procwarden: apt-get install maven failed; install Maven 3.8+ and put mvn on PATH" >&2
            exit 127
        fi
    else
        echo "procwarden: needs Maven (mvn) on PATH to build; install Maven 3.8+ (apt-get install maven, brew install maven)" >&2
        exit 127
    fi
fi

# JDK 24+ warns when Maven's own libraries (guava, jansi) use sun.misc.Unsafe: harmless noise.
if [ "${PROCWARDEN_JDK_VERSION:-0}" -ge 24 ]; then
    case " ${MAVEN_OPTS:-} " in
        *" --sun-misc-unsafe-memory-access="*) ;;
        *) export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow" ;;
    esac
fi
