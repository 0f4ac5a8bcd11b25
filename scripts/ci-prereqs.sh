#!/bin/sh
# Installs what the jail and terminal tests need on a fresh CI machine, idempotently: bubblewrap
# (bwrap), util-linux's setpriv, and tmux (RunPtyTmuxIT drives run --pty in a tmux pane). Does nothing when they are present. Installs only as root with apt-get;
# otherwise says what is missing and exits non-zero, so the tests that need it fail by name
# instead of being skipped. .ci/run calls this before the test suite.
set -eu

missing=""
command -v bwrap >/dev/null 2>&1 || [ -x /usr/bin/bwrap ] || missing="$missing bubblewrap"
command -v setpriv >/dev/null 2>&1 || [ -x /usr/bin/setpriv ] || missing="$missing util-linux"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"

if [ -z "$missing" ]; then
    echo "ci-prereqs: bwrap, setpriv and tmux present: $(bwrap --version 2>/dev/null || echo bwrap), $(tmux -V)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        exec sudo -n "$0" "$@"
    fi
    echo "ci-prereqs: missing:$missing; run as root (or with passwordless sudo) to install" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ci-prereqs: missing:$missing; no apt-get here: install them with this system's package manager" >&2
    exit 1
fi

echo "ci-prereqs: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing
bwrap --version
