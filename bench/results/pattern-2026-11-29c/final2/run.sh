#!/bin/sh
# Final code of session 11 (04ae33f), all pattern configs, 1 and 2 threads.
b=/tmp/bf/build/bench
fg-bench $b/pattern_compare --threads 1 --layers "vgg_c[345]|rn18" --json pat_t1.json > pat_t1.txt 2>&1
fg-bench $b/pattern_compare --threads 2 --samples 11 --layers "vgg_c[345]|rn18" --json pat_t2.json > pat_t2.txt 2>&1
