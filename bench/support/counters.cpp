// SPDX-License-Identifier: BSD-3-Clause
#include "support/counters.hpp"

namespace finegrain {
namespace bench {

void set_flop_counters(benchmark::State& state, double useful_flops, double dense_flops, int threads)
{
    state.counters["GFLOPS"] = benchmark::Counter(useful_flops, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["EffGFLOPS"] = benchmark::Counter(dense_flops, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["threads"] = benchmark::Counter(double(threads));
}

} // namespace bench
} // namespace finegrain
