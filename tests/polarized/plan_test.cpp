// Polarized plans (fp32 and integer GEMM, conv through im2col in both unroll orders, partial
// sums) against the scalar references, on every arch.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "finegrain/polarized/plan.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/polarized.hpp"
#include "support/testing.hpp"
#include "zeroskip/zeroskip_support.hpp"

using namespace finegrain;
using namespace finegrain::polarized;
using fgtest::random_floats;

namespace {

template <class U>
polarized_matrix<U> quantized(const polarized_matrix<float>& pm, int bits)
{
    return quantize<U>(pm, bits, scale_mode::per_output);
}

// Integer conv reference: out[b][o][y][x] = sum_{c,i,j} sign * q * in, in 64 bits.
template <class U, class X>
void int_conv_ref(const polarized_matrix<U>& q, const conv2d_shape& s, const std::vector<X>& in, std::vector<std::int64_t>& out)
{
    const conv_geometry g = q.geometry();
    const index_t oh = s.out_height(), ow = s.out_width();
    out.assign(std::size_t(s.output_dims().size()), 0);
    for (index_t b = 0; b < s.batch; ++b)
        for (index_t o = 0; o < s.out_channels; ++o)
            for (index_t y = 0; y < oh; ++y)
                for (index_t x = 0; x < ow; ++x) {
                    std::int64_t acc = 0;
                    for (index_t c = 0; c < s.in_channels; ++c)
                        for (index_t i = 0; i < s.kernel_h; ++i)
                            for (index_t j = 0; j < s.kernel_w; ++j) {
                                const index_t iy = y * s.stride_h + i - s.pad_h, ix = x * s.stride_w + j - s.pad_w;
                                if (iy < 0 || iy >= s.in_height || ix < 0 || ix >= s.in_width) continue;
                                const index_t k = g.index(q.order(), c, i, j);
                                const std::int64_t v = std::int64_t(q.magnitude(o, k)) *
                                                       std::int64_t(in[std::size_t(((b * s.in_channels + c) * s.in_height + iy) * s.in_width + ix)]);
                                acc += q.negative(o, k / q.fragment()) ? -v : v;
                            }
                    out[std::size_t(((b * s.out_channels + o) * oh + y) * ow + x)] = acc;
                }
}

} // namespace

TEST_CASE("polarized fp32 gemm and conv plans match the reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 3;
        for (index_t n : {1, 7, 33})
            for (index_t m : {1, 4, 9, 64}) {
                CAPTURE(n);
                CAPTURE(m);
                const index_t outs = 21, k = 50;
                const auto pm = fgtest::random_polarized(outs, k, m, seed++);
                const auto x = random_floats(std::size_t(k * n), seed++);
                const auto bias = random_floats(std::size_t(outs), seed++);
                std::vector<float> want(std::size_t(outs * n)), got(want.size());
                ref::polarized_gemm(pm, {x.data(), k, n}, {want.data(), outs, n}, bias.data(), activation::relu6);
                dense::gemm_options opt;
                opt.bias = bias.data();
                opt.act = activation::relu6;
                polarized::gemm_plan<float> plan(pm, n, opt);
                CHECK(plan.arch() == A::id);
                CHECK(std::string(plan.kernel_name()).find("_polarized") != std::string::npos);
                plan.run({x.data(), k, n}, {got.data(), outs, n});
                fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 1, 1), plan.kernel_name());
                // x and y as columns of wider matrices (rows n + 2 apart).
                const index_t ld = n + 2;
                std::vector<float> xs(std::size_t(k * ld), 1e30f), ys(std::size_t(outs * ld), -7.0f);
                for (index_t i = 0; i < k; ++i)
                    for (index_t j = 0; j < n; ++j) xs[std::size_t(i * ld + j)] = x[std::size_t(i * n + j)];
                plan.run({xs.data(), k, n, ld}, {ys.data(), outs, n, ld});
                for (index_t i = 0; i < outs; ++i)
                    for (index_t j = 0; j < n; ++j) got[std::size_t(i * n + j)] = ys[std::size_t(i * ld + j)];
                fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 1, 1), "strided x, y");
            }
        for (unroll_order order : {unroll_order::channel_major, unroll_order::position_major})
            for (index_t m : {3, 8, 9}) {
                CAPTURE(to_string(order));
                CAPTURE(m);
                const auto s = conv2d_shape::square(2, 6, 10, 7, 3, 1, 1);
                auto w = random_floats(std::size_t(s.weight_dims().size()), seed++);
                project_conv(tensor4_view<float>(w.data(), s.weight_dims()), m, order);
                const auto pm = pack_conv(tensor4_view<const float>(w.data(), s.weight_dims()), m, order);
                const auto in = fgtest::relu_like<float>(std::size_t(s.input_dims().size()), 0.5, seed++, 1.0);
                std::vector<float> want(std::size_t(s.output_dims().size())), got(want.size());
                ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<const float>(w.data(), s.weight_dims()),
                            nullptr, tensor4_view<float>(want.data(), s.output_dims()));
                polarized::conv2d_plan<float> plan(pm, s);
                plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(got.data(), s.output_dims()));
                fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(s.taps(), 1, 1), plan.kernel_name());
            }
    });
}

