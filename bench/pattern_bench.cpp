// SPDX-License-Identifier: BSD-3-Clause
// Pattern-sparse 3x3 conv (pattern::conv3x3_plan) on the VGG-16 and ResNet-18 3x3 layers at
// batch 1, next to the dense baselines in the same binary. Names:
//   pattern/<config>/<layer>/t<threads>        config = c<compression>_g<group>, e.g. c8_g16
//   pattern/dnnl_conv/<layer>/t<threads>       oneDNN direct conv (when found)
//   pattern/finegrain_conv/<layer>/t<threads>  finegrain's dense conv (im2col + GEMM)
//   smoke/pattern/<impl>/tiny/t<threads>       CI: --benchmark_filter=smoke --benchmark_min_time=0.01
// Counters: GFLOPS (useful: 2 * kept kernels * k * OH * OW), EffGFLOPS (dense-equivalent), threads.
// Speed targets are measured with pattern_compare (round-robin ratios), not here.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "pattern_cases.hpp"
#include "support/counters.hpp"
#include "support/timing.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

// The benchmark that runs now: its problem, weights and case, built once.
struct live_state {
    std::string layer_key, case_key;
    std::unique_ptr<problem> prob;
    std::unique_ptr<pattern_weights> weights;
    std::unique_ptr<bench_case> impl;
    check_result check;
};

live_state& live()
{
    static live_state s;
    return s;
}

// impl: "dnnl_conv", "finegrain_conv" or a pattern config name.
void run_case(benchmark::State& state, const conv_layer& layer, const std::string& impl, const pattern_config* cfg,
              int threads, const std::string& name)
{
    live_state& s = live();
    try {
        if (s.layer_key != layer.name) {
            s.impl.reset();
            s.weights.reset();
            s.prob.reset(new problem(conv_spec(family::dense, layer)));
            s.layer_key = layer.name;
            s.case_key.clear();
        }
        if (s.case_key != name) {
            s.impl.reset();
            s.case_key.clear();
            if (cfg) {
                s.weights.reset(new pattern_weights(*s.prob, *cfg));
                s.impl.reset(new pattern_case(*s.prob, *s.weights, threads, pattern_tuning_from_env()));
                s.impl->run();
                s.check = check_spots(s.impl->output(), s.weights->spots, s.weights->tolerance);
            } else {
                s.impl = make_case(*s.prob, impl, threads);
                s.check = check_case(*s.prob, *s.impl, impl);
            }
            s.case_key = name;
            wait_for_idle_threads();
        }
    } catch (const std::exception& e) {
        s.impl.reset();
        s.case_key.clear();
        state.SkipWithError(e.what());
        return;
    }
    if (!s.check.ok) {
        state.SkipWithError(s.check.message.c_str());
        return;
    }
    bench_case& c = *s.impl;
    c.prepare();
    for (auto _ : state) c.run();
    const double dense = layer.flops();
    set_flop_counters(state, cfg ? s.weights->useful_flops : dense, dense, threads);
    state.SetLabel(c.label());
}

void register_layer(const std::string& prefix, const conv_layer& layer, int threads)
{
    std::vector<std::string> dense{"finegrain_conv"};
#if FINEGRAIN_BENCH_HAVE_DNNL
    dense.insert(dense.begin(), "dnnl_conv");
#endif
    const auto unit = prefix.empty() ? benchmark::kMillisecond : benchmark::kMicrosecond;
    for (const std::string& impl : dense) {
        const std::string name = prefix + "pattern/" + impl + "/" + layer.name + "/t" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), [layer, impl, threads, name](benchmark::State& st) {
            run_case(st, layer, impl, nullptr, threads, name);
        })->UseRealTime()->Unit(unit);
    }
    for (const pattern_config& cfg : pattern_configs()) {
        const std::string name = prefix + "pattern/" + cfg.name() + "/" + layer.name + "/t" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), [layer, cfg, threads, name](benchmark::State& st) {
            run_case(st, layer, cfg.name(), &cfg, threads, name);
        })->UseRealTime()->Unit(unit);
    }
}

void register_pattern_benchmarks()
{
    record_dispatch();
    const std::vector<int> threads = bench_threads();
    for (int t : threads) register_layer("smoke/", conv_layer{"tiny", 16, 32, 12, 12, 3, 1, 1}, t);
    const std::vector<conv_layer> layers = pattern_layers();
    for (int t : threads)
        for (const conv_layer& l : layers) register_layer("", l, t);
}

FINEGRAIN_BENCH_REGISTER(register_pattern_benchmarks);

} // namespace
