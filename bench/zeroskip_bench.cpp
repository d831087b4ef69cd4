// SPDX-License-Identifier: BSD-3-Clause
// zeroskip_bench: zero-skipping kernels against the fastest dense kernels, round-robin in one
// process (zeroskip_cases.hpp), with the cache state named in every benchmark.
//
//   zeroskip/fc/<layer>/b1/t<T>/cold      GEMV fp32, VGG fc7 (4096x4096) and fc6 (25088x4096):
//                                         dense (ours, oneDNN inner product, OpenBLAS sgemv) vs
//                                         zero-skip at 0/50/70/90 % zero inputs, random and
//                                         clustered, dense and polarized (m = 8) weights. Cold:
//                                         96 MB written before every timed call (weights from DRAM).
//   zeroskip/fc/<layer>/b1/t<T>/cold_awake  the same (T > 1) with each candidate's worker threads
//                                         woken just before the timed call (ours, oneDNN; OpenBLAS
//                                         left out: its threads cannot be woken without a call).
//   zeroskip/fc/fc7/b<B>/t<T>/cold        batch 8 and 16: zeros shared by every sample (u = the
//                                         share of inputs zero in all samples) or independent.
//   zeroskip/fc/fc7/b<B>/t<T>/cold_awake  the same (T > 1), worker threads woken as above.
//   zeroskip/int/fc7/b1/t<T>/cold         integer GEMV: uint8 x int8 dense rows vs zero-skip.
//   zeroskip/conv3x3/<layer>/t<T>/warm    scatter conv vs im2col+GEMM and oneDNN direct conv
//                                         (weights and input as cached as they fit).
//   zeroskip/bitstats/<type>/k4096/m<m>   the bit statistics helper, data in L1 (Google Benchmark timing).
//   smoke/zeroskip/...                    tiny versions (CI).
// Counters: ms_<candidate> (median ms), x_<candidate> (median over rounds of the fastest dense
// time of the round / the candidate's time). Lines starting with "##" summarise each group.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "finegrain/dense/conv2d_plan.hpp"
#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/zeroskip/bit_stats.hpp"
#include "finegrain/zeroskip/conv3x3_plan.hpp"
#include "finegrain/zeroskip/gemm_plan.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"
#include "support/baselines.hpp"
#include "support/context.hpp"
#include "support/data.hpp"
#include "zeroskip_cases.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

struct zero_case {
    const char* name;
    double zeros;
    bool clustered;
};
const zero_case fc_zero_cases[] = {{"z0", 0.0, false},    {"z50r", 0.5, false}, {"z50c", 0.5, true}, {"z70r", 0.7, false},
                                   {"z70c", 0.7, true},   {"z90r", 0.9, false}, {"z90c", 0.9, true}};

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

// The dense fp32 baselines of y (n x b) = W (n x k) x (k x b).
// cold_awake leaves OpenBLAS out: its threads cannot be woken without a real call.
void add_dense_fc(std::vector<candidate>& cs, index_t n, index_t k, index_t b, const float* w, const float* x, float* y,
                  executor* pool, std::vector<std::shared_ptr<void>>& keep, cache_state cache = cache_state::cold)
{
    dense::gemm_options o;
    o.pool = pool;
    auto ours = std::make_shared<dense::gemm_plan<float>>(matrix_view<const float>(w, n, k), b, o);
    keep.push_back(ours);
    cs.push_back({b == 1 ? "ours_gemv" : "ours_gemm", true, [=] { ours->run_unchecked(x, b, y, b); }, {}, [=] { wake_pool(pool); }});
#if FINEGRAIN_BENCH_HAVE_DNNL
    auto ip = std::make_shared<dnnl_baseline::inner_product>(k, n, b, w, x);
    keep.push_back(ip);
    cs.push_back({"onednn_ip", true, [=] { ip->run(); }, {}, wake_openmp});
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
    if (cache == cache_state::cold_awake) return;
    if (b == 1)
        cs.push_back({"openblas_sgemv", true, [=] { openblas_baseline::sgemv(n, k, w, x, y); }, {}});
    else
        cs.push_back({"openblas_sgemm", true, [=] { openblas_baseline::sgemm(gemm_shape{n, b, k}, w, x, y); }, {}});
#endif
}

