#!/bin/sh
# old = main 5b622e2 (/tmp/bo), new = remainder rows split / merged (/tmp/bn); alternated, 1 thread
T=${T:-1}
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=/tmp/bo/build/bench/pattern_compare; else b=/tmp/bn/build/bench/pattern_compare; fi
    fg-bench $b --threads $T --layers "vgg_c[345]|rn18" --configs c2.25_g1,c4_g1,c8_g1 --json t${T}_${v}_r$r.json > t${T}_${v}_r$r.txt 2>&1
  done
done
