#!/bin/sh
# old = fbef0a3 (/tmp/s10n/b: 16-channel blocks at 4x), new (/tmp/s10r/b): ab_cb.sh cb = 24-channel
# blocks on every 4x layer (first try), ab_cb.sh cb2 = only when the output tile of all filters > 384 KB (landed)
p=${1:-cb}
for t in 1 2; do
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/s10n/b/bench/pattern_compare; else b=/tmp/s10r/b/bench/pattern_compare; fi
    fg-bench $b --threads $t --layers "vgg_c[345]|rn18" --configs c4_g1 --json ${p}_t${t}_${v}_r$r.json > ${p}_t${t}_${v}_r$r.txt 2>&1
  done
done; done
