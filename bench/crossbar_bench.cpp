// SPDX-License-Identifier: BSD-3-Clause
// Benchmarks of the ReRAM crossbar model (issue 6).
//
//   crossbar/xbar128/<engine>/<devices>     one 128x128 crossbar MVM (16-bit inputs, 8-bit
//                                           weights, 2-bit cells, FORMS m = 8): simulated MVMs/s
//   crossbar/ratio/<shape>/in<bits>/m<m>/<inputs>
//                                           fast path (ideal, ADC-accurate, saturating ADC) vs the
//                                           exact integer GEMV of the same shape, timed
//                                           round-robin in one process, median per-round ratio
//   crossbar/resnet18_3x3/<engine>          a ResNet-18 3x3 layer (128 ch, 28x28, 784 MVMs)
//                                           end to end through im2col, and the exact GEMV per pixel
//   smoke/crossbar/...                      a tiny case (CI)
// Single thread. Weights are stationary (programmed once, outside the timing); inputs are
// prepared per call inside the timing (the fast path's bit-pattern preparation included).
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "finegrain/crossbar/exact_gemv.hpp"
#include "finegrain/crossbar/layer.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"
#include "support/context.hpp"

namespace xb = finegrain::crossbar;
using finegrain::index_t;
using finegrain::matrix_view;

