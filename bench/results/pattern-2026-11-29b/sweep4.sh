#!/bin/sh
# tile_probe built against the scratch headers of probe_knobs.plan.patch (FG_BAND: 1-worker bands)
V="0,0,0,0,0;0,0,0,0,1"
for c in 8 4 2.25; do
for L in "vgg_c3_1 128 256 56" "vgg_c3_2 256 256 56" "vgg_c4_1 256 512 28" "vgg_c4_2 512 512 28" "vgg_c5_1 512 512 14" "rn18_56 64 64 56" "rn18_28 128 128 28" "rn18_14 256 256 14" "rn18_7 512 512 7"; do
  set -- $L
  FG_ENV=FG_BAND ./tile_probe $1 $2 $3 $4 $c 9 "$V"
done; done
