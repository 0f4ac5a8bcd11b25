#!/usr/bin/env bash
# Installs the library (io.procwarden:procwarden-core, with its sources and javadoc jars, and the
# parent pom) into a local Maven repository, so another build can depend on it by coordinates.
# Finds a JDK >= 22 itself (scripts/find-jdk.sh); tests are skipped (./run-tests runs them).
# Extra arguments go to Maven, e.g. -Dmaven.repo.local=/tmp/repo for a repository other than ~/.m2.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
. scripts/ensure-maven.sh
echo "procwarden: installing procwarden-core with JDK $PROCWARDEN_JDK_VERSION at $JAVA_HOME" >&2
exec mvn -B -q -DskipTests -pl core -am install "$@"
