#!/bin/sh
# old = 361d98e (2 x 4 row tiles on rows of >= 4 vectors below 3/4 kept), new = 5 x 2 there; alternated, 1 thread
for r in 1 2; do
  if [ $r = 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    fg-bench /tmp/pc_$v --threads 1 --layers "vgg_c[345]|rn18" --configs c4_g1,c8_g1 --json t1_${v}_r$r.json > t1_${v}_r$r.txt 2>&1
  done
done
