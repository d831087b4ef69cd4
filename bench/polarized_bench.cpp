// SPDX-License-Identifier: BSD-3-Clause
// polarized_bench: polarized kernels against the dense kernel of the same dtype and shape,
// round-robin in one process (zeroskip_cases.hpp), with the cache state named in every benchmark.
//
//   polarized/f32/fc/<layer>/b1/t<T>/cold      fp32 GEMV: polarized (m = 8) vs ours dense, oneDNN,
//                                              OpenBLAS (96 MB written before every call).
//   polarized/f32/conv/<layer>/<order>/t<T>/warm  fp32 conv through im2col, both unroll orders,
//                                              vs ours im2col+GEMM and oneDNN direct conv.
//   polarized/int/fc7/b<B>/t<T>/<cache>        uint8 inputs: 8-bit magnitudes with per-fragment
//                                              signs at m = 4..128 vs dense int8 weights on the same
//                                              engine (int16 products), batch 1 (cold, warm), 16, 64.
//   polarized/int/fc7_mag7/b<B>/t<T>/<cache>   the same with 7-bit magnitudes (sign + 7 bits: the
//                                              information of the dense int8 weights, which the plan
//                                              stores sign-folded as int8).
//   polarized/partial_sums/128x128/m<m>        one crossbar's ADC view, uint16 inputs, 8-bit magnitudes.
//   smoke/polarized/...                        tiny versions (CI).
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "finegrain/dense/conv2d_plan.hpp"
#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/plan.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"
#include "support/baselines.hpp"
#include "support/context.hpp"
#include "support/data.hpp"
#include "zeroskip_cases.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

std::unique_ptr<thread_pool> make_pool(int threads)
{
    return threads > 1 ? std::make_unique<thread_pool>(std::size_t(threads)) : nullptr;
}

void set_library_threads(int threads)
{
#if FINEGRAIN_BENCH_HAVE_DNNL
    dnnl_baseline::set_threads(threads);
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
    openblas_baseline::set_threads(threads);
#endif
    (void)threads;
}

polarized::polarized_matrix<float> polarized_weights(const float* w, index_t n, index_t k, index_t m)
{
    std::vector<float> p(w, w + n * k);
    polarized::project(matrix_view<float>(p.data(), n, k), m);
    return polarized::pack(matrix_view<const float>(p.data(), n, k), m);
}

void f32_fc(benchmark::State& state, index_t n, index_t k, int threads, int rounds)
{
    auto pool = make_pool(threads);
    set_library_threads(threads);
    const buffer w = random_buffer(n * k, 1);
    const auto x = relu_input(std::size_t(k), 0.0, false, 2);
    std::vector<float> y(static_cast<std::size_t>(n));
    dense::gemm_options o;
    o.pool = pool.get();
    dense::gemm_plan<float> ours(matrix_view<const float>(w.data(), n, k), 1, o);
    polarized::gemm_plan<float> pol(polarized_weights(w.data(), n, k, 8), 1, o);
    std::vector<candidate> cs;
    cs.push_back({"ours_gemv", true, [&] { ours.run_unchecked(x.data(), 1, y.data(), 1); }, {}});
#if FINEGRAIN_BENCH_HAVE_DNNL
    dnnl_baseline::inner_product ip(k, n, 1, w.data(), x.data());
    cs.push_back({"onednn_ip", true, [&] { ip.run(); }, {}});
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
    cs.push_back({"openblas_sgemv", true, [&] { openblas_baseline::sgemv(n, k, w.data(), x.data(), y.data()); }, {}});
#endif
    cs.push_back({"polarized_m8", false, [&] { pol.run_unchecked(x.data(), 1, y.data(), 1); }, {}});
    for (auto _ : state) round_robin(cs, rounds, cache_state::cold);
    report(state, "f32 fc " + std::to_string(n) + "x" + std::to_string(k) + " b1 t" + std::to_string(threads) + " cold " +
                      pol.kernel_name(),
           cs, [&](const candidate& c) { return c.name == "polarized_m8" ? "vs ours: " + std::to_string(ratio(cs[0], c)) : ""; });
}

