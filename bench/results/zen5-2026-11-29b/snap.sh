#!/bin/sh
# Session 14 measurements (final code, build tree with benchmarks), run under the machine lock.
cd /tmp/s14/z5b
B=/tmp/s14/tb/bench
$B/zeroskip_bench --benchmark_filter='zeroskip/fc/fc7/b(1|8|16)/t[12]/cold/|zeroskip/fc/fc6/b1/t[12]/cold/|zeroskip/int/fc7/b1/t1' --benchmark_out=zs_s14.json --benchmark_out_format=json > zs_s14.txt 2>&1
$B/compare --family fc --threads 1 --json fc_t1.json > fc_t1.txt 2>&1
$B/compare --family fc --threads 2 --json fc_t2.json > fc_t2.txt 2>&1
$B/polarized_bench --benchmark_filter='polarized/(f32/fc|int/fc7)/.*/t1/' --benchmark_out=pol_t1.json --benchmark_out_format=json > pol_t1.txt 2>&1
$B/block_compare --set conv1x1 --configs 4x1@90,8x1@90,4x1@70,8x1@70,1x1@90,1x1@70,4x1@30,8x1@30 --samples 7 --min-time 0.1 --json c1_t1.json > c1_t1.txt 2>&1
$B/compare --family gemm --threads 1 --json gemm_t1.json > gemm_t1.txt 2>&1
echo done > snap.done
