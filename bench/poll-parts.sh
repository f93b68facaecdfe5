#!/bin/bash
# bench/poll-parts.sh [N] -- the scale issue's poll (`nodes --json` at N
# workers, default 10,000, against nginx as in fleet.sh) with parts of its
# work left out, to show what the goal of 60% of wrk's rate would take.
#
# Builds HEAD (git archive) with bench/poll-parts.patch applied in a
# temporary directory: that build skips, when told by the environment,
#   BS_EXP_NOPARSE  jansson's parse of the reports (the first node's
#                   observation is copied to the others instead)
#   BS_EXP_NOFREE   freeing the snapshot and the settings at exit
#   BS_EXP_NOOUT    writing the JSON
# and runs it as it is, without each, and without all three: interleaved
# runs (RUNS, default 9), the median wall time of each, its rate as a share
# of `wrk -t1 -c64 -d5s` against the same server (measured first), and its
# median CPU time (steadier than wall time on a shared machine). The
# patched build is for this measurement only: it never leaves the temporary
# directory. Figures only; needs nginx-light and wrk
# (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
N=${1:-10000}
. bench/fleet-server.sh
fleet_begin parts

mkdir "$D/src"
git archive HEAD | tar -x -C "$D/src"
(cd "$D/src" && git apply "$OLDPWD/bench/poll-parts.patch") ||
    { echo "bench: bench/poll-parts.patch does not apply to HEAD" >&2; exit 1; }
meson setup "$D/build" "$D/src" -Dtests=false >/dev/null
ninja -C "$D/build" cli/barbican-status >/dev/null
BIN=$D/build/cli/barbican-status

fleet_server_start "$D"
fleet "$N" "$D/fleet.conf"
echo "barbican-status $(git describe --always --dirty) + bench/poll-parts.patch, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
WRK=$(wrk -t1 -c64 -d5s "http://127.0.0.1:$PORT/r/wrk-0" | awk '/Requests\/sec/ { print $2 }')
echo "wrk -t1 -c64 -d5s against the same nginx: $WRK requests/s"
echo "nodes --json at $N workers, median of ${RUNS:-9} interleaved runs:"
/usr/bin/python3 - "$BIN" "$D/fleet.conf" "$N" "$WRK" "${RUNS:-9}" <<'PY'
import os, statistics, subprocess, sys, time
binary, conf, n, wrk, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
variants = [("as it is", {}), ("without parsing the reports", {"BS_EXP_NOPARSE": "1"}),
            ("without freeing at exit", {"BS_EXP_NOFREE": "1"}),
            ("without writing the JSON", {"BS_EXP_NOOUT": "1"}),
            ("without all three", {"BS_EXP_NOPARSE": "1", "BS_EXP_NOFREE": "1",
                                   "BS_EXP_NOOUT": "1"})]
walls = {name: [] for name, _ in variants}
cpus = {name: [] for name, _ in variants}
for _ in range(runs):
    for name, extra in variants:
        env = dict(os.environ, **extra)
        t0 = time.monotonic()
        p = subprocess.Popen([binary, "--config-file", conf, "nodes", "--json"], env=env,
                             stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        walls[name].append(time.monotonic() - t0)
        cpus[name].append(ru.ru_utime + ru.ru_stime)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("bench: nodes --json failed (%s)" % name)
print("  %-30s %-8s %-8s %-11s %s" % ("", "wall", "rate", "of wrk", "CPU (user + system)"))
for name, _ in variants:
    w, c = statistics.median(walls[name]), statistics.median(cpus[name])
    print("  %-30s %.3f s  %6.0f/s  %3.0f%% of wrk  %.3f s" % (name, w, n / w, 100 * n / w / wrk, c))
PY