bool close_enough(const std::vector<float>& a, const std::vector<float>& b, index_t k)
{
    const double tol = fp32_tolerance(k) * 4;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(std::fabs(double(a[i]) - double(b[i])) <= tol)) return false;
    return true;
}

void fc_batch1(benchmark::State& state, index_t n, index_t k, int threads, int rounds, bool polarized,
               cache_state cache = cache_state::cold)
{
    auto pool = make_pool(threads);
    set_library_threads(threads);
    const buffer w = random_buffer(n * k, 1);
    std::vector<std::vector<float>> inputs;
    for (const zero_case& z : fc_zero_cases) inputs.push_back(relu_input(std::size_t(k), z.zeros, z.clustered, 7));
    std::vector<float> y(static_cast<std::size_t>(n)), check(static_cast<std::size_t>(n));
    std::vector<candidate> cs;
    std::vector<std::shared_ptr<void>> keep;
    add_dense_fc(cs, n, k, 1, w.data(), inputs[0].data(), y.data(), pool.get(), keep, cache);
    zeroskip::gemm_options o;
    o.pool = pool.get();
    auto zs = std::make_shared<zeroskip::gemm_plan<float>>(matrix_view<const float>(w.data(), n, k), 1, o);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const float* x = inputs[i].data();
        cs.push_back({std::string("zs_") + fc_zero_cases[i].name, false, [=, &y] { zs->run(x, y.data()); }, {},
                      [p = pool.get()] { wake_pool(p); }});
    }
    std::shared_ptr<zeroskip::gemm_plan<float>> pzs;
    if (polarized) {
        std::vector<float> wp(w.begin(), w.end());
        polarized::project(matrix_view<float>(wp.data(), n, k), 8);
        pzs = std::make_shared<zeroskip::gemm_plan<float>>(polarized::pack(matrix_view<const float>(wp.data(), n, k), 8), 1, o);
        for (std::size_t i : {3u, 5u}) {
            const float* x = inputs[i].data();
            cs.push_back({std::string("pzs_m8_") + fc_zero_cases[i].name, false, [=, &y] { pzs->run(x, y.data()); }, {},
                          [p = pool.get()] { wake_pool(p); }});
        }
    }
    // Check once: zero-skip against our dense GEMV on the 70 % input.
    dense::gemm_plan<float> ref(matrix_view<const float>(w.data(), n, k), 1);
    ref.run_unchecked(inputs[3].data(), 1, check.data(), 1);
    zs->run(inputs[3].data(), y.data());
    if (!close_enough(y, check, k)) {
        state.SkipWithError("zero-skip result differs from the dense GEMV");
        return;
    }
    for (auto _ : state) round_robin(cs, rounds, cache);
    const std::string title = "fc " + std::to_string(n) + "x" + std::to_string(k) + " b1 t" + std::to_string(threads) + " " +
                              to_string(cache) + " (96 MB flush before every call) " + zs->kernel_name();
    report(state, title, cs);
}