void f32_conv(benchmark::State& state, const conv2d_shape& s, polarized::unroll_order order, index_t m, int threads, int rounds)
{
    auto pool = make_pool(threads);
    set_library_threads(threads);
    buffer w = random_buffer(s.weight_dims().size(), 3);
    polarized::project_conv(tensor4_view<float>(w.data(), s.weight_dims()), m, order);
    const auto pm = polarized::pack_conv(tensor4_view<const float>(w.data(), s.weight_dims()), m, order);
    const auto x = relu_input(std::size_t(s.input_dims().size()), 0.5, false, 4);
    std::vector<float> y(std::size_t(s.output_dims().size()));
    const tensor4_view<const float> in(x.data(), s.input_dims());
    const tensor4_view<float> out(y.data(), s.output_dims());
    dense::conv2d_options o;
    o.pool = pool.get();
    dense::conv2d_plan<float> ours(tensor4_view<const float>(w.data(), s.weight_dims()), s, o);
    polarized::conv2d_plan<float> pol(pm, s, o);
    std::vector<candidate> cs;
    cs.push_back({"ours_im2col_gemm", true, [&] { ours.run(in, out); }, {}});
#if FINEGRAIN_BENCH_HAVE_DNNL
    dnnl_baseline::conv dconv(s, w.data(), x.data());
    cs.push_back({"onednn_conv", true, [&] { dconv.run(); }, {}});
#endif
    cs.push_back({"polarized", false, [&] { pol.run(in, out); }, {}});
    for (auto _ : state) round_robin(cs, rounds, cache_state::warm, 3);
    report(state, "f32 conv " + std::to_string(s.in_channels) + "->" + std::to_string(s.out_channels) + " " +
                      std::to_string(s.in_height) + "x" + std::to_string(s.in_width) + " " + polarized::to_string(order) +
                      " m" + std::to_string(m) + " t" + std::to_string(threads) + " warm " + pol.kernel_name(),
           cs, [&](const candidate& c) { return c.name == "polarized" ? "vs ours: " + std::to_string(ratio(cs[0], c)) : ""; });
}

void int_fc(benchmark::State& state, index_t n, index_t k, index_t b, int threads, cache_state cache, int rounds, int bits)
{
    auto pool = make_pool(threads);
    const buffer w = random_buffer(n * k, 5);
    std::mt19937 rng(6);
    std::vector<std::int8_t> w8(static_cast<std::size_t>(n * k));
    for (auto& v : w8) v = static_cast<std::int8_t>(int(rng() % 255) - 127);
    std::vector<std::uint8_t> x(static_cast<std::size_t>(k * b));
    for (auto& v : x) v = static_cast<std::uint8_t>(1 + rng() % 255);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n * b));
    zeroskip::gemm_options o;
    o.pool = pool.get();
    o.skip_zeros = false;
    zeroskip::int_gemm_plan<std::uint8_t> dense(matrix_view<const std::int8_t>(w8.data(), n, k), b, o);
    std::vector<candidate> cs;
    cs.push_back({"dense_s8", true, [&] { dense.run_unchecked(x.data(), b, y.data(), b); }, {}});
#if FINEGRAIN_BENCH_HAVE_DNNL
    set_library_threads(threads);
    dnnl_int8_inner_product ip(k, n, b, w8.data(), x.data());
    {  // the library computes what the dense plan computes (exact int32), checked once
        std::vector<std::int32_t> theirs(y.size());
        ip.run();
        ip.output(theirs.data(), n, b);
        dense.run_unchecked(x.data(), b, y.data(), b);
        report_int8_check("polarized_bench", ip, theirs, y);
    }
    cs.push_back({"onednn_ip_s8", true, [&] { ip.run(); }, {}});
#endif
    std::vector<std::unique_ptr<polarized::int_gemm_plan<std::uint8_t>>> plans;
    for (index_t m : {4, 8, 16, 32, 128}) {
        const auto q = polarized::quantize<std::uint8_t>(polarized_weights(w.data(), n, k, m), bits, polarized::scale_mode::per_output);
        plans.push_back(std::make_unique<polarized::int_gemm_plan<std::uint8_t>>(q, b, pool.get()));
        auto* p = plans.back().get();
        cs.push_back({"polarized_u8_m" + std::to_string(m), false, [&, p] { p->run_unchecked(x.data(), b, y.data(), b); }, {}});
    }
    for (auto _ : state) round_robin(cs, rounds, cache, 3);
    report(state, "int fc " + std::to_string(n) + "x" + std::to_string(k) + " b" + std::to_string(b) + " t" +
                      std::to_string(threads) + " " + to_string(cache) + " uint8 x " + std::to_string(bits) + "-bit -> int32 " +
                      plans[0]->kernel_name() + " (m4) " + plans[1]->kernel_name() + " (m8)",
           cs);
}

