// SPDX-License-Identifier: BSD-3-Clause
// Dense baselines on real layer shapes (bench/shapes): finegrain's dense conv and GEMM next to
// oneDNN and OpenBLAS. Names: <family>/<impl>/<layer>/t<threads>, e.g.
//   dense/finegrain_conv/vgg_c3_2/t1   dense/dnnl_conv/vgg_c3_2/t1
//   gemm/finegrain/vgg_c3_2/t2         gemm/dnnl_matmul/...   gemm/openblas/...
//   fc/finegrain/fc6_b1/t1             fc/dnnl_ip/...         fc/openblas/...
//   smoke/<family>/<impl>/tiny*/t<threads>  (CI: --benchmark_filter=smoke --benchmark_min_time=0.01)
// Counters: GFLOPS, EffGFLOPS (FLOP/s, auto-scaled: "95.3G/s" = 95.3 GFLOP/s), threads.
//
// Google Benchmark times each benchmark on its own, minutes apart from its baseline: on a
// noisy machine take ratios from `compare`, which times the candidates round-robin.
// Thread counts: $FINEGRAIN_BENCH_THREADS (default "1,2"). Each implementation's output is
// checked once (untimed) against double-precision reference values and against the other
// implementations; a mismatch skips the benchmark with the error.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "dense_cases.hpp"
#include "live_case.hpp"

namespace {

using namespace finegrain::bench;

live_case<no_weights>& live()
{
    static live_case<no_weights> s;
    return s;
}

void run_case(benchmark::State& state, const problem_spec& spec, const std::string& impl, int threads,
              const std::string& name)
{
    live_case<no_weights>& s = live();
    bench_case* c = s.get(
        state, std::string(family_name(spec.fam)) + "/" + spec.layer(),
        [&] { return std::make_unique<problem>(spec); }, name,
        [&] {
            s.impl = make_case(*s.prob, impl, threads);
            s.check = check_case(*s.prob, *s.impl, impl);
        });
    if (c) time_case(state, *c, spec.flops(), spec.flops(), threads);
}

void register_spec(const std::string& prefix, const problem_spec& spec, int threads)
{
    for (const std::string& impl : impls_of(spec.fam)) {
        const std::string name = prefix + family_name(spec.fam) + "/" + impl + "/" + spec.layer() + "/t" +
                                 std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [spec, impl, threads, name](benchmark::State& st) {
                                         run_case(st, spec, impl, threads, name);
                                     })
            ->UseRealTime()
            ->Unit(prefix.empty() ? benchmark::kMillisecond : benchmark::kMicrosecond);
    }
}

void register_dense_benchmarks()
{
    record_dispatch();
    const std::vector<int> threads = bench_threads();
    for (const problem_spec& spec : smoke_specs())
        for (int t : threads) register_spec("smoke/", spec, t);

    const std::vector<conv_layer> convs = load_all_conv_layers();
    const std::vector<fc_layer> fcs = load_all_fc_layers();
    for (family f : {family::dense, family::gemm, family::fc})
        for (int t : threads)
            for (const problem_spec& spec : specs_of(f, convs, fcs)) register_spec("", spec, t);
}

FINEGRAIN_BENCH_REGISTER(register_dense_benchmarks);

} // namespace
