// SPDX-License-Identifier: BSD-3-Clause
// Block-sparse plans on real layer shapes, next to the dense baselines of the same problems.
// Names: block/<set>/<impl or config>/<layer>/t<threads>, e.g.
//   block/conv1x1/8x1@90/rn50_1x1a_14/t1     block/conv1x1/dnnl_conv/rn50_1x1a_14/t1
//   block/fc/8x1@90/fc7_b1/t2                 block/punched/8x4@88/vgg_c3_2/t1
//   smoke/block/<set>/...                     (CI: --benchmark_filter=smoke --benchmark_min_time=0.01)
// Counters: GFLOPS (useful: 2 per stored weight per output), EffGFLOPS (dense-equivalent), threads.
// Configurations: $FINEGRAIN_BLOCK_CONFIGS (e.g. "8x1@90,1x1@90"), default 1x1, 4x1, 1x4, 8x1, 4x4
// at 70/90% for conv1x1 and fc, 8x4 at 8x compression for punched. Every output is checked once
// (untimed) against double-precision values of the pruned weights. Ratios belong to
// block_compare (round-robin); this binary times each benchmark on its own.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>

#include "block_cases.hpp"
#include "live_case.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

live_case<block_weights>& live()
{
    static live_case<block_weights> s;
    return s;
}

// impl = a dense baseline name, or a configuration ("8x1@90").
void run_case(benchmark::State& state, block_set set, const problem_spec& spec, const std::string& impl,
              const block_config* cfg, int threads, const std::string& name)
{
    live_case<block_weights>& s = live();
    bench_case* c = s.get(
        state, std::string(block_set_name(set)) + "/" + spec.layer(),
        [&] { return std::make_unique<problem>(spec); }, name,
        [&] {
            if (cfg) {
                s.weights = std::make_unique<block_weights>(*s.prob, set, *cfg);
                s.impl = std::make_unique<block_case>(*s.prob, set, *s.weights, threads);
                s.impl->run();
                s.check = check_spots(s.impl->output(), s.weights->spots, s.weights->tolerance);
            } else {
                s.impl = make_case(*s.prob, impl, threads);
                s.check = check_case(*s.prob, *s.impl, impl);
            }
        });
    if (c) time_case(state, *c, s.weights ? s.weights->useful_flops : spec.flops(), spec.flops(), threads);
}

std::vector<block_config> configs_of(block_set set)
{
    std::vector<block_config> v;
    if (const char* env = std::getenv("FINEGRAIN_BLOCK_CONFIGS")) {
        std::stringstream in(env);
        for (std::string item; std::getline(in, item, ',');) {
            int r = 0, c = 0, sp = 0;
            if (std::sscanf(item.c_str(), "%dx%d@%d", &r, &c, &sp) == 3) v.push_back({{r, c}, sp / 100.0});
        }
        return v;
    }
    if (set == block_set::punched) return {{{8, 4}, 0.875}};
    for (block::block_shape b : {block::block_shape{1, 1}, block::block_shape{4, 1}, block::block_shape{1, 4},
                                 block::block_shape{8, 1}, block::block_shape{4, 4}})
        for (double sp : {0.7, 0.9}) v.push_back({b, sp});
    return v;
}

void register_spec(const std::string& prefix, block_set set, const problem_spec& spec, int threads,
                   const std::vector<block_config>& cfgs)
{
    auto add = [&](const std::string& what, const block_config* cfg) {
        const std::string name = prefix + "block/" + block_set_name(set) + "/" + what + "/" + spec.layer() + "/t" +
                                 std::to_string(threads);
        const std::shared_ptr<block_config> c(cfg ? new block_config(*cfg) : nullptr);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [set, spec, what, c, threads, name](benchmark::State& st) {
                                         run_case(st, set, spec, what, c.get(), threads, name);
                                     })
            ->UseRealTime()
            ->Unit(prefix.empty() ? benchmark::kMillisecond : benchmark::kMicrosecond);
    };
    for (const std::string& impl : block_baselines(set)) add(impl, nullptr);
    for (const block_config& cfg : cfgs) add(cfg.name(), &cfg);
}

void register_block_benchmarks()
{
    record_dispatch();
    const std::vector<int> threads = bench_threads();
    const conv_layer tiny1{"tiny", 16, 32, 12, 12, 1, 1, 0}, tiny3{"tiny", 16, 32, 12, 12, 3, 1, 1};
    const fc_layer tiny_fc{"tiny_b1", 72, 24, 1};
    for (int t : threads) {
        register_spec("smoke/", block_set::conv1x1, conv_spec(family::dense, tiny1), t, {{{4, 1}, 0.9}});
        register_spec("smoke/", block_set::fc, fc_spec(tiny_fc), t, {{{8, 1}, 0.9}});
        register_spec("smoke/", block_set::punched, conv_spec(family::dense, tiny3), t, {{{8, 4}, 0.875}});
    }
    for (block_set set : {block_set::conv1x1, block_set::fc, block_set::punched}) {
        const std::vector<block_config> cfgs = configs_of(set);
        for (int t : threads)
            for (const problem_spec& spec : block_problem_specs(set, ".*")) register_spec("", set, spec, t, cfgs);
    }
}

FINEGRAIN_BENCH_REGISTER(register_block_benchmarks);

} // namespace
