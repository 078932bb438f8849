#!/bin/bash
# Runs fuzz targets one after the other, each for SECONDS, and fails when one of them found
# something (`make fuzz` calls this after building them):
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...      e.g. build-fuzz 600 fuzz_scenario fuzz_idx
#
# Each target starts from its seed corpus (written by seed_corpus.py into BUILD_DIR/fuzz/seeds)
# and its own corpus BUILD_DIR/fuzz/corpus/TARGET, which keeps what earlier runs found
# interesting. A finding (crash, sanitizer report, exception other than spikerate::Error, input
# slower than 10 s, more than 2 GB of memory) stops that target and is saved as
# BUILD_DIR/fuzz/findings/TARGET-{crash,timeout,oom,leak}-<sha1>; `TARGET FILE` replays it, and
# `TARGET -minimize_crash=1 -runs=100000 FILE` shrinks it. Logs: BUILD_DIR/fuzz/TARGET.log.
set -u -o pipefail

if [ $# -lt 3 ]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$build/fuzz

rm -rf "$work/seeds"
/usr/bin/python3 "$here/seed_corpus.py" "$work/seeds" || exit 2
mkdir -p "$work/findings"

failed=()
for target in "$@"; do
    binary=$build/tests/fuzz/$target
    if [ ! -x "$binary" ]; then
        echo "fuzz: $binary is missing (configure with -DSPIKERATE_FUZZ=ON and build it)" >&2
        exit 2
    fi
    options=()
    # The loader gets its dictionary, and room for a whole scenario with overrides after it.
    if [ "$target" = fuzz_scenario ]; then
        options+=("-dict=$work/seeds/scenario.dict" -max_len=8192)
    fi
    mkdir -p "$work/corpus/$target"
    echo "fuzz: $target for $seconds s (log: $work/$target.log)"
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/findings/$target-" "${options[@]}" \
        "$work/corpus/$target" "$work/seeds/$target" > "$work/$target.log" 2>&1
    status=$?
    # The last status line (cov:, ft:, corp:, exec/s) and the final statistics.
    grep -E '^#[0-9]+' "$work/$target.log" | tail -n 1
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
        "$work/$target.log"
    if [ $status -ne 0 ]; then
        echo "fuzz: $target FOUND A PROBLEM (exit status $status):" >&2
        grep -E -A 12 '^==[0-9]+==ERROR|deadly signal|^terminate called|Test unit written' \
            "$work/$target.log" | head -n 40 >&2
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: findings in ${failed[*]} (inputs in $work/findings)" >&2
    exit 1
fi
echo "fuzz: nothing found in $* ($seconds s each)"
