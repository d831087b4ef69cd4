#!/bin/sh
# old = fbef0a3 (/tmp/s10n/b: 16-channel blocks at 4x), new = ~14 kernels per block while it fits L1 (/tmp/s10r/b)
for t in 1 2; do
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/s10n/b/bench/pattern_compare; else b=/tmp/s10r/b/bench/pattern_compare; fi
    fg-bench $b --threads $t --layers "vgg_c[345]|rn18" --configs c4_g1 --json cb_t${t}_${v}_r$r.json > cb_t${t}_${v}_r$r.txt 2>&1
  done
done; done
