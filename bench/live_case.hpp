// SPDX-License-Identifier: BSD-3-Clause
// The benchmark that runs now, for the Google Benchmark binaries (dense_bench, pattern_bench,
// block_bench). Google Benchmark calls a benchmark's function several times to size the iteration
// count: the layer's problem is built when the layer changes, the case (sparse weights, plan and
// its output check) when the case changes, and the previous ones are freed first, so a whole-suite
// run holds one layer's buffers at a time.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "dense_cases.hpp"
#include "support/counters.hpp"
#include "support/timing.hpp"

namespace finegrain::bench {

// Weights = the family's sparse weights type; the dense binary uses `no_weights`.
struct no_weights {};

template <class Weights>
struct live_case {
    std::string problem_key, case_key;
    std::unique_ptr<problem> prob;
    std::unique_ptr<Weights> weights;  // null for a dense baseline
    std::unique_ptr<bench_case> impl;
    check_result check;

    // Makes `prob` current for `layer_key` (make_problem() returns the new problem) and the case
    // current for `name` (make_case() fills weights, impl and check). Returns the case to time, or
    // null after marking `state` skipped with the error or the failed output check.
    template <class MakeProblem, class MakeCase>
    bench_case* get(benchmark::State& state, const std::string& layer_key, MakeProblem&& make_problem,
                    const std::string& name, MakeCase&& make_case)
    {
        try {
            if (problem_key != layer_key) {
                drop_case();
                prob.reset();
                problem_key.clear();
                prob = make_problem();
                problem_key = layer_key;
            }
            if (case_key != name) {
                drop_case();
                make_case();
                case_key = name;
                // Let the previous library's spinning workers fall asleep before timing.
                wait_for_idle_threads();
            }
        } catch (const std::exception& e) {
            drop_case();
            state.SkipWithError(e.what());
            return nullptr;
        }
        if (!check.ok) {
            state.SkipWithError(check.message.c_str());
            return nullptr;
        }
        return impl.get();
    }

private:
    void drop_case()
    {
        impl.reset();
        weights.reset();
        case_key.clear();
    }
};

// Times c.run() (after c.prepare()) and sets the GFLOPS / EffGFLOPS counters and the label.
inline void time_case(benchmark::State& state, bench_case& c, double useful_flops, double dense_flops,
                      int threads)
{
    c.prepare();
    for (auto _ : state) c.run();
    set_flop_counters(state, useful_flops, dense_flops, threads);
    state.SetLabel(c.label());
}

} // namespace finegrain::bench
