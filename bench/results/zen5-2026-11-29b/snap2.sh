#!/bin/sh
# Session 14 final cells (commit 348aa09 code), run under the machine lock.
cd /tmp/s14/z5b
B=/tmp/s14/tb/bench
$B/zeroskip_bench --benchmark_filter='zeroskip/fc/fc7/b(1|8|16)/t[12]/cold/|zeroskip/fc/fc6/b1/t[12]/cold/|zeroskip/int/fc7/b1/t1' --benchmark_out=zs_final.json --benchmark_out_format=json > zs_final.txt 2>&1
$B/block_compare --set fc --configs 8x1@90,16x1@90,4x1@90,1x1@90,8x1@70 --cold --json fc_block_t1.json > fc_block_t1.txt 2>&1
$B/block_compare --set fc --layers fc7 --configs 8x1@90,16x1@90,4x1@90 --cold --threads 2 --json fc7_block_t2.json > fc7_block_t2.txt 2>&1
$B/compare --family fc --threads 1 --json fc_dense_t1.json > fc_dense_t1.txt 2>&1
$B/compare --family fc --threads 2 --json fc_dense_t2.json > fc_dense_t2.txt 2>&1
$B/polarized_bench --benchmark_filter='polarized/(f32|int/fc7)/.*/t1/' --benchmark_out=pol_final.json --benchmark_out_format=json > pol_final.txt 2>&1
echo done > snap2.done
