// Stand-alone probe (session 6): zeroskip::int_gemm_plan<uint8_t> on polarized 8-bit magnitudes,
// fc7 4096x4096, batch 1, 1 thread, iid ReLU-like zeros 0/70/90 %, m = 4 and 8, vs the same plan on
// dense int8 weights. Warm: one untimed call, then the median of 21 timed calls (each the mean of 5).
// Build: g++ -O3 -mavx2 -mfma -std=c++17 -I <include> zs_polarized_int_probe.cpp -lpthread
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "finegrain/polarized/format.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"

using namespace finegrain;

template <class Plan>
double median_ms(const Plan& p, const std::vector<std::uint8_t>& x, std::vector<std::int32_t>& y)
{
    p.run(x.data(), y.data());
    std::vector<double> t;
    for (int r = 0; r < 21; ++r) {
        const auto a = std::chrono::steady_clock::now();
        for (int i = 0; i < 5; ++i) p.run(x.data(), y.data());
        t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count() / 5);
    }
    std::sort(t.begin(), t.end());
    return t[10];
}

int main()
{
    const index_t n = 4096, k = 4096;
    std::mt19937 rng(1);
    std::vector<std::int8_t> w8(std::size_t(n * k));
    for (auto& v : w8) v = static_cast<std::int8_t>(int(rng() % 255) - 127);
    zeroskip::int_gemm_plan<std::uint8_t> dense(matrix_view<const std::int8_t>(w8.data(), n, k), 1);
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (index_t m : {4, 8}) {
        std::vector<std::uint8_t> mags(std::size_t(n * k)), neg(std::size_t(n * (k / m)));
        for (auto& v : mags) v = static_cast<std::uint8_t>(rng() % 256);
        for (auto& v : neg) v = rng() % 2;
        const float one = 1.0f;
        const polarized::polarized_matrix<std::uint8_t> q(n, polarized::conv_geometry::fully_connected(k), m,
                                                          polarized::unroll_order::channel_major, 8, mags.data(), neg.data(),
                                                          polarized::scale_mode::per_layer, &one);
        zeroskip::int_gemm_plan<std::uint8_t> pol(q, 1);
        for (double z : {0.0, 0.7, 0.9}) {
            std::vector<std::uint8_t> x(static_cast<std::size_t>(k));
            std::uniform_real_distribution<double> u(0, 1);
            for (auto& v : x) v = u(rng) < z ? 0 : static_cast<std::uint8_t>(1 + rng() % 255);
            const double d = median_ms(dense, x, y), p = median_ms(pol, x, y);
            std::printf("m%-3d zeros %2.0f%%  dense int8 zero-skip %.4f ms  polarized zero-skip %.4f ms  dense/polarized %.2f  (%s)\n",
                        int(m), z * 100, d, p, d / p, pol.kernel_name());
        }
    }
}
