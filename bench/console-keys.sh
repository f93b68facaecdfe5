#!/bin/bash
# bench/console-keys.sh [N] -- key latency of `barbican-status console` in a
# private tmux server (80x24), against the demo fleet (node simulator) and a
# real PostgreSQL, with and without a node that never answers (its probe
# in flight for 30 s). For each: the time from `tmux send-keys ?` until the
# help shows on the screen (footer "Esc close") and from Escape until it is
# gone, over N tries (default 20); and the cost of one capture-pane, which
# every figure includes (the screen is polled with it). Prints figures only.
#
# Uses the test environment of $BS_TESTENV (tests/env/testenv.sh up DIR);
# without it, brings one up in a temporary directory and down at the end.
# The code that drives tmux is tests/tui/consolekit.py (the tests' own).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD
BUILD=${BS_BUILD_DIR:-build}
N=${1:-20}
[ -x "$BUILD/cli/barbican-status" ] || { echo "bench: $BUILD/cli/barbican-status not built (BS_BUILD_DIR)" >&2; exit 1; }
[ -x "$BUILD/tests/sim/bs-nodesim" ] || { echo "bench: $BUILD/tests/sim/bs-nodesim not built" >&2; exit 1; }
command -v tmux >/dev/null || { echo "bench: tmux missing (scripts/install-deps.sh --test)" >&2; exit 1; }

ENVDIR=
cleanup() {
    if [ -n "$ENVDIR" ]; then
        tests/env/testenv.sh down "$ENVDIR" >/dev/null 2>&1 || true
        rm -rf "$ENVDIR"
    fi
}
trap cleanup EXIT
if [ -z "${BS_TESTENV:-}" ]; then
    ENVDIR=$(mktemp -d /tmp/bs-bench-env.XXXXXX)
    echo "bringing up a test environment in $ENVDIR ..."
    tests/env/testenv.sh up "$ENVDIR" >"$ENVDIR.log" 2>&1 || { tail -20 "$ENVDIR.log" >&2; rm -f "$ENVDIR.log"; exit 1; }
    rm -f "$ENVDIR.log"
    export BS_TESTENV=$ENVDIR
fi

BS_SOURCE_ROOT=$ROOT BS_BUILD_ROOT=$ROOT/$BUILD \
PYTHONPATH=$ROOT/tests/tui:$ROOT/tests/integration \
/usr/bin/python3 - "$N" <<'PY'
import statistics
import sys
import time

import consolekit as ck

N = int(sys.argv[1])


def figures(name, xs):
    xs = sorted(x * 1e3 for x in xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    print("  %-34s n=%-3d min %6.1f  median %6.1f  p90 %6.1f  max %6.1f ms" % (
        name, len(xs), xs[0], statistics.median(xs), p90, xs[-1]))


def run(label, hung):
    fleet = ck.load_fleet("demo-14.json")
    timeouts = None
    if hung:
        ck.fleet_node(fleet, "ctl3-wrk")["faults"] = {"*": {"hang": True}}
        timeouts = {"ctl3-wrk": 30}
    d = ck.Deployment(fleet, node_timeouts=timeouts)
    t = ck.Tmux(80, 24)
    c = None
    try:
        t0 = time.monotonic()
        c = ck.Console(t, d)
        c.wait_screen(lambda s: (ck.node_row(s, "ctl1-wrk") or "").split()[3:4] == ["14.0.2"],
                      15, "ctl1-wrk's row")
        cap = []
        for _ in range(N):
            a = time.monotonic()
            t.capture()
            cap.append(time.monotonic() - a)
        opened, closed = [], []
        for _ in range(N):
            t.wait(ck.main_footer, 10, "the main footer")
            a = time.monotonic()
            t.keys("?")
            t.wait(ck.in_dialog, 10, "the help", interval=0.0)
            opened.append(time.monotonic() - a)
            a = time.monotonic()
            t.keys("Escape")
            t.wait(ck.main_footer, 10, "the main footer", interval=0.0)
            closed.append(time.monotonic() - a)
        took = time.monotonic() - t0
        print("%s (measured within %.1f s of the start%s)" % (
            label, took, "; ctl3-wrk still in flight" if hung and took < 30 else ""))
        figures("? until the help shows", opened)
        figures("Escape until it is gone", closed)
        figures("one capture-pane (included above)", cap)
        t.keys("q")
        c.wait_exit(10)
    finally:
        if c:
            c.close()
        t.close()
        d.close()


run("demo fleet, every node answering", False)
run("demo fleet, ctl3-wrk hangs (probe timeout 30 s)", True)
PY
