// 04_polarize: FORMS-style polarized weights and zero-skipping, on VGG-16's fc7 (4096 x 4096).
//
// 1. Projects the layer onto the matrices polarized at fragment sizes m = 4, 8, 32, 128 (every m
//    consecutive inputs of an output share one sign) and prints what it costs: the fraction of
//    weights zeroed, the relative L2 error, and the storage in bits per weight (fp32 magnitudes,
//    then 8-bit magnitudes + one sign bit per fragment + a per-output scale, as on a crossbar).
// 2. Runs the layer at batch 1 on ReLU-like inputs (0 / 70 / 90 % zeros) with the zero-skip
//    GEMV (dense and polarized weights) and the dense GEMV, weights coming from DRAM (a 96 MB
//    buffer is written before each call), checks the result, and prints the speed-up.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <finegrain/finegrain.hpp>

namespace fg = finegrain;

namespace {

void flush_caches()
{
    static std::vector<char> junk(std::size_t(96) << 20);
    static char tick = 0;
    ++tick;
    for (std::size_t i = 0; i < junk.size(); i += 64) junk[i] = tick;
}

template <class F>
double median_cold_ms(F&& f, int reps = 5)
{
    std::vector<double> ms;
    f();
    for (int r = 0; r < reps; ++r) {
        flush_caches();
        const auto t0 = std::chrono::steady_clock::now();
        f();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

} // namespace

int main()
{
    const fg::index_t n = 4096, k = 4096;
    std::mt19937 rng(4);
    std::normal_distribution<float> gauss(0.0f, std::sqrt(2.0f / float(k)));
    std::vector<float> w(static_cast<std::size_t>(n * k));
    for (float& v : w) v = gauss(rng);

    std::printf("finegrain %s: polarized weights (FORMS) and zero-skipping, fc7 %ldx%ld, fp32, batch 1\n",
                FINEGRAIN_VERSION_STRING, long(n), long(k));
    std::printf("  %5s  %8s  %8s  %14s  %16s\n", "m", "zeroed", "L2 err", "fp32 bits/w", "8-bit bits/w");
    std::vector<float> w8;
    for (fg::index_t m : {4, 8, 32, 128}) {
        std::vector<float> p = w;
        const auto r = fg::polarized::project(fg::matrix_view<float>(p.data(), n, k), m);
        const auto pm = fg::polarized::pack(fg::matrix_view<const float>(p.data(), n, k), m);
        const auto q = fg::polarized::quantize<std::uint8_t>(pm, 8, fg::polarized::scale_mode::per_output);
        std::printf("  %5ld  %7.1f%%  %8.3f  %14.3f  %16.3f\n", long(m), 100 * r.zeroed_fraction, r.relative_l2_error,
                    pm.storage().packed_bits_per_weight, q.storage().packed_bits_per_weight);
        if (m == 8) w8 = p;
    }

    const auto pm8 = fg::polarized::pack(fg::matrix_view<const float>(w8.data(), n, k), 8);
    fg::dense::gemm_plan<float> dense(fg::matrix_view<const float>(w.data(), n, k), 1);
    fg::zeroskip::gemm_plan<float> zs(fg::matrix_view<const float>(w.data(), n, k), 1);
    fg::zeroskip::gemm_plan<float> pzs(pm8, 1);
    std::printf("\n  zero-skip GEMV (weights from DRAM, 1 thread): %s vs dense %s\n", zs.kernel_name(), dense.kernel_name());
    std::printf("  %8s  %10s  %10s  %9s  %14s  %9s\n", "zeros", "dense ms", "zskip ms", "speed-up", "polarized ms", "speed-up");
    std::vector<float> y(static_cast<std::size_t>(n)), want(static_cast<std::size_t>(n));
    int bad = 0;
    for (double z : {0.0, 0.7, 0.9}) {
        std::vector<float> x(static_cast<std::size_t>(k));
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (float& v : x) v = u(rng) < z ? 0.0f : u(rng);
        const double t_dense = median_cold_ms([&] { dense.run({x.data(), k, 1}, {want.data(), n, 1}); });
        const double t_zs = median_cold_ms([&] { zs.run(x.data(), y.data()); });
        for (fg::index_t i = 0; i < n; ++i) bad += std::fabs(y[std::size_t(i)] - want[std::size_t(i)]) > 1e-3f;
        const double t_pzs = median_cold_ms([&] { pzs.run(x.data(), y.data()); });
        std::printf("  %7.0f%%  %10.2f  %10.2f  %8.2fx  %14.2f  %8.2fx\n", 100 * z, t_dense, t_zs, t_dense / t_zs, t_pzs,
                    t_dense / t_pzs);
    }
    std::printf("  zero-skip result %s the dense GEMV\n", bad ? "DIFFERS FROM" : "matches");
    return bad ? 1 : 0;
}
