#!/bin/sh
# Session 15 final cells (commit 1dfca3c kernels), run under the machine lock.
cd "$(dirname "$0")"
B=${B:-/tmp/s15/bb5/bench}
L=${L:-/tmp/p13/fg-bench}
$L $B/zeroskip_bench --benchmark_filter='zeroskip/fc/fc7/b(1|8|16)/t[12]/cold/|zeroskip/fc/fc6/b1/t[12]/cold/|zeroskip/int/fc7/b1/t1' --benchmark_out=zs_final.json --benchmark_out_format=json > zs_final.txt 2>&1
$L $B/polarized_bench --benchmark_filter='polarized/(f32|int/fc7|int/fc7_mag7)/.*/t1/' --benchmark_out=pol_final.json --benchmark_out_format=json > pol_final.txt 2>&1
$L $B/block_compare --set conv1x1 --configs 4x1@90,8x1@90,4x1@70,8x1@70,1x1@90,1x1@70,4x1@30,8x1@30 --samples 7 --min-time 0.1 --json c1_t1.json > c1_t1.txt 2>&1
echo done > snap.done
