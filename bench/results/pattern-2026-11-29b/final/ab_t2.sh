#!/bin/sh
# 2 threads, c8_g1 and c2.25_g1: old = 73b5c8a (/tmp/s10b), new = final (/tmp/s10r/b), alternated
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/s10b/bench/pattern_compare; else b=/tmp/s10r/b/bench/pattern_compare; fi
    fg-bench $b --threads 2 --samples 11 --layers "vgg_c[345]|rn18" --configs c2.25_g1,c8_g1 --json t2_${v}_r$r.json > t2_${v}_r$r.txt 2>&1
  done
done