void partial_sums(benchmark::State& state, index_t m)
{
    const buffer w = random_buffer(128 * 128, 7);
    const auto q = polarized::quantize<std::uint8_t>(polarized_weights(w.data(), 128, 128, m), 8, polarized::scale_mode::per_layer);
    polarized::partial_sums_plan<std::uint8_t, std::uint16_t> plan(q);
    std::mt19937 rng(8);
    std::vector<std::uint16_t> x(128);
    for (auto& v : x) v = static_cast<std::uint16_t>(rng() % 3 == 0 ? 0 : rng() >> 16);
    std::vector<std::uint32_t> p(static_cast<std::size_t>(plan.fragments() * 128));
    for (auto _ : state) {
        plan.run(x.data(), p.data());
        benchmark::DoNotOptimize(p.data());
        benchmark::ClobberMemory();
    }
    state.SetLabel(plan.kernel_name());
}

void register_all()
{
    using polarized::unroll_order;
    for (int t : bench_threads()) {
        const std::string ts = "/t" + std::to_string(t);
        benchmark::RegisterBenchmark(("polarized/f32/fc/fc7/b1" + ts + "/cold").c_str(),
                                     [=](benchmark::State& s) { f32_fc(s, 4096, 4096, t, 11); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("polarized/f32/fc/fc6/b1" + ts + "/cold").c_str(),
                                     [=](benchmark::State& s) { f32_fc(s, 4096, 25088, t, 7); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        for (auto order : {unroll_order::channel_major, unroll_order::position_major}) {
            const index_t m = order == unroll_order::channel_major ? 9 : 8;
            const std::string os = std::string("/") + polarized::to_string(order) + "_m" + std::to_string(m);
            benchmark::RegisterBenchmark(("polarized/f32/conv/resnet18_l2" + os + ts + "/warm").c_str(),
                                         [=](benchmark::State& s) { f32_conv(s, conv2d_shape::square(1, 128, 128, 28, 3, 1, 1), order, m, t, 7); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
            benchmark::RegisterBenchmark(("polarized/f32/conv/vgg_c3_2" + os + ts + "/warm").c_str(),
                                         [=](benchmark::State& s) { f32_conv(s, conv2d_shape::square(1, 256, 256, 56, 3, 1, 1), order, m, t, 5); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        }
        for (int bits : {8, 7}) {
            const std::string fc = bits == 8 ? "polarized/int/fc7/b" : "polarized/int/fc7_mag7/b";
            benchmark::RegisterBenchmark((fc + "1" + ts + "/cold").c_str(),
                                         [=](benchmark::State& s) { int_fc(s, 4096, 4096, 1, t, cache_state::cold, 11, bits); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
            benchmark::RegisterBenchmark((fc + "1" + ts + "/warm").c_str(),
                                         [=](benchmark::State& s) { int_fc(s, 4096, 4096, 1, t, cache_state::warm, 11, bits); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
            for (index_t b : {16, 64})
                benchmark::RegisterBenchmark((fc + std::to_string(b) + ts + "/warm").c_str(),
                                             [=](benchmark::State& s) { int_fc(s, 4096, 4096, b, t, cache_state::warm, 7, bits); })
                    ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        }
    }
    for (index_t m : {8, 128})
        benchmark::RegisterBenchmark(("polarized/partial_sums/128x128/m" + std::to_string(m)).c_str(),
                                     [=](benchmark::State& s) { partial_sums(s, m); })
            ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("smoke/polarized/f32/fc/cold", [](benchmark::State& s) { f32_fc(s, 64, 200, 1, 2); })
        ->Iterations(1)->UseManualTime();
    benchmark::RegisterBenchmark("smoke/polarized/int/fc/warm",
                                 [](benchmark::State& s) { int_fc(s, 64, 200, 2, 1, cache_state::warm, 2, 8); })
        ->Iterations(1)->UseManualTime();
    benchmark::RegisterBenchmark("smoke/polarized/int/fc_mag7/warm",
                                 [](benchmark::State& s) { int_fc(s, 64, 200, 1, 1, cache_state::warm, 2, 7); })
        ->Iterations(1)->UseManualTime();
}

} // namespace

FINEGRAIN_BENCH_REGISTER(register_all);
