#!/bin/bash
# bench/upgrade-check.sh [CONF] -- `upgrade check` timed side by side with
# Barbican's own Python command on the same configuration: median of 10 runs
# each (interleaved), wall time and peak RSS.
#
# Default CONF: the demo deployment's (scripts/demo.sh start), so that ours
# also connects to PostgreSQL and probes 6 nodes; Barbican's own reads the
# same file and checks only the policy file (it opens no database).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
CONF=${1:-/var/tmp/barbican-status-demo/barbican-status.conf}
BIN=${BS_BIN:-build/cli/barbican-status}
[ -r "$CONF" ] || { echo "bench: $CONF not found: start the demo (scripts/demo.sh) or pass a config" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN not built" >&2; exit 1; }
[ -x /usr/bin/barbican-status ] || { echo "bench: /usr/bin/barbican-status missing (scripts/install-deps.sh --test)" >&2; exit 1; }
H=$(mktemp -d)
trap 'rm -rf "$H"' EXIT
echo "config: $CONF"
echo "ours:   $BIN ($("$BIN" --version))"
echo "peer:   /usr/bin/barbican-status (Barbican $(dpkg-query -W -f='${Version}' python3-barbican 2>/dev/null))"
env -i PATH=/usr/bin:/bin HOME="$H" LANG=C.UTF-8 /usr/bin/python3 bench/timecmd.py -n "${N:-10}" -- \
    barbican-status-c "$PWD/$BIN" --config-file "$CONF" upgrade check --- \
    barbican-status-python /usr/bin/barbican-status --config-file "$CONF" upgrade check
