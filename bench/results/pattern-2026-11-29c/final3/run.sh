#!/bin/sh
# Final code of session 11 (8020b2a: cost model), all pattern configs, 2 threads (the 1-thread plans did not change).
b=/tmp/bf/build/bench
fg-bench $b/pattern_compare --threads 2 --samples 11 --layers "vgg_c[345]|rn18" --json pat_t2.json > pat_t2.txt 2>&1
