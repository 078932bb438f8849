#!/usr/bin/env bash
# Recording memory stays bounded however long the run: peak RSS of the same recorded scenario
# for 10 s and 100 s of simulated time. The scenario records every input spike (15,000/s) and
# the neuron's V_m at every step (10,000 frames/s), about 36 MB per 100 s if it were kept in
# memory. Usage: bench/memory_growth.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

peak_rss_mib() {  # duration_ms
  "$build/spikerate" run data/scenarios/stdp_song2000.toml -o "$out/run_$1.h5" --force \
      --set run.duration_ms="$1" --set 'record.spikes=["input", "neuron"]' \
      --set 'record.state={ v = { population = "neuron", variable = "V_m", every_ms = 0.1 } }' \
    | awk '/peak memory/ { print $(NF-1) }'
}

short=$(peak_rss_mib 10000)
long=$(peak_rss_mib 100000)
echo "peak RSS, 10 s simulated:  ${short} MiB"
echo "peak RSS, 100 s simulated: ${long} MiB"
echo "output sizes: $(du -h "$out"/run_10000.h5 | cut -f1) and $(du -h "$out"/run_100000.h5 | cut -f1)"
awk -v a="$short" -v b="$long" 'BEGIN { printf "ratio 100 s / 10 s: %.2f (1.00 = no growth)\n", b / a }'