TEST_CASE("polarized integer gemm (batch 1..64) and conv plans are exact on every arch")
{
    fgtest::for_each_runnable_int_path([](auto) {
        std::uint32_t seed = 11;
        for (index_t b : {1, 2, 9, 64})
            for (index_t m : {1, 2, 4, 5, 8, 16, 128}) {
                CAPTURE(b);
                CAPTURE(m);
                const index_t n = 40, k = 70;
                const auto pm = fgtest::random_polarized(n, k, m, seed++);
                const auto q8 = quantized<std::uint8_t>(pm, 8);
                const auto q16 = quantized<std::uint16_t>(pm, 14);
                const auto x8 = fgtest::relu_like<std::uint8_t>(std::size_t(k * b), 0.3, seed++, 255);
                const auto x16 = fgtest::relu_like<std::uint16_t>(std::size_t(k * b), 0.3, seed++, 8000);
                std::vector<std::int64_t> want(std::size_t(n * b));
                std::vector<std::int32_t> got(want.size());
                auto check = [&](const auto& q, const auto& x) {
                    using X = typename std::decay_t<decltype(x)>::value_type;
                    ref::polarized_gemm_int(q, matrix_view<const X>(x.data(), k, b), matrix_view<std::int64_t>(want.data(), n, b));
                    polarized::int_gemm_plan<X> plan(q, b);
                    plan.run(matrix_view<const X>(x.data(), k, b), matrix_view<std::int32_t>(got.data(), n, b));
                    INFO(plan.kernel_name());
                    // B <= 7: sign-folded int8 weights on the dense kernel; B >= 8: magnitudes + signs.
                    CHECK((std::string(plan.kernel_name()).find("_polarized_folded_s8_") != std::string::npos) == (q.bits() <= 7));
                    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
                };
                check(q8, x8);                                 // pairs, signs
                check(q16, x8);                                // wide, signs
                check(q8, x16);                                // wide (uint16 inputs), signs
                check(quantized<std::uint8_t>(pm, 7), x8);     // folded: pairs
                check(quantized<std::uint16_t>(pm, 5), x8);    // folded from 16-bit magnitudes
                check(quantized<std::uint8_t>(pm, 6), x16);    // folded: wide (uint16 inputs)
            }
        for (unroll_order order : {unroll_order::channel_major, unroll_order::position_major}) {
            CAPTURE(to_string(order));
            const auto s = conv2d_shape::square(1, 5, 9, 11, 3, 2, 1);  // 36 output pixels: one partial block
            auto w = random_floats(std::size_t(s.weight_dims().size()), seed++);
            project_conv(tensor4_view<float>(w.data(), s.weight_dims()), 4, order);
            const auto q = quantized<std::uint8_t>(pack_conv(tensor4_view<const float>(w.data(), s.weight_dims()), 4, order), 7);
            const auto in = fgtest::relu_like<std::uint8_t>(std::size_t(s.input_dims().size()), 0.5, seed++, 255);
            std::vector<std::int64_t> want;
            int_conv_ref(q, s, in, want);
            std::vector<std::int32_t> got(want.size());
            polarized::int_conv2d_plan<std::uint8_t> plan(q, s);
            plan.run(tensor4_view<const std::uint8_t>(in.data(), s.input_dims()),
                     tensor4_view<std::int32_t>(got.data(), s.output_dims()));
            for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
        }
        // 64 < pixels: two blocks (a full one and a partial one).
        const auto s = conv2d_shape::square(1, 3, 4, 10, 3, 1, 1);
        auto w = random_floats(std::size_t(s.weight_dims().size()), 5);
        project_conv(tensor4_view<float>(w.data(), s.weight_dims()), 9, unroll_order::channel_major);
        const auto q = quantized<std::uint16_t>(pack_conv(tensor4_view<const float>(w.data(), s.weight_dims()), 9, unroll_order::channel_major), 9);
        const auto in = fgtest::relu_like<std::uint8_t>(std::size_t(s.input_dims().size()), 0.2, 6, 255);
        std::vector<std::int64_t> want;
        int_conv_ref(q, s, in, want);
        std::vector<std::int32_t> got(want.size());
        polarized::int_conv2d_plan<std::uint8_t>(q, s).run(tensor4_view<const std::uint8_t>(in.data(), s.input_dims()),
                                                          tensor4_view<std::int32_t>(got.data(), s.output_dims()));
        for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
    });
}

