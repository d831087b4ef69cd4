#!/bin/sh
# old = main 73b5c8a (/tmp/s10b), new = 1-worker bands (/tmp/s10n/b); alternated, 1 thread
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/s10b/bench/pattern_compare; else b=/tmp/s10n/b/bench/pattern_compare; fi
    fg-bench $b --threads 1 --layers "vgg_c[345]|rn18" --configs c2.25_g1,c4_g1,c8_g1 --json t1_${v}_r$r.json > t1_${v}_r$r.txt 2>&1
  done
done
