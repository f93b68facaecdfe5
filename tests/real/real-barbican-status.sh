#!/bin/bash
# tests/real/real-barbican-status.sh -- run Barbican's OWN barbican-status
# (Debian's /usr/bin/barbican-status, oslo.upgradecheck) as a test oracle.
#
#   tests/real/real-barbican-status.sh [barbican-status arguments...]
#   e.g. tests/real/real-barbican-status.sh --config-file F upgrade check --json
#
# It runs with /usr/bin/python3 (the script's shebang; never a pyenv python3),
# a clean environment (no OS_* variables that oslo.config would read, no
# PYTHON*), a throw-away HOME and working directory (oslo.config searches
# ~/.barbican/ and ~/ for barbican.conf, and the policy check searches the
# directories of the config files for policy.json), and passes its stdout,
# stderr and exit status through unchanged (0/1/2 Success/Warning/Failure,
# 255 a check raised, 2 also for usage errors, 1 for a missing config file).
# Without --config-file Barbican reads /etc/barbican/barbican.conf, as it does
# on a real node.
set -uo pipefail
BIN=/usr/bin/barbican-status
[ -x "$BIN" ] || { echo "real-barbican-status.sh: $BIN missing (package barbican-common); run scripts/install-deps.sh --test" >&2; exit 127; }
TMPH=$(mktemp -d /tmp/real-barbican-status.XXXXXX) || exit 127
trap 'rm -rf -- "$TMPH"' EXIT
(
    cd "$TMPH" || exit 127
    for v in $(compgen -e); do
        case "$v" in PATH|LC_ALL|TZ) ;; *) unset "$v" 2>/dev/null || true ;; esac
    done
    export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=$TMPH LANG=C.UTF-8
    exec "$BIN" "$@"
)