void fc_batched(benchmark::State& state, index_t n, index_t k, index_t b, int threads, int rounds, cache_state cache = cache_state::cold)
{
    auto pool = make_pool(threads);
    set_library_threads(threads);
    const buffer w = random_buffer(n * k, 2);
    struct bcase {
        std::string name;
        double u;  // inputs zero in every sample
        std::vector<float> x;
    };
    std::vector<bcase> bc;
    for (double zf : {0.0, 0.7, 0.9}) {
        const auto pattern = relu_input(std::size_t(k), zf, false, 11);
        std::vector<float> x(static_cast<std::size_t>(k * b));
        const auto vals = relu_input(std::size_t(k * b), 0.0, false, 12);
        for (index_t i = 0; i < k; ++i)
            for (index_t s = 0; s < b; ++s) x[std::size_t(i * b + s)] = pattern[std::size_t(i)] != 0 ? vals[std::size_t(i * b + s)] : 0.0f;
        bc.push_back({"zs_shared_z" + std::to_string(int(zf * 100)), 0, x});
    }
    bc.push_back({"zs_indep_z70", 0, relu_input(std::size_t(k * b), 0.7, false, 13)});
    for (auto& c : bc) {
        index_t zero_rows = 0;
        for (index_t i = 0; i < k; ++i) {
            bool any = false;
            for (index_t s = 0; s < b; ++s) any = any || c.x[std::size_t(i * b + s)] != 0;
            zero_rows += any ? 0 : 1;
        }
        c.u = double(zero_rows) / double(k);
    }
    std::vector<float> y(static_cast<std::size_t>(n * b));
    std::vector<candidate> cs;
    std::vector<std::shared_ptr<void>> keep;
    add_dense_fc(cs, n, k, b, w.data(), bc[0].x.data(), y.data(), pool.get(), keep, cache);
    zeroskip::gemm_options o;
    o.pool = pool.get();
    auto zs = std::make_shared<zeroskip::gemm_plan<float>>(matrix_view<const float>(w.data(), n, k), b, o);
    for (const auto& c : bc) {
        const float* x = c.x.data();
        cs.push_back({c.name, false, [=, &y] { zs->run_unchecked(x, b, y.data(), b); }, {}, [p = pool.get()] { wake_pool(p); }});
    }
    for (auto _ : state) round_robin(cs, rounds, cache);
    const std::string title = "fc " + std::to_string(n) + "x" + std::to_string(k) + " b" + std::to_string(b) + " t" +
                              std::to_string(threads) + " " + to_string(cache) + " " + zs->kernel_name();
    report(state, title, cs, [&](const candidate& c) {
        for (const auto& x : bc)
            if (x.name == c.name) {
                char s[96];
                std::snprintf(s, sizeof s, "u %.3f  target 0.7/(1-u) = %.2f", x.u, 0.7 / (1.0 - x.u));
                return std::string(s);
            }
        return std::string();
    });
}

#if FINEGRAIN_BENCH_HAVE_DNNL
/// The oneDNN int8 baseline computes what the plan computes (exact int32), checked once.
template <class Plan>
void check_int8_baseline(dnnl_int8_inner_product& ip, const Plan& plan, const std::uint8_t* x, index_t n,
                         std::vector<std::int32_t>& y)
{
    std::vector<std::int32_t> theirs(y.size());
    ip.run();
    ip.output(theirs.data(), n, 1);
    plan.run(x, y.data());
    report_int8_check("zeroskip_bench", ip, theirs, y);
}
#endif

