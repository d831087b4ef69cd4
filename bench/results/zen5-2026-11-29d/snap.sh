#!/bin/sh
# Session 16 cells, run under the machine lock. B: a Release benchmark build of the commit named in NOTES.md.
cd "$(dirname "$0")"
B=${B:-/tmp/s16/bh/build/bench}
L=${L:-/tmp/p13/fg-bench}
# Integer quad panels (batch > 1) and the 2-thread cells while the second vCPU runs at full speed.
$L $B/polarized_bench --benchmark_filter='polarized/int/fc7(_mag7)?/.*/t[12]/' --benchmark_out=pol_int.json --benchmark_out_format=json > pol_int.txt 2>&1
$L $B/zeroskip_bench --benchmark_filter='zeroskip/fc/fc7/b(1|16)/t2/cold/|zeroskip/fc/fc6/b1/t2/cold/' --benchmark_out=zs_t2.json --benchmark_out_format=json > zs_t2.txt 2>&1
$L $B/block_compare --set conv1x1 --threads 2 --configs 4x1@90,8x1@90,4x1@70,8x1@70 --samples 7 --min-time 0.1 --json c1_t2.json > c1_t2.txt 2>&1
$L $B/pattern_compare --threads 2 --samples 11 --layers "vgg_c[345]|rn18" --configs c2.25_g1,c4_g1,c8_g1,c8_g16 --json pat_t2.json > pat_t2.txt 2>&1
echo done > snap.done
# Second batch (after the bench gained batch 8/16 cold_awake): 2-thread GEMV and batched cells with the workers awake.
# B2: a build of the commit with that bench change.
B2=${B2:-/tmp/s16/v/T/build/bench}
TM=1 $L $B2/zeroskip_bench --benchmark_filter='zeroskip/fc/fc[67]/b1/t2/cold_awake|zeroskip/fc/fc7/b(8|16)/t2/cold_awake' --benchmark_out=zs_t2_awake.json --benchmark_out_format=json > zs_t2_awake.txt 2>&1
