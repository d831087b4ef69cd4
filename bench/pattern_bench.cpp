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
#include "live_case.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

live_case<pattern_weights>& live()
{
    static live_case<pattern_weights> s;
    return s;
}

// impl: "dnnl_conv", "finegrain_conv" or a pattern config name.
void run_case(benchmark::State& state, const conv_layer& layer, const std::string& impl, const pattern_config* cfg,
              int threads, const std::string& name)
{
    live_case<pattern_weights>& s = live();
    bench_case* c = s.get(
        state, layer.name, [&] { return std::make_unique<problem>(conv_spec(family::dense, layer)); }, name,
        [&] {
            if (cfg) {
                s.weights = std::make_unique<pattern_weights>(*s.prob, *cfg);
                s.impl = std::make_unique<pattern_case>(*s.prob, *s.weights, threads, pattern_tuning_from_env());
                s.impl->run();
                s.check = check_spots(s.impl->output(), s.weights->spots, s.weights->tolerance);
            } else {
                s.impl = make_case(*s.prob, impl, threads);
                s.check = check_case(*s.prob, *s.impl, impl);
            }
        });
    const double dense = layer.flops();
    if (c) time_case(state, *c, cfg ? s.weights->useful_flops : dense, dense, threads);
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
