#!/bin/bash
# scripts/test.sh -- install what is needed, build, and run every test.
#
# This is README command 2 and what CI runs (.ci/run). As root on Debian 12:
#   1. scripts/install-deps.sh --test (apt-get; nothing when all is installed)
#   2. meson setup + ninja in build-test/ (warnings are errors)
#   3. the test environment: a private PostgreSQL, a private MariaDB and a
#      two-node Galera cluster on 127.0.0.1 with the real Barbican 14.x/15.x
#      schemas (made by barbican-manage) and the real barbican-api 15.0.1 under
#      uwsgi, on PostgreSQL and on MariaDB (tests/env/testenv.sh up)
#   4. meson test: unit (cmocka, with Python oracles), fuzz, sim, integration;
#      then the unit suite again under valgrind
#   5. the environment is stopped whatever happened (trap)
# Ends with one line "N passed, N failed". Exit 0 only when nothing failed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
BUILD=${BS_BUILD_DIR:-build-test}

echo "== install dependencies"
scripts/install-deps.sh --test

echo "== build ($BUILD)"
if [ -f "$BUILD/build.ninja" ]; then
    meson setup --reconfigure "$BUILD" >/dev/null
else
    meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD"

echo "== test environment"
ENVDIR=$(mktemp -d /tmp/bs-testenv.XXXXXX)
cleanup() {
    tests/env/testenv.sh down "$ENVDIR" >/dev/null 2>&1 || true
    rm -rf "$ENVDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
tests/env/testenv.sh up "$ENVDIR"
export BS_TESTENV=$ENVDIR

echo "== tests"
rc=0
meson test -C "$BUILD" --print-errorlogs --num-processes 2 || rc=1
cp "$BUILD/meson-logs/testlog.json" "$BUILD/meson-logs/testlog-main.json"

echo "== unit tests under valgrind"
meson test -C "$BUILD" --setup valgrind --suite unit --print-errorlogs --num-processes 2 || rc=1
cp "$BUILD/meson-logs/testlog-valgrind.json" "$BUILD/meson-logs/testlog-valgrind-copy.json" 2>/dev/null || true

# one plain summary line over both runs
/usr/bin/python3 - "$BUILD/meson-logs/testlog-main.json" "$BUILD/meson-logs/testlog-valgrind.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print("%d passed, %d failed" % (passed, failed) + (", %d skipped" % skipped if skipped else ""))
PY
exit $rc
