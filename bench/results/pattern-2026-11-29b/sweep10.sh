#!/bin/sh
# 2 x 4 (default on rows of >= 4 vectors below 3/4 kept) vs 5 x 2 row tiles (FG_R8=2), 1 and 2 threads
for t in 1 2; do for c in 8 4; do
for L in "vgg_c3_1 128 256 56" "vgg_c3_2 256 256 56" "vgg_c4_1 256 512 28" "vgg_c4_2 512 512 28" "rn18_56 64 64 56" "rn18_28 128 128 28"; do
  set -- $L
  FG_ENV=FG_R8 ./tile_probe $1 $2 $3 $4 $c 7 "0,0,0,0,0;0,0,0,0,2" $t
done; done; done