void int_fc(benchmark::State& state, index_t n, index_t k, int threads, int rounds)
{
    auto pool = make_pool(threads);
    set_library_threads(threads);
    std::mt19937 rng(5);
    std::vector<std::int8_t> w(static_cast<std::size_t>(n * k));
    for (auto& v : w) v = static_cast<std::int8_t>(int(rng() % 255) - 127);
    std::vector<std::vector<std::uint8_t>> inputs;
    for (const zero_case& z : fc_zero_cases) {
        const auto f = relu_input(std::size_t(k), z.zeros, z.clustered, 9);
        std::vector<std::uint8_t> x(f.size());
        for (std::size_t i = 0; i < f.size(); ++i) x[i] = static_cast<std::uint8_t>(f[i] == 0 ? 0 : 1 + int(f[i] * 200));
        inputs.push_back(x);
    }
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    zeroskip::gemm_options dense_opt;
    dense_opt.pool = pool.get();
    dense_opt.skip_zeros = false;
    zeroskip::int_gemm_plan<std::uint8_t> dense(matrix_view<const std::int8_t>(w.data(), n, k), 1, dense_opt);
    zeroskip::gemm_options zs_opt = dense_opt;
    zs_opt.skip_zeros = true;
    zeroskip::int_gemm_plan<std::uint8_t> zs(matrix_view<const std::int8_t>(w.data(), n, k), 1, zs_opt);
    std::vector<candidate> cs;
    cs.push_back({"dense_s8_rows", true, [&] { dense.run(inputs[0].data(), y.data()); }, {}});
#if FINEGRAIN_BENCH_HAVE_DNNL
    // oneDNN u8 x s8 -> s32 on the 0 % input (it does not skip: its time does not depend on x).
    dnnl_int8_inner_product ip(k, n, 1, w.data(), inputs[0].data());
    check_int8_baseline(ip, dense, inputs[0].data(), n, y);
    cs.push_back({"onednn_ip_s8", true, [&] { ip.run(); }, {}});
#endif
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::uint8_t* x = inputs[i].data();
        cs.push_back({std::string("zs_") + fc_zero_cases[i].name, false, [&, x] { zs.run(x, y.data()); }, {}});
    }
    for (auto _ : state) round_robin(cs, rounds, cache_state::cold);
    report(state, "int fc " + std::to_string(n) + "x" + std::to_string(k) + " b1 t" + std::to_string(threads) +
                      " cold: uint8 x int8 -> int32 " + zs.kernel_name(),
           cs);
}

void conv3x3(benchmark::State& state, const conv2d_shape& s, int threads, int rounds)
{
    auto pool = make_pool(threads);
    set_library_threads(threads);
    const buffer w = random_buffer(s.weight_dims().size(), 3);
    std::vector<std::vector<float>> inputs;
    const zero_case zc[] = {{"z0", 0.0, false}, {"z50r", 0.5, false}, {"z70r", 0.7, false}, {"z90r", 0.9, false}, {"z90c", 0.9, true}};
    for (const zero_case& z : zc) inputs.push_back(relu_input(std::size_t(s.input_dims().size()), z.zeros, z.clustered, 4));
    std::vector<float> y(std::size_t(s.output_dims().size()));
    std::vector<candidate> cs;
    dense::conv2d_options dopt;
    dopt.pool = pool.get();
    dense::conv2d_plan<float> dense(tensor4_view<const float>(w.data(), s.weight_dims()), s, dopt);
    const tensor4_view<float> out(y.data(), s.output_dims());
    cs.push_back({"ours_im2col_gemm", true, [&] { dense.run(tensor4_view<const float>(inputs[0].data(), s.input_dims()), out); }, {}});
#if FINEGRAIN_BENCH_HAVE_DNNL
    dnnl_baseline::conv dconv(s, w.data(), inputs[0].data());
    cs.push_back({"onednn_conv", true, [&] { dconv.run(); }, {}});
#endif
    zeroskip::gemm_options zopt;
    zopt.pool = pool.get();
    zeroskip::conv3x3_plan<float> zs(tensor4_view<const float>(w.data(), s.weight_dims()), s, zopt);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const tensor4_view<const float> in(inputs[i].data(), s.input_dims());
        cs.push_back({std::string("zs_conv_") + zc[i].name, false, [&, in] { zs.run(in, out); }, {}});
    }
    for (auto _ : state) round_robin(cs, rounds, cache_state::warm, 3);
    report(state, "conv3x3 " + std::to_string(s.in_channels) + "->" + std::to_string(s.out_channels) + " " +
                      std::to_string(s.in_height) + "x" + std::to_string(s.in_width) + " t" + std::to_string(threads) +
                      " warm " + zs.kernel_name(),
           cs);
}

template <class X>
void bitstats(benchmark::State& state, index_t k, index_t m)
{
    zeroskip::bit_stats_plan<X> plan(k, m);
    std::vector<X> x(static_cast<std::size_t>(k));
    std::mt19937 rng(3);
    for (auto& v : x) v = static_cast<X>(rng() % 3 == 0 ? 0 : rng() >> (32 - 8 * sizeof(X)));
    std::vector<std::uint8_t> len(static_cast<std::size_t>(plan.fragments())), zero(len.size());
    for (auto _ : state) {
        plan.run(x.data(), len.data(), zero.data());
        benchmark::DoNotOptimize(len.data());
        benchmark::DoNotOptimize(zero.data());
        benchmark::ClobberMemory();
    }
    state.SetLabel(plan.kernel_name());
}