TEST_CASE("polarized integer gemm: groups spanning two fragments, every sign mix, every arch")
{
    // Groups of 8 rows cover two fragments at m <= 4 (one sign mask per part): all-positive,
    // all-negative, alternating and random fragment signs; m = 1..5 and m not dividing K;
    // batch 1 (signs applied to sums) and > 1 (signs applied to weights); dense and sparse inputs.
    fgtest::for_each_runnable_int_path([](auto) {
        std::uint32_t seed = 41;
        const index_t n = 72, k = 23;  // 72 outputs: two column chunks of 64, the second partial
        for (index_t m : {1, 2, 3, 4, 5})
            for (int signs = 0; signs < 4; ++signs) {  // 0 positive, 1 negative, 2 alternating, 3 random
                std::mt19937 rng(seed++);
                std::vector<float> w(std::size_t(n * k));
                for (index_t o = 0; o < n; ++o)
                    for (index_t kk = 0; kk < k; ++kk) {
                        const index_t f = kk / m;
                        const bool negative = signs == 1 || (signs == 2 && (f + o) % 2 == 1) || (signs == 3 && rng() % 2 == 1);
                        const float mag = float(rng() % 1000) / 1000.0f + 0.001f;
                        w[std::size_t(o * k + kk)] = negative ? -mag : mag;
                    }
                if (signs == 3)  // random signs: a fresh draw per element, so re-polarize
                    project(matrix_view<float>(w.data(), n, k), m);
                const auto pm = pack(matrix_view<const float>(w.data(), n, k), m);
                for (index_t b : {1, 3})
                    for (double z : {0.0, 0.5}) {
                        CAPTURE(m);
                        CAPTURE(signs);
                        CAPTURE(b);
                        CAPTURE(z);
                        const auto x8 = fgtest::relu_like<std::uint8_t>(std::size_t(k * b), z, seed++, 255);
                        const auto x16 = fgtest::relu_like<std::uint16_t>(std::size_t(k * b), z, seed++, 8000);
                        std::vector<std::int64_t> want(std::size_t(n * b));
                        std::vector<std::int32_t> got(want.size());
                        auto check = [&](const auto& q, const auto& x) {
                            using X = typename std::decay_t<decltype(x)>::value_type;
                            ref::polarized_gemm_int(q, matrix_view<const X>(x.data(), k, b), matrix_view<std::int64_t>(want.data(), n, b));
                            polarized::int_gemm_plan<X> plan(q, b);  // every row
                            plan.run(matrix_view<const X>(x.data(), k, b), matrix_view<std::int32_t>(got.data(), n, b));
                            INFO(plan.kernel_name());
                            for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
                            zeroskip::int_gemm_plan<X> skipping(q, b);  // zero rows skipped: parts of odd length
                            std::fill(got.begin(), got.end(), -7);
                            skipping.run(matrix_view<const X>(x.data(), k, b), matrix_view<std::int32_t>(got.data(), n, b));
                            INFO(skipping.kernel_name());
                            for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
                        };
                        check(quantized<std::uint8_t>(pm, 8), x8);    // pairs (int16 products)
                        check(quantized<std::uint16_t>(pm, 12), x8);  // wide
                        check(quantized<std::uint8_t>(pm, 8), x16);   // wide, uint16 inputs
                        check(quantized<std::uint8_t>(pm, 7), x8);    // sign-folded int8: pairs
                        check(quantized<std::uint8_t>(pm, 7), x16);   // sign-folded int8: wide
                    }
            }
    });
}

