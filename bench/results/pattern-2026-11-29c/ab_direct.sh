#!/bin/sh
# old = 486b53e (/tmp/bn: row remainders), new = row tiles in place in the NCHW output (/tmp/bd); alternated
T=${T:-1}
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/bn/build/bench/pattern_compare; else b=/tmp/bd/build/bench/pattern_compare; fi
    fg-bench $b --threads $T --layers "vgg_c3|rn18_3x3_56" --configs c2.25_g1,c4_g1,c8_g1 --json d${T}_${v}_r$r.json > d${T}_${v}_r$r.txt 2>&1
  done
done