void register_all()
{
    for (int t : bench_threads()) {
        const std::string ts = "/t" + std::to_string(t);
        benchmark::RegisterBenchmark(("zeroskip/fc/fc7/b1" + ts + "/cold").c_str(),
                                     [=](benchmark::State& s) { fc_batch1(s, 4096, 4096, t, 11, true); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("zeroskip/fc/fc6/b1" + ts + "/cold").c_str(),
                                     [=](benchmark::State& s) { fc_batch1(s, 4096, 25088, t, 7, true); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        if (t > 1) {
            benchmark::RegisterBenchmark(("zeroskip/fc/fc7/b1" + ts + "/cold_awake").c_str(),
                                         [=](benchmark::State& s) { fc_batch1(s, 4096, 4096, t, 11, true, cache_state::cold_awake); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
            benchmark::RegisterBenchmark(("zeroskip/fc/fc6/b1" + ts + "/cold_awake").c_str(),
                                         [=](benchmark::State& s) { fc_batch1(s, 4096, 25088, t, 7, true, cache_state::cold_awake); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        }
        for (index_t b : {8, 16}) {
            benchmark::RegisterBenchmark(("zeroskip/fc/fc7/b" + std::to_string(b) + ts + "/cold").c_str(),
                                         [=](benchmark::State& s) { fc_batched(s, 4096, 4096, b, t, 9); })
                ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
            if (t > 1)
                benchmark::RegisterBenchmark(("zeroskip/fc/fc7/b" + std::to_string(b) + ts + "/cold_awake").c_str(),
                                             [=](benchmark::State& s) { fc_batched(s, 4096, 4096, b, t, 9, cache_state::cold_awake); })
                    ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        }
        benchmark::RegisterBenchmark(("zeroskip/int/fc7/b1" + ts + "/cold").c_str(),
                                     [=](benchmark::State& s) { int_fc(s, 4096, 4096, t, 11); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("zeroskip/conv3x3/resnet18_l2" + ts + "/warm").c_str(),
                                     [=](benchmark::State& s) { conv3x3(s, conv2d_shape::square(1, 128, 128, 28, 3, 1, 1), t, 7); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("zeroskip/conv3x3/vgg_c4_2" + ts + "/warm").c_str(),
                                     [=](benchmark::State& s) { conv3x3(s, conv2d_shape::square(1, 512, 512, 28, 3, 1, 1), t, 5); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
    }
    for (index_t m : {4, 8, 16, 128}) {
        benchmark::RegisterBenchmark(("zeroskip/bitstats/u16/k4096/m" + std::to_string(m)).c_str(),
                                     [=](benchmark::State& s) { bitstats<std::uint16_t>(s, 4096, m); })
            ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark("zeroskip/bitstats/u8/k4096/m8", [](benchmark::State& s) { bitstats<std::uint8_t>(s, 4096, 8); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("smoke/zeroskip/fc/b1/cold", [](benchmark::State& s) { fc_batch1(s, 100, 300, 1, 2, true); })
        ->Iterations(1)->UseManualTime();
    benchmark::RegisterBenchmark("smoke/zeroskip/conv3x3/warm",
                                 [](benchmark::State& s) { conv3x3(s, conv2d_shape::square(1, 8, 8, 6, 3, 1, 1), 1, 2); })
        ->Iterations(1)->UseManualTime();
    benchmark::RegisterBenchmark("smoke/zeroskip/bitstats", [](benchmark::State& s) { bitstats<std::uint16_t>(s, 100, 8); });
}

} // namespace

FINEGRAIN_BENCH_REGISTER(register_all);
