#!/bin/sh
cd /tmp/p13
B=./build/bench
$B/pattern_compare --threads 1 --layers "vgg_c[345]|rn18" --configs c2.25_g1,c4_g1,c8_g1,c8_g16 --json z5/pat_t1_final.json > z5/pat_t1_final.txt 2>&1
$B/pattern_compare --threads 2 --samples 11 --layers "vgg_c[345]|rn18" --configs c2.25_g1,c4_g1,c8_g1,c8_g16 --json z5/pat_t2_final.json > z5/pat_t2_final.txt 2>&1
$B/block_compare --set fc --layers fc7 --configs 8x1@90,16x1@90,4x1@90,1x1@90 --cold --json z5/fc7_cold_final.json > z5/fc7_cold_final.txt 2>&1
$B/block_compare --set fc --layers fc6 --configs 8x1@90,16x1@90 --cold --json z5/fc6_cold_final.json > z5/fc6_cold_final.txt 2>&1
$B/block_compare --set fc --layers fc7 --configs 8x1@90,16x1@90 --cold --threads 2 --json z5/fc7_cold_t2.json > z5/fc7_cold_t2.txt 2>&1
$B/block_compare --set punched --samples 5 --min-time 0.1 --json z5/pu_t1.json > z5/pu_t1.txt 2>&1
$B/block_compare --set conv1x1 --threads 2 --configs 4x1@90,8x1@90 --samples 7 --min-time 0.1 --json z5/c1_t2.json > z5/c1_t2.txt 2>&1
$B/zeroskip_bench --benchmark_filter='zeroskip/fc/fc7/b(1|16)/t[12]/cold$|zeroskip/fc/fc6/b1/t2/cold$|bitstats' --benchmark_out=z5/zs_final.json --benchmark_out_format=json > z5/zs_final.txt 2>&1
$B/polarized_bench --benchmark_filter='polarized/f32/(fc/fc7/b1/t2|conv/.*/t1/)' --benchmark_out=z5/pol_f32.json --benchmark_out_format=json > z5/pol_f32.txt 2>&1
echo done > z5/snap.done
