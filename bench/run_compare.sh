#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs `compare` on every family at 1 and 2 threads, RUNS times (alternating 1 and 2 threads, one
# process at a time), then renders the pooled tables of bench/RESULTS.md.
#
#   bench/run_compare.sh BUILD_DIR OUT_DIR [RUNS=3] [extra compare flags...]
set -eu
build=$1
out=$2
runs=${3:-3}
[ $# -ge 3 ] && shift 3 || shift $#
mkdir -p "$out"
for r in $(seq 1 "$runs"); do
  for t in 1 2; do
    echo "run $r, $t thread(s): $(date -u +%H:%M:%S)" >&2
    "$build/bench/compare" --family all --threads "$t" --quiet-wait 60 --json "$out/compare_t${t}_run$r.json" "$@" \
      > "$out/compare_t${t}_run$r.txt"
  done
done
python3 "$(dirname "$0")/results_tables.py" "$out"/compare_t*_run*.json > "$out/tables.md"
echo "tables: $out/tables.md" >&2
