#!/bin/bash
# bench/fuzz.sh -- the coverage-guided (libFuzzer) runs of tests/fuzz/, offline.
#
#   bench/fuzz.sh build                      configure + build build-fuzz/ (clang 14,
#                                            libFuzzer, ASan + UBSan, -fno-sanitize-recover)
#   bench/fuzz.sh run TARGET SECONDS [RUNS]  fuzz TARGET for SECONDS or RUNS inputs, whichever
#                                            ends first (one process) from
#                                            tests/fuzz/corpus/TARGET into a scratch
#                                            corpus; prints libFuzzer's final figures;
#                                            crashes land in build-fuzz/crashes/TARGET/
#   bench/fuzz.sh merge TARGET               merge the scratch corpus back into
#                                            tests/fuzz/corpus/TARGET (-merge=1: only the
#                                            inputs that add coverage are kept)
#   bench/fuzz.sh replay TARGET              every corpus file once (-runs=0)
#
# Needs clang and libclang-rt-14-dev (Debian 12). The targets are the same files
# that `meson test --suite fuzz` runs through tests/fuzz/driver.c. Figures of
# the runs so far: tests/fuzz/README.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
B=${BS_FUZZ_BUILD:-build-fuzz}
cmd=${1:-}
case "$cmd" in
build)
    if [ ! -f "$B/build.ninja" ]; then
        CC=clang meson setup "$B" -Dtests=false -Dlibfuzzer=true -Dman=disabled \
            -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
            -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
    fi
    targets=$(sed -n "s/^fuzz_targets += {'\([a-z-]*\)'.*/tests\/fuzz\/fuzz-\1/p" tests/fuzz/meson.build)
    # shellcheck disable=SC2086
    ninja -C "$B" $targets
    ;;
run)
    t=$2 secs=$3 runs=${4:--1}
    mkdir -p "$B/work/$t" "$B/crashes/$t"
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$B/tests/fuzz/fuzz-$t" -max_total_time="$secs" -runs="$runs" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/crashes/$t/" "$B/work/$t" "tests/fuzz/corpus/$t"
    ;;
merge)
    t=$2
    # -use_counters=0: an input is kept for a new edge, not for a new hit count
    # of a known one (keeps the corpus to a few hundred files)
    "$B/tests/fuzz/fuzz-$t" -merge=1 -use_counters=0 -max_len=65536 "tests/fuzz/corpus/$t" "$B/work/$t"
    ;;
replay)
    t=$2
    "$B/tests/fuzz/fuzz-$t" -runs=0 "tests/fuzz/corpus/$t"
    ;;
*)
    sed -n '2,20p' "$0" >&2
    exit 64
    ;;
esac