TEST_CASE("polarized integer gemm, 8-bit offset codes: pieces, sign steps and column blocks, every arch")
{
    // B = 8 with uint8 inputs stores negative fragments as 255 - |w|; batch 1 starts y at
    // -255 * sum_f n X_f from nibble tables of <= 32-row pieces (8 pieces per step). K = 300 and
    // n = 150 give partial steps and a partial column block; m covers pieces below, at and past 32
    // rows (one or several per fragment, the last one short) and m not dividing K; inputs: ReLU-like,
    // all zero, all 255, one non-zero; signs: random per fragment, all negative.
    fgtest::for_each_runnable_int_path([](auto) {
        std::uint32_t seed = 77;
        const index_t n = 150, k = 300;
        for (index_t m : {1, 3, 4, 7, 8, 31, 32, 33, 40, 64, 100, 128, 300})
            for (bool all_negative : {false, true}) {
                std::mt19937 rng(seed++);
                const index_t frags = (k + m - 1) / m;
                std::vector<std::uint8_t> mags(std::size_t(n * k)), neg(std::size_t(n * frags));
                for (auto& v : mags) v = static_cast<std::uint8_t>(rng() % 3 == 0 ? 255 : rng() % 256);
                for (auto& v : neg) v = all_negative || rng() % 2 ? 1 : 0;
                const float one = 1.0f;
                const polarized_matrix<std::uint8_t> q(n, conv_geometry::fully_connected(k), m, unroll_order::channel_major, 8,
                                                       mags.data(), neg.data(), scale_mode::per_layer, &one);
                std::vector<std::vector<std::uint8_t>> inputs = {fgtest::relu_like<std::uint8_t>(std::size_t(k), 0.4, seed++, 255),
                                                                 std::vector<std::uint8_t>(std::size_t(k), 0),
                                                                 std::vector<std::uint8_t>(std::size_t(k), 255),
                                                                 std::vector<std::uint8_t>(std::size_t(k), 0)};
                inputs[3][std::size_t(k / 2 + m % 7)] = 200;
                polarized::int_gemm_plan<std::uint8_t> plan(q, 1);
                polarized::int_gemm_plan<std::uint8_t> batched(q, 3);  // nb = 1 calls of a batch-3 plan
                zeroskip::int_gemm_plan<std::uint8_t> skipping(q, 1);
                for (std::size_t i = 0; i < inputs.size(); ++i) {
                    CAPTURE(m);
                    CAPTURE(all_negative);
                    CAPTURE(i);
                    const auto& x = inputs[i];
                    std::vector<std::int64_t> want(static_cast<std::size_t>(n));
                    ref::polarized_gemm_int(q, matrix_view<const std::uint8_t>(x.data(), k, 1), matrix_view<std::int64_t>(want.data(), n, 1));
                    auto expect_exact = [&](auto&& run) {
                        std::vector<std::int32_t> got(static_cast<std::size_t>(n), -7);
                        run(got.data());
                        for (index_t o = 0; o < n; ++o) REQUIRE(std::int64_t(got[std::size_t(o)]) == want[std::size_t(o)]);
                    };
                    expect_exact([&](std::int32_t* y) { plan.run(matrix_view<const std::uint8_t>(x.data(), k, 1), matrix_view<std::int32_t>(y, n, 1)); });
                    expect_exact([&](std::int32_t* y) { batched.run_unchecked(x.data(), 1, y, 1, 1); });
                    expect_exact([&](std::int32_t* y) { skipping.run(x.data(), y); });
                }
            }
    });
}

