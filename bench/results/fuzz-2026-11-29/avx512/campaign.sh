#!/bin/bash
# one fuzzer process at a time, nice 19; ~60 s per chunk
cd /tmp/fuzz512
run() { f=$1; n=$2; seed=$3; s=$(date +%s); nice -n 19 ./fuzz_$f $n $seed > logs/run_${f}_$seed.log 2>&1; rc=$?; e=$(date +%s);
  echo "fuzz_$f $n $seed rc=$rc wall=$((e-s))s findings=$(grep -c -E 'FINDING|MISMATCH' logs/run_${f}_$seed.log) asan_ubsan=$(grep -c -E 'AddressSanitizer|runtime error|LeakSanitizer' logs/run_${f}_$seed.log)" >> campaign.log; }
for seed in 11 12 13; do
  run pattern 40000 1$seed
  run dense 90000 2$seed
  run block 55000 3$seed
  run polarized 160000 4$seed
  run zeroskip 120000 5$seed
  run crossbar 140000 6$seed
done
echo DONE >> campaign.log
