#!/bin/sh
# Final code, all pattern configs, 1 and 2 threads; then block-punched at 1 thread.
b=/tmp/s10r/b/bench
fg-bench $b/pattern_compare --threads 1 --layers "vgg_c[345]|rn18" --json pat_t1.json > pat_t1.txt 2>&1
fg-bench $b/pattern_compare --threads 2 --samples 11 --layers "vgg_c[345]|rn18" --json pat_t2.json > pat_t2.txt 2>&1
fg-bench $b/block_compare --set punched --threads 1 --json ../../block-2026-11-29b/pu_t1_final.json > ../../block-2026-11-29b/pu_t1_final.txt 2>&1