TEST_CASE("polarized integer gemm overflow edges: folded (B = 7) and magnitude + sign (B = 8) paths, every arch")
{
    // K = 4096 inputs of 255 times magnitudes 2^B - 1; output 2 all negative, output 5 all
    // positive, the others mixed. B = 7 runs the sign-folded int8 weights, B = 8 offset codes
    // (m = 1: 32 sign steps per uint16 widening; 4: 8; 32 and 128: one, full 32-row pieces).
    const index_t n = 70, k = 4096;
    auto matrix = [&](int bits, index_t m) {
        std::vector<std::uint8_t> mags(std::size_t(n * k), std::uint8_t((1u << bits) - 1u)), neg(std::size_t(n * (k / m)));
        for (std::size_t i = 0; i < neg.size(); ++i)
            neg[i] = (i / std::size_t(k / m) == 2 || (i / std::size_t(k / m) != 5 && i % 3 == 0)) ? 1 : 0;
        const float one = 1.0f;
        return polarized_matrix<std::uint8_t>(n, conv_geometry::fully_connected(k), m, unroll_order::channel_major, bits,
                                              mags.data(), neg.data(), scale_mode::per_layer, &one);
    };
    fgtest::for_each_runnable_int_path([&](auto) {
        for (int bits : {7, 8})
            for (index_t m : {1, 4, 32, 128})
                for (index_t b : {1, 3}) {
                    if (bits == 7 && m != 4) continue;  // folded weights carry no fragments
                    CAPTURE(bits);
                    CAPTURE(m);
                    CAPTURE(b);
                    const auto q = matrix(bits, m);
                    const std::int64_t wmax = (std::int64_t(1) << bits) - 1;
                    const std::vector<std::uint8_t> x(std::size_t(k * b), 255);
                    std::vector<std::int64_t> want(std::size_t(n * b));
                    std::vector<std::int32_t> got(want.size());
                    ref::polarized_gemm_int(q, matrix_view<const std::uint8_t>(x.data(), k, b), matrix_view<std::int64_t>(want.data(), n, b));
                    REQUIRE(want[std::size_t(2 * b)] == -std::int64_t(k) * 255 * wmax);
                    REQUIRE(want[std::size_t(5 * b)] == std::int64_t(k) * 255 * wmax);
                    polarized::int_gemm_plan<std::uint8_t> plan(q, b);
                    INFO(plan.kernel_name());
                    CHECK((std::string(plan.kernel_name()).find("_folded_s8_") != std::string::npos) == (bits == 7));
                    plan.run(matrix_view<const std::uint8_t>(x.data(), k, b), matrix_view<std::int32_t>(got.data(), n, b));
                    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
                    zeroskip::int_gemm_plan<std::uint8_t> skipping(q, b);
                    skipping.run(matrix_view<const std::uint8_t>(x.data(), k, b), matrix_view<std::int32_t>(got.data(), n, b));
                    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
                }
        // uint16 inputs x folded 7-bit weights: K = 258 of 65535 * 127 fits int32 (exact), 259 does not.
        const auto q258 = quantize<std::uint8_t>(fgtest::random_polarized(3, 258, 4, 9), 7, scale_mode::per_layer);
        const auto x16 = fgtest::relu_like<std::uint16_t>(258, 0.0, 10, 65535);
        const std::vector<std::uint16_t> xmax(258, 65535);
        std::vector<std::int64_t> want(3);
        std::vector<std::int32_t> got(3);
        polarized::int_gemm_plan<std::uint16_t> plan(q258, 1);
        CHECK(std::string(plan.kernel_name()).find("_folded_s8_") != std::string::npos);
        for (const auto* x : {&x16, &xmax}) {
            ref::polarized_gemm_int(q258, matrix_view<const std::uint16_t>(x->data(), 258, 1), matrix_view<std::int64_t>(want.data(), 3, 1));
            plan.run(matrix_view<const std::uint16_t>(x->data(), 258, 1), matrix_view<std::int32_t>(got.data(), 3, 1));
            for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
        }
        // Bad input still names the argument on the folded path.
        CHECK_THROWS_WITH_AS(plan.run(matrix_view<const std::uint16_t>(xmax.data(), 257, 1), matrix_view<std::int32_t>(got.data(), 3, 1)),
                             doctest::Contains("x.rows = 257"), finegrain::error);
    });
    const auto q259 = quantize<std::uint8_t>(fgtest::random_polarized(3, 259, 4, 9), 7, scale_mode::per_layer);
    CHECK_THROWS_WITH_AS(polarized::int_gemm_plan<std::uint16_t>(q259, 1), doctest::Contains("weights.cols = 259"), finegrain::error);
}

