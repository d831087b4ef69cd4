#!/bin/sh
# old = main 73b5c8a (/tmp/s10b), new = punched bands (/tmp/s10n/b); alternated
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/s10b/bench/block_compare; else b=/tmp/s10n/b/bench/block_compare; fi
    fg-bench $b --set punched --threads 1 --json pu_t1_${v}_r$r.json > pu_t1_${v}_r$r.txt 2>&1
  done
done
for v in old new; do
  if [ $v = old ]; then b=/tmp/s10b/bench/block_compare; else b=/tmp/s10n/b/bench/block_compare; fi
  fg-bench $b --set punched --threads 2 --json pu_t2_${v}.json > pu_t2_${v}.txt 2>&1
done
