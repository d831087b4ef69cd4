// SPDX-License-Identifier: BSD-3-Clause
// The counters every finegrain benchmark reports.
//
//   GFLOPS     useful floating-point operations per second (2 per multiply-add that a sparse
//              kernel actually needs); EffGFLOPS  dense-equivalent operations per second
//              (2*M*N*K). Equal for dense kernels.
//   threads    threads the implementation ran on.
//
// The two rates are kIsIterationInvariantRate counters holding FLOP per iteration, so their
// values are FLOP/s: the console auto-scales them (`GFLOPS=95.3G/s` means 95.3 GFLOP/s) and
// the JSON output holds the raw FLOP/s (divide by 1e9 for GFLOP/s). The names say what the
// console shows with the G suffix; the values are never pre-scaled.
#pragma once

#include <benchmark/benchmark.h>

namespace finegrain {
namespace bench {

void set_flop_counters(benchmark::State& state, double useful_flops, double dense_flops, int threads);

} // namespace bench
} // namespace finegrain
