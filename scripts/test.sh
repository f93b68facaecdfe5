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
#   4. meson test: unit (cmocka, with Python oracles), fuzz, sim, integration,
#      tui, hostile; then the unit suite again under valgrind
#   5. in build-asan/ (the same sources built with -fsanitize=address,undefined
#      -fno-sanitize-recover=all; meson test --setup asan: halt_on_error,
#      detect_leaks=1): the whole suite again, unit, fuzz replay and mutation,
#      hostile, sim, build, integration and console, against the same test
#      environment (the Python tests run build-asan's binaries);
#      BS_ASAN=suites runs only the suites that hold no timing bound (unit,
#      fuzz, hostile, sim, build: about 95 s instead of about 6 minutes),
#      BS_ASAN=0 skips the step
#   6. the environment is stopped whatever happened (trap)
# Ends with one line "N passed, N failed" over the three runs. Exit 0 only when
# nothing failed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
BUILD=${BS_BUILD_DIR:-build-test}
ASAN_BUILD=${BS_ASAN_BUILD_DIR:-build-asan}
ASAN=${BS_ASAN:-1}  # 1 (the whole suite, the default), suites or 0: see the top

echo "== install dependencies"
scripts/install-deps.sh --test

echo "== build ($BUILD)"
if [ -f "$BUILD/build.ninja" ]; then
    meson setup --reconfigure "$BUILD" >/dev/null
else
    meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD"
if [ "$ASAN" != 0 ]; then
    echo "== build with ASan + UBSan ($ASAN_BUILD)"
    if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
        meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
            -Dc_args=-fno-sanitize-recover=all >/dev/null
    else
        meson setup --reconfigure "$ASAN_BUILD" >/dev/null
    fi
    ninja -C "$ASAN_BUILD"
fi

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

ASAN_LOG=
if [ "$ASAN" != 0 ]; then
    rm -f "$ASAN_BUILD/meson-logs/testlog-asan.json"
    # its failures are counted below, where tests/asan-known-failures applies
    if [ "$ASAN" = 1 ]; then
        echo "== the whole suite under ASan + UBSan"
        meson test -C "$ASAN_BUILD" --setup asan --print-errorlogs --num-processes 2 || true
    else
        echo "== unit, fuzz, hostile, sim and build suites under ASan + UBSan (BS_ASAN=suites)"
        meson test -C "$ASAN_BUILD" --setup asan --print-errorlogs --num-processes 2 \
            --suite unit --suite fuzz --suite hostile --suite sim --suite build || true
    fi
    ASAN_LOG="$ASAN_BUILD/meson-logs/testlog-asan.json"
fi

# one line per run, then one plain summary line over all of them; a run whose
# log is missing (it could not start) counts as one failure. In the asan run,
# a failure of a test listed in tests/asan-known-failures (a defect the
# sanitizers found, named there) is a known failure, and a pass of a listed
# test a failure (the list must follow the fixes).
/usr/bin/python3 - "main=$BUILD/meson-logs/testlog-main.json" \
    "valgrind=$BUILD/meson-logs/testlog-valgrind.json" ${ASAN_LOG:+"asan=$ASAN_LOG"} <<'PY' || rc=1
import json, sys
known = {}
for line in open("tests/asan-known-failures"):
    if line.strip() and not line.startswith("#"):
        name, _, why = line.rstrip("\n").partition("\t")
        known[name] = why
passed = failed = skipped = xfailed = 0
for arg in sys.argv[1:]:
    run, path = arg.split("=", 1)
    p = f = s = x = 0
    try:
        lines = open(path).read().splitlines()
    except OSError:
        lines = []
        f = 1
        print("  %s: no %s" % (run, path))
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        # "barbican-status:suite / name"
        r, name = t.get("result"), t.get("name", "").rpartition(" / ")[2]
        listed = run == "asan" and name in known
        if r in ("OK", "EXPECTEDFAIL"):
            if listed:
                f += 1
                print("  asan: %s passes: remove it from tests/asan-known-failures" % name)
            else:
                p += 1
        elif r == "SKIP":
            s += 1
        elif listed:
            x += 1
            print("  asan: %s fails as known: %s" % (name, known[name]))
        else:
            f += 1
    print("  %-8s %d passed, %d failed" % (run, p, f) + (", %d known failures" % x if x else "")
          + (", %d skipped" % s if s else ""))
    passed, failed, skipped, xfailed = passed + p, failed + f, skipped + s, xfailed + x
print("%d passed, %d failed" % (passed, failed) + (", %d known failures" % xfailed if xfailed else "")
      + (", %d skipped" % skipped if skipped else ""))
sys.exit(1 if failed else 0)
PY
exit $rc