namespace {

// CPU time of this thread: on a shared host a sample is not charged for the time another
// process held the core (caches shared with other processes still cost).
double seconds_now()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// Polarized weights at m (FORMS-like: every fragment one sign), 8-bit magnitudes.
std::vector<std::int32_t> polarized_weights(index_t n, index_t k, index_t m, std::uint32_t seed)
{
    std::mt19937 g(seed);
    std::vector<std::int32_t> w(static_cast<std::size_t>(n * k));
    for (index_t o = 0; o < n; ++o)
        for (index_t i = 0; i < k; ++i) {
            const int sign = ((o * 131 + i / m * 17) % 5) < 2 ? -1 : 1;
            w[std::size_t(o * k + i)] = sign * int(g() % 128);  // |w| < 128: also a valid int8
        }
    return w;
}

// "relu": half zeros, the rest with a uniformly random bit length (log-uniform magnitudes);
// "uniform": every value uniform over the full range.
std::vector<std::uint16_t> inputs(index_t k, int bits, bool relu, std::uint32_t seed)
{
    std::mt19937 g(seed);
    std::vector<std::uint16_t> x(static_cast<std::size_t>(k));
    for (auto& v : x) {
        if (!relu) {
            v = std::uint16_t(g() & ((1u << bits) - 1u));
        } else {
            const unsigned len = 1u + unsigned(g() % unsigned(bits));
            v = (g() & 1) ? 0 : std::uint16_t(g() & ((1u << len) - 1u));
        }
    }
    return x;
}

xb::crossbar_config model_config(index_t m, int input_bits, bool flip)
{
    auto c = xb::forms(8);  // 128x128, 2-bit cells, 8-bit weights, 1-bit DAC, polarized
    c.fragment_rows = m;
    c.input_bits = input_bits;
    c.flip_encoding = flip;
    c.skip = xb::zero_skip::none;  // the plain ADC-accurate model (the prototype's)
    c.range = xb::adc_range::saturating;
    c.adc_bits = m == 8 ? 4 : 8;  // the prototype's ADCs: clip sums above 15 / 255
    return c;
}

struct candidate {
    std::string name;
    std::function<void()> run;
    std::vector<double> seconds;
};

// Rounds of alternating candidates (rotated order), `reps` calls averaged per sample.
void round_robin(std::vector<candidate>& cs, int rounds, int reps)
{
    for (auto& c : cs) c.run();
    for (int r = 0; r < rounds; ++r)
        for (std::size_t i = 0; i < cs.size(); ++i) {
            candidate& c = cs[(i + std::size_t(r)) % cs.size()];
            const double t0 = seconds_now();
            for (int k = 0; k < reps; ++k) c.run();
            c.seconds.push_back((seconds_now() - t0) / reps);
        }
}

double ratio(const candidate& a, const candidate& b)
{
    std::vector<double> r;
    for (std::size_t i = 0; i < a.seconds.size(); ++i) r.push_back(a.seconds[i] / b.seconds[i]);
    return median(r);
}

// ---- one crossbar ---------------------------------------------------------------------------
void bm_xbar128(benchmark::State& state, xb::engine e, bool variation, index_t k)
{
    auto c = xb::forms(8);  // flip + unit column: 31 outputs x 4 slices + 1 = 125 of 128 columns
    c.skip = xb::zero_skip::none;
    if (variation) {
        c.device.programming_sigma = 0.1;
        c.device.seed = 7;
    }
    const index_t n = c.outputs_per_crossbar();
    const auto w = polarized_weights(n, k, 8, 1);
    xb::layer l(c, matrix_view<const std::int32_t>(w.data(), n, k), e);
    const auto x = inputs(k, 16, true, 2);
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (auto _ : state) {
        l.mvm(x.data(), y.data());
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["MVMs_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
    state.SetLabel(l.engine_name());
}

// ---- fast path vs exact integer GEMV, round-robin ---------------------------------------------
void bm_ratio(benchmark::State& state, index_t k, index_t n, int input_bits, index_t m, bool relu)
{
    const auto cfg = model_config(m, input_bits, false);
    const auto w = polarized_weights(n, k, m, 3);
    const matrix_view<const std::int32_t> wv(w.data(), n, k);
    const auto p = xb::program_weights(cfg, wv);
    xb::fast_engine fast(p);
    xb::exact_gemv_plan exact(wv, input_bits);
    std::vector<std::int8_t> w8(w.begin(), w.end());
    finegrain::zeroskip::gemm_options zo;
    zo.skip_zeros = false;
    std::unique_ptr<finegrain::zeroskip::int_gemm_plan<std::uint8_t>> zs;
    if (input_bits <= 8)
        zs = std::make_unique<finegrain::zeroskip::int_gemm_plan<std::uint8_t>>(matrix_view<const std::int8_t>(w8.data(), n, k), 1, zo);
    const auto x = inputs(k, input_bits, relu, 4);
    std::vector<std::uint8_t> x8(x.begin(), x.end());
    std::vector<std::int64_t> y(static_cast<std::size_t>(n)), ye(static_cast<std::size_t>(n));
    std::vector<std::int32_t> y32(static_cast<std::size_t>(n));
    // Correctness of what is timed: the fast path equals the reference model.
    std::vector<std::int64_t> yr(static_cast<std::size_t>(n));
    finegrain::ref::crossbar_mvm(p, x.data(), yr.data());
    fast.mvm(x.data(), y.data());
    if (y != yr) state.SkipWithError("fast path differs from the reference");
    std::vector<candidate> cs = {{"fast", [&] { fast.mvm(x.data(), y.data()); }, {}},
                                 {"exact", [&] { exact.run(x.data(), ye.data()); }, {}}};
    if (zs) cs.push_back({"exact_zeroskip_s8", [&] { zs->run(x8.data(), y32.data()); }, {}});
    for (auto _ : state) {
        for (auto& c : cs) c.seconds.clear();
        round_robin(cs, 21, 20);
        // the baseline is the fastest exact candidate of each round
        std::vector<double> r;
        for (std::size_t i = 0; i < cs[0].seconds.size(); ++i) {
            double best = cs[1].seconds[i];
            for (std::size_t j = 2; j < cs.size(); ++j) best = std::min(best, cs[j].seconds[i]);
            r.push_back(cs[0].seconds[i] / best);
        }
        state.counters["fast_over_exact"] = median(r);
        state.counters["us_fast"] = 1e6 * median(cs[0].seconds);
        state.counters["us_exact"] = 1e6 * median(cs[1].seconds);
        if (zs) state.counters["us_exact_zeroskip_s8"] = 1e6 * median(cs[2].seconds);
        state.counters["fast_over_own_exact"] = ratio(cs[0], cs[1]);
        state.SetIterationTime(median(cs[0].seconds));
    }
    state.SetLabel(std::string(fast.kernel_name()) + " vs " + exact.kernel_name());
}

// ---- ResNet-18 3x3 layer end to end ---------------------------------------------------------
void bm_resnet(benchmark::State& state, xb::engine e, index_t m)
{
    const auto s = finegrain::conv2d_shape::square(1, 128, 128, 28, 3, 1, 1);
    const auto cfg = model_config(m, 16, false);
    const auto wm = polarized_weights(s.out_channels, s.taps(), m, 5);  // already N x K, channel-major
    std::vector<std::int32_t> oihw(wm.size());
    for (index_t o = 0; o < s.out_channels; ++o)
        for (index_t k = 0; k < s.taps(); ++k) oihw[std::size_t(o * s.taps() + k)] = wm[std::size_t(o * s.taps() + k)];
    xb::layer l(cfg, s, oihw.data(), xb::unroll_order::channel_major, e);
    const auto in = inputs(s.input_dims().size(), 16, true, 6);
    std::vector<std::int64_t> out(static_cast<std::size_t>(s.output_dims().size()));
    const finegrain::tensor4_view<const std::uint16_t> iv(in.data(), s.input_dims());
    const finegrain::tensor4_view<std::int64_t> ov(out.data(), s.output_dims());
    xb::exact_gemv_plan exact(matrix_view<const std::int32_t>(wm.data(), s.out_channels, s.taps()), 16);
    std::vector<std::uint16_t> col(static_cast<std::size_t>(s.taps()));
    std::vector<std::int64_t> y(static_cast<std::size_t>(s.out_channels));
    auto run_exact = [&] {
        for (index_t oy = 0; oy < 28; ++oy)
            for (index_t ox = 0; ox < 28; ++ox) {
                l.pixel_inputs(iv, 0, oy, ox, col.data());
                exact.run(col.data(), y.data());
            }
    };
    if (e == xb::engine::reference) {
        for (auto _ : state) l.forward(iv, ov);
        state.SetLabel("reference");
        return;
    }
    std::vector<candidate> cs = {{"fast", [&] { l.forward(iv, ov); }, {}}, {"exact", run_exact, {}}};
    for (auto _ : state) {
        for (auto& c : cs) c.seconds.clear();
        round_robin(cs, 5, 1);
        state.counters["fast_over_exact"] = ratio(cs[0], cs[1]);
        state.counters["ms_fast"] = 1e3 * median(cs[0].seconds);
        state.counters["ms_exact"] = 1e3 * median(cs[1].seconds);
        state.SetIterationTime(median(cs[0].seconds));
    }
    state.SetLabel(l.engine_name());
}

void register_crossbar_benchmarks()
{
    benchmark::RegisterBenchmark("smoke/crossbar/xbar32/fast", bm_xbar128, xb::engine::fast, false, index_t(32))
        ->Unit(benchmark::kMicrosecond);
    for (bool variation : {false, true})
        for (auto e : {xb::engine::fast, xb::engine::reference}) {
            const std::string name = std::string("crossbar/xbar128/") + (e == xb::engine::fast ? "fast" : "reference") +
                                     (variation ? "/variation" : "/ideal");
            benchmark::RegisterBenchmark(name.c_str(), bm_xbar128, e, variation, index_t(128))->Unit(benchmark::kMicrosecond);
        }
    struct shape {
        const char* name;
        index_t k, n;
    };
    for (const shape& sh : {shape{"xbar128x32", 128, 32}, shape{"fc1152x128", 1152, 128}})
        for (int bits : {8, 16})
            for (index_t m : {8, 128})
                for (bool relu : {false, true}) {
                    const std::string name = std::string("crossbar/ratio/") + sh.name + "/in" + std::to_string(bits) + "/m" +
                                             std::to_string(m) + (relu ? "/relu" : "/uniform");
                    benchmark::RegisterBenchmark(name.c_str(), bm_ratio, sh.k, sh.n, bits, m, relu)
                        ->UseManualTime()
                        ->Iterations(1)
                        ->Unit(benchmark::kMicrosecond);
                }
    for (index_t m : {8, 128})
        benchmark::RegisterBenchmark(("crossbar/resnet18_3x3/fast/m" + std::to_string(m)).c_str(), bm_resnet,
                                     xb::engine::fast, m)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("crossbar/resnet18_3x3/reference/m8", bm_resnet, xb::engine::reference, index_t(8))
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
}

} // namespace

FINEGRAIN_BENCH_REGISTER(register_crossbar_benchmarks);