TEST_CASE("polarized partial sums: what the ADCs see, every fragment size, every arch")
{
    fgtest::for_each_runnable_arch([](auto) {
        std::uint32_t seed = 21;
        for (index_t m : {1, 3, 4, 8, 16, 31, 128, 300})
            for (double z : {0.0, 0.7, 1.0}) {
                CAPTURE(m);
                CAPTURE(z);
                const index_t n = 37, k = 150;
                const auto pm = fgtest::random_polarized(n, k, m, seed++);
                const index_t frags = pm.fragments_per_output();
                {
                    const auto x = fgtest::relu_like<float>(std::size_t(k), z, seed++, 1.0, true);
                    std::vector<double> want(std::size_t(frags * n));
                    std::vector<float> got(want.size(), -1.0f);
                    ref::fragment_partial_sums(pm, x.data(), want.data());
                    polarized::partial_sums_plan<float> plan(pm);
                    CHECK(plan.fragments() == frags);
                    plan.run(x.data(), got.data());
                    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
                }
                auto check_int = [&](const auto& q, const auto& x) {
                    using X = typename std::decay_t<decltype(x)>::value_type;
                    using U = typename std::decay_t<decltype(q)>::value_type;
                    std::vector<std::uint64_t> want(std::size_t(frags * n));
                    std::vector<std::uint32_t> got(want.size(), 7);
                    ref::fragment_partial_sums(q, x.data(), want.data());
                    polarized::partial_sums_plan<U, X> plan(q);
                    plan.run(x.data(), got.data());
                    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::uint64_t(got[i]) == want[i]);
                };
                check_int(quantized<std::uint8_t>(pm, 8), fgtest::relu_like<std::uint8_t>(std::size_t(k), z, seed++, 255));
                check_int(quantized<std::uint8_t>(pm, 2), fgtest::relu_like<std::uint16_t>(std::size_t(k), z, seed++, 65535));
                check_int(quantized<std::uint16_t>(pm, 16), fgtest::relu_like<std::uint8_t>(std::size_t(k), z, seed++, 255));
            }
    });
    // m * max(x) * max(q) must fit uint32.
    const auto q = quantize<std::uint16_t>(fgtest::random_polarized(3, 10, 2, 1), 16, scale_mode::per_layer);
    CHECK_THROWS_WITH_AS((polarized::partial_sums_plan<std::uint16_t, std::uint16_t>(q)), doctest::Contains("m = 2"),
                         finegrain::error);
    const auto conv_pm = fgtest::random_polarized(4, 27, 9, 2);
    CHECK_THROWS_WITH_AS(polarized::conv2d_plan<float>(conv_pm, conv2d_shape::square(1, 3, 4, 8, 3)),
                         doctest::Contains("weights.geometry"), finegrain::error);
}
