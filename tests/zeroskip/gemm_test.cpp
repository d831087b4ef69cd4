// Zero-skip GEMV / small-batch GEMM (fp32 and integer, dense and polarized weights) against the
// scalar references, on every arch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "finegrain/ref/gemm.hpp"
#include "finegrain/ref/polarized.hpp"
#include "finegrain/zeroskip/gemm_plan.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"
#include "support/testing.hpp"
#include "zeroskip/zeroskip_support.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

index_t nonzero_rows(const std::vector<float>& x, index_t k, index_t b)
{
    index_t n = 0;
    for (index_t i = 0; i < k; ++i) {
        bool any = false;
        for (index_t s = 0; s < b; ++s) any = any || x[std::size_t(i * b + s)] != 0;
        n += any;
    }
    return n;
}

void check_f32(index_t n, index_t k, index_t b, double zeros, index_t m, executor* pool, std::uint32_t seed)
{
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(b);
    CAPTURE(zeros);
    CAPTURE(m);
    const auto x = fgtest::relu_like<float>(std::size_t(k * b), zeros, seed, 2.0, seed % 2 == 0);
    const auto bias = random_floats(std::size_t(n), seed + 1);
    zeroskip::gemm_options opt;
    opt.bias = bias.data();
    opt.act = activation::relu;
    opt.pool = pool;
    std::vector<float> want(std::size_t(n * b)), got(std::size_t(n * b), -9.0f);
    if (m == 0) {
        const auto w = random_floats(std::size_t(n * k), seed + 2);
        ref::gemm({w.data(), n, k}, {x.data(), k, b}, {want.data(), n, b}, bias.data(), activation::relu);
        zeroskip::gemm_plan<float> plan(matrix_view<const float>(w.data(), n, k), b, opt);
        plan.run({x.data(), k, b}, {got.data(), n, b});
        CHECK(plan.rows_run() == nonzero_rows(x, k, b));
        fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 2, 1), plan.kernel_name());
    } else {
        const auto pm = fgtest::random_polarized(n, k, m, seed + 2);
        ref::polarized_gemm(pm, {x.data(), k, b}, {want.data(), n, b}, bias.data(), activation::relu);
        zeroskip::gemm_plan<float> plan(pm, b, opt);
        plan.run({x.data(), k, b}, {got.data(), n, b});
        fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 2, 1), plan.kernel_name());
    }
}

template <class X, class MakeWeights>
void check_int(index_t n, index_t k, index_t b, double zeros, bool skip, std::uint32_t seed, MakeWeights make)
{
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(b);
    CAPTURE(zeros);
    CAPTURE(skip);
    const double xmax = sizeof(X) == 1 ? 255.0 : 65535.0;
    const auto x = fgtest::relu_like<X>(std::size_t(k * b), zeros, seed, xmax, seed % 2 == 1);
    std::vector<std::int64_t> want(std::size_t(n * b));
    std::vector<std::int32_t> got(std::size_t(n * b), -9);
    zeroskip::gemm_options opt;
    opt.skip_zeros = skip;
    make([&](const auto& plan_from, auto reference) {
        zeroskip::int_gemm_plan<X> plan(plan_from, b, opt);
        reference(matrix_view<const X>(x.data(), k, b), matrix_view<std::int64_t>(want.data(), n, b));
        plan.run(matrix_view<const X>(x.data(), k, b), matrix_view<std::int32_t>(got.data(), n, b));
        INFO(plan.kernel_name());
        for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
    });
}

// Random dense int8 / polarized integer weights for check_int.
template <class U>
polarized::polarized_matrix<U> random_int_polarized(index_t n, index_t k, index_t m, int bits, std::uint32_t seed)
{
    return polarized::quantize<U>(fgtest::random_polarized(n, k, m, seed), bits, polarized::scale_mode::per_output);
}

template <class X>
void int_battery(std::uint32_t& seed)
{
    for (index_t n : {1, 17, 64, 100})
        for (index_t k : {1, 6, 33})
            for (index_t b : {1, 3})
                for (double z : {0.0, 0.6, 1.0}) {
                    std::vector<std::int8_t> w8(std::size_t(n * k));
                    std::mt19937 rng(seed);
                    for (auto& v : w8) v = static_cast<std::int8_t>(int(rng() % 256) - 128);
                    check_int<X>(n, k, b, z, true, seed++, [&](auto&& go) {
                        go(matrix_view<const std::int8_t>(w8.data(), n, k), [&](auto xv, auto yv) {
                            ref::gemm_int(matrix_view<const std::int8_t>(w8.data(), n, k), xv, yv);
                        });
                    });
                    for (index_t m : {1, 3, 8, 40}) {
                        const auto q8 = random_int_polarized<std::uint8_t>(n, k, m, 8, seed);  // magnitudes + signs
                        const auto q7 = random_int_polarized<std::uint8_t>(n, k, m, sizeof(X) == 1 ? 7 : 4, seed + 2);  // sign-folded int8
                        const auto q16 = random_int_polarized<std::uint16_t>(n, k, m, sizeof(X) == 1 ? 12 : 4, seed + 1);
                        check_int<X>(n, k, b, z, m != 3, seed++, [&](auto&& go) {
                            go(q8, [&](auto xv, auto yv) { ref::polarized_gemm_int(q8, xv, yv); });
                            go(q7, [&](auto xv, auto yv) { ref::polarized_gemm_int(q7, xv, yv); });
                            go(q16, [&](auto xv, auto yv) { ref::polarized_gemm_int(q16, xv, yv); });
                        });
                    }
                }
}

} // namespace

TEST_CASE("zeroskip fp32 gemm plan matches the reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 1;
        SUBCASE("dense weights, edge battery")
        {
            for (index_t n : {1, 5, 63, 64, 65, 130})
                for (index_t k : {1, 7, 33})
                    for (index_t b : {1, 3, 16})
                        for (double z : {0.0, 0.5, 0.9, 1.0}) check_f32(n, k, b, z, 0, nullptr, seed++);
        }
        SUBCASE("polarized weights, fragments of every size")
        {
            for (index_t m : {1, 2, 3, 4, 8, 9, 16, 32, 64, 128, 500})
                for (index_t b : {1, 5, 7}) check_f32(70, 130, b, 0.7, m, nullptr, seed++);  // 7: a 6 + 1 sample split
        }
        SUBCASE("threads (batch 1: rows split; batch 2: columns split), batch 64")
        {
            thread_pool pool(3);
            check_f32(300, 90, 1, 0.7, 0, &pool, 41);
            // Batch 1 splits the rows over 12 parts: parts of several groups, empty parts, all zeros.
            check_f32(130, 700, 1, 0.5, 0, &pool, 44);
            check_f32(65, 300, 1, 0.0, 8, &pool, 45);
            check_f32(65, 300, 1, 1.0, 0, &pool, 46);
            check_f32(70, 40, 2, 0.5, 8, &pool, 42);
            check_f32(40, 20, 64, 0.9, 0, nullptr, 43);
            check_f32(700, 24, 64, 0.5, 0, nullptr, 44);  // two column tiles (f32_tile_values / 64 = 512)
        }
        SUBCASE("batch-1 non-zero listing: -0 is zero, non-zeros in every lane and in the tail")
        {
            for (index_t k : {1, 8, 16, 37, 64, 67}) {
                CAPTURE(k);
                std::vector<float> x(static_cast<std::size_t>(k));
                index_t nonzeros = 0;
                for (index_t i = 0; i < k; ++i) {
                    x[std::size_t(i)] = i % 3 == 0 ? -0.0f : i % 5 == 1 ? 0.0f : float(i % 7) - 2.5f;
                    nonzeros += x[std::size_t(i)] != 0.0f;
                }
                const auto w = random_floats(std::size_t(9 * k), std::uint32_t(k));
                std::vector<float> want(9), got(9);
                ref::gemm({w.data(), 9, k}, {x.data(), k, 1}, {want.data(), 9, 1}, nullptr, activation::none);
                zeroskip::gemm_plan<float> plan(matrix_view<const float>(w.data(), 9, k), 1);
                plan.run(x.data(), got.data());
                CHECK(plan.rows_run() == nonzeros);
                fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 2, 1), plan.kernel_name());
            }
        }
        SUBCASE("batch > 1 row listing: a row runs when any sample is non-zero (-0 is zero, NaN is not)")
        {
            for (index_t b : {3, 16}) {
                CAPTURE(b);
                const index_t k = 40;
                std::vector<float> x(static_cast<std::size_t>(k * b), 0.0f);
                index_t listed = 0;
                for (index_t i = 0; i < k; ++i) {
                    float* row = x.data() + i * b;
                    const index_t s = (i * 7) % b;  // the one sample set (or not)
                    switch (i % 4) {
                    case 0: break;                                          // all +0
                    case 1: for (index_t j = 0; j < b; ++j) row[j] = -0.0f; break;  // all -0
                    case 2: row[s] = i % 8 == 2 ? std::numeric_limits<float>::quiet_NaN() : 1.5f; break;
                    default: row[s] = -0.0f, row[(s + 1) % b] = float(i) - 20.5f; break;
                    }
                    listed += i % 4 >= 2;
                }
                const auto w = random_floats(std::size_t(5 * k), std::uint32_t(b));
                std::vector<float> want(std::size_t(5 * b)), got(std::size_t(5 * b));
                ref::gemm({w.data(), 5, k}, {x.data(), k, b}, {want.data(), 5, b}, nullptr, activation::none);
                zeroskip::gemm_plan<float> plan(matrix_view<const float>(w.data(), 5, k), b);
                plan.run(matrix_view<const float>(x.data(), k, b), matrix_view<float>(got.data(), 5, b));
                CHECK(plan.rows_run() == listed);
                for (std::size_t i = 0; i < got.size(); ++i) {
                    INFO(i);
                    if (std::isnan(want[i]))
                        CHECK(std::isnan(got[i]));
                    else
                        CHECK(std::fabs(double(got[i]) - double(want[i])) <= fgtest::fp32_tol(k, 21, 1));
                }
            }
        }
        const std::vector<float> w(12, 1.0f);
        zeroskip::gemm_plan<float> plan(matrix_view<const float>(w.data(), 3, 4), 1);
        CHECK(plan.arch() == A::id);
        CHECK(std::string(plan.kernel_name()).find(std::string("__") + A::name) != std::string::npos);
    });
}

TEST_CASE("zeroskip integer gemm plan is exact on every arch")
{
    fgtest::for_each_runnable_int_path([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 7;
        SUBCASE("uint8 inputs") { int_battery<std::uint8_t>(seed); }
        SUBCASE("batch 64: several column tiles (int_tile_values / 64 = 128 columns)")
        {
            std::vector<std::int8_t> w8(std::size_t(300 * 20));
            std::mt19937 rng(5);
            for (auto& v : w8) v = static_cast<std::int8_t>(int(rng() % 256) - 128);
            const auto q8 = random_int_polarized<std::uint8_t>(300, 20, 4, 8, 6);
            check_int<std::uint8_t>(300, 20, 64, 0.5, true, 7, [&](auto&& go) {
                go(matrix_view<const std::int8_t>(w8.data(), 300, 20),
                   [&](auto xv, auto yv) { ref::gemm_int(matrix_view<const std::int8_t>(w8.data(), 300, 20), xv, yv); });
                go(q8, [&](auto xv, auto yv) { ref::polarized_gemm_int(q8, xv, yv); });
            });
        }
        SUBCASE("uint16 inputs") { int_battery<std::uint16_t>(seed); }
        SUBCASE("uint8 batch-1 non-zero listing: non-zeros in every lane and in the tail, odd counts padded")
        {
            for (index_t k : {1, 15, 16, 17, 31, 32, 33, 64, 67, 100}) {
                CAPTURE(k);
                std::vector<std::uint8_t> x(static_cast<std::size_t>(k));
                index_t nonzeros = 0;
                for (index_t i = 0; i < k; ++i) {
                    x[std::size_t(i)] = static_cast<std::uint8_t>(i % 3 == 0 || i % 5 == 1 ? 0 : i == 2 ? 255 : 1 + i % 7);
                    nonzeros += x[std::size_t(i)] != 0;
                }
                std::vector<std::int8_t> w8(std::size_t(9 * k));
                std::mt19937 rng(static_cast<std::uint32_t>(k));
                for (auto& v : w8) v = static_cast<std::int8_t>(int(rng() % 256) - 128);
                std::vector<std::int64_t> want(9);
                std::vector<std::int32_t> got(9, -9);
                ref::gemm_int(matrix_view<const std::int8_t>(w8.data(), 9, k), matrix_view<const std::uint8_t>(x.data(), k, 1),
                              matrix_view<std::int64_t>(want.data(), 9, 1));
                zeroskip::int_gemm_plan<std::uint8_t> plan(matrix_view<const std::int8_t>(w8.data(), 9, k), 1);
                plan.run(x.data(), got.data());
                // uint8 x int8 runs VNNI quads on avx512 where allowed, else int16 pairs.
                const bool quads = A::id == finegrain::simd::arch_id::avx512 && finegrain::simd::vnni_runnable();
                INFO(plan.kernel_name());
                CHECK((std::string(plan.kernel_name()).find("_vnni") != std::string::npos) == quads);
                const index_t width = quads ? 4 : 2;  // x = 0 entries pad the list to whole pairs / quads
                CHECK(plan.rows_run() == (nonzeros + width - 1) / width * width);
                for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::int64_t(got[i]) == want[i]);
            }
        }
    });
}

TEST_CASE("zeroskip quad-block kernel (every row, uint8 x int8) against a plain sum, every arch and batch 1..3")
{
    // rows_kernels::quad_blocks directly: the plans pick it on avx512 with VNNI only, so the
    // other archs' loop is reached here. K = 21 (blocks of 16: a full pass, then a partial one
    // whose last quad has one real row and three pads), 128 columns (two 64-column chunks).
    const index_t k = 21, cols = 128, ld = cols + 64, quads = (k + 3) / 4;
    std::mt19937 rng(17);
    std::vector<std::int8_t> w(std::size_t(k * cols));
    for (auto& v : w) v = static_cast<std::int8_t>(int(rng() % 256) - 128);
    finegrain::aligned_buffer<std::int8_t> blocks(((k + 15) / 16) * 16 * ld);
    for (index_t r = 0; r < k; ++r)
        for (index_t c = 0; c < cols; ++c) blocks[zeroskip::quad_block_offset(r, c, ld)] = w[std::size_t(r * cols + c)];
    // Entries: every row in order, then pads (row k - 1, x = 0) to whole quads; groups of 8.
    std::vector<std::int32_t> rows;
    for (index_t r = 0; r < quads * 4; ++r) rows.push_back(static_cast<std::int32_t>(std::min(r, k - 1)));
    std::vector<index_t> ends;
    for (index_t e = 8; e < quads * 4; e += 8) ends.push_back(e);
    ends.push_back(quads * 4);
    fgtest::for_each_runnable_int_path([&](auto arch) {
        using A = decltype(arch);
        if (A::id == finegrain::simd::arch_id::avx512 && !finegrain::simd::vnni_runnable()) return;  // the VNNI pass needs VNNI
        for (index_t b = 1; b <= 3; ++b) {
            CAPTURE(b);
            std::vector<std::uint8_t> x(std::size_t(k * b));
            for (auto& v : x) v = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng() % 256);
            std::vector<std::int32_t> xq(std::size_t(quads * b), 0);  // x(4q) | x(4q+1) << 8 | ...
            for (index_t r = 0; r < k; ++r)
                for (index_t s = 0; s < b; ++s)
                    xq[std::size_t((r / 4) * b + s)] |= static_cast<std::int32_t>(std::uint32_t(x[std::size_t(r * b + s)]) << (8 * (r % 4)));
            std::vector<std::int32_t> y(std::size_t(b * cols), 5);  // accumulates onto 5
            zeroskip::int_rows_args<std::int8_t> a;
            a.groups.count = static_cast<index_t>(ends.size());
            a.groups.end = ends.data();
            a.groups.rows = rows.data();
            a.x = xq.data();
            a.batch = b;
            a.w = blocks.data();
            a.ldw = ld;
            a.y = y.data();
            a.ldy = cols;
            a.col_begin = 0;
            a.col_end = cols;
            zeroskip::rows_kernels<A>::quad_blocks(a);
            for (index_t s = 0; s < b; ++s)
                for (index_t c = 0; c < cols; ++c) {
                    std::int64_t want = 5;
                    for (index_t r = 0; r < k; ++r) want += std::int64_t(x[std::size_t(r * b + s)]) * w[std::size_t(r * cols + c)];
                    REQUIRE(std::int64_t(y[std::size_t(s * cols + c)]) == want);
                }
        }
    });
}

TEST_CASE("zeroskip quad-panel kernel and input quads against a plain sum, every arch, batch 1..13")
{
    // rows_kernels::quad_panels and pack_input_quads directly (the plans pick them on avx512
    // with VNNI only). K = 21: the last quad has one real row; 192 columns: three panels; batch
    // 1..13 covers one to three sample tiles with every remainder; x rows are ldx = batch + 3 apart.
    const index_t k = 21, cols = 192, quads = (k + 3) / 4;
    std::mt19937 rng(23);
    std::vector<std::int8_t> w(std::size_t(k * cols));
    for (auto& v : w) v = static_cast<std::int8_t>(int(rng() % 256) - 128);
    finegrain::aligned_buffer<std::int8_t> panels(quads * 4 * cols);
    for (index_t r = 0; r < k; ++r)
        for (index_t c = 0; c < cols; ++c) panels[zeroskip::quad_panel_offset(r, c, quads)] = w[std::size_t(r * cols + c)];
    const std::vector<index_t> ends = {quads * 4};  // every row in order: one group
    fgtest::for_each_runnable_int_path([&](auto arch) {
        using A = decltype(arch);
        if (A::id == finegrain::simd::arch_id::avx512 && !finegrain::simd::vnni_runnable()) return;  // the VNNI tiles need VNNI
        for (index_t b : {1, 2, 5, 6, 7, 12, 13}) {
            CAPTURE(b);
            const index_t ldx = b + 3;
            std::vector<std::uint8_t> x(std::size_t(k * ldx));
            for (auto& v : x) v = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng() % 256);
            std::vector<std::int32_t> xq(std::size_t(quads * b), -1);
            zeroskip::rows_kernels<A>::pack_input_quads(x.data(), ldx, k, b, xq.data());
            for (index_t q = 0; q < quads; ++q)
                for (index_t s = 0; s < b; ++s) {
                    std::uint32_t want = 0;
                    for (index_t i = 0; i < 4 && 4 * q + i < k; ++i) want |= std::uint32_t(x[std::size_t((4 * q + i) * ldx + s)]) << (8 * i);
                    REQUIRE(static_cast<std::uint32_t>(xq[std::size_t(q * b + s)]) == want);
                }
            std::vector<std::int32_t> y(std::size_t(b * cols), 5);  // accumulates onto 5
            zeroskip::int_rows_args<std::int8_t> a;
            a.groups.count = 1;
            a.groups.end = ends.data();
            a.x = xq.data();
            a.batch = b;
            a.w = panels.data();
            a.y = y.data();
            a.ldy = cols;
            a.col_begin = 64;  // the first panel is not run
            a.col_end = cols;
            zeroskip::rows_kernels<A>::quad_panels(a);
            for (index_t s = 0; s < b; ++s)
                for (index_t c = 0; c < cols; ++c) {
                    std::int64_t want = 5;
                    if (c >= 64)
                        for (index_t r = 0; r < k; ++r) want += std::int64_t(x[std::size_t(r * ldx + s)]) * w[std::size_t(r * cols + c)];
                    REQUIRE(std::int64_t(y[std::size_t(s * cols + c)]) == want);
                }
        }
    });
}

TEST_CASE("zeroskip integer overflow edges: K = 4096 of max inputs x max magnitudes fits int32")
{
    fgtest::for_each_runnable_int_path([](auto) {
        const index_t n = 70, k = 4096, m = 8;
        std::vector<std::uint8_t> mags(std::size_t(n * k), 255), neg(std::size_t(n * (k / m)));
        for (std::size_t i = 0; i < neg.size(); ++i) neg[i] = (i % 3 == 0 || i / 512 == 2) ? 1 : 0;  // output 2: all negative
        const float one = 1.0f;
        const polarized::polarized_matrix<std::uint8_t> q(n, polarized::conv_geometry::fully_connected(k), m,
                                                          polarized::unroll_order::channel_major, 8, mags.data(), neg.data(),
                                                          polarized::scale_mode::per_layer, &one);
        const std::vector<std::uint8_t> x(std::size_t(k), 255);
        std::vector<std::int64_t> want(static_cast<std::size_t>(n));
        std::vector<std::int32_t> got(static_cast<std::size_t>(n));
        ref::polarized_gemm_int(q, matrix_view<const std::uint8_t>(x.data(), k, 1), matrix_view<std::int64_t>(want.data(), n, 1));
        zeroskip::int_gemm_plan<std::uint8_t> plan(q, 1);
        plan.run(x.data(), got.data());
        CHECK(want[2] == -std::int64_t(4096) * 255 * 255);
        for (index_t o = 0; o < n; ++o) REQUIRE(std::int64_t(got[std::size_t(o)]) == want[std::size_t(o)]);
        // Dense int8: -128 * 255 * 4096 is the most negative sum.
        std::vector<std::int8_t> w8(std::size_t(n * k), -128);
        zeroskip::int_gemm_plan<std::uint8_t> dense(matrix_view<const std::int8_t>(w8.data(), n, k), 1);
        dense.run(x.data(), got.data());
        CHECK(got[0] == -128 * 255 * 4096);
    });
    // uint16 inputs x 8-bit magnitudes: K = 128 fits, 129 does not.
    const auto pm = fgtest::random_polarized(2, 129, 8, 3);
    const auto q129 = polarized::quantize<std::uint8_t>(pm, 8, polarized::scale_mode::per_layer);
    CHECK_THROWS_WITH_AS(zeroskip::int_gemm_plan<std::uint16_t>(q129, 1), doctest::Contains("weights.cols = 129"),
                         finegrain::error);
    const auto q128 = polarized::quantize<std::uint8_t>(fgtest::random_polarized(2, 128, 8, 3), 8, polarized::scale_mode::per_layer);
    CHECK_NOTHROW(zeroskip::int_gemm_plan<std::uint16_t>(q128, 1));
}

TEST_CASE("zeroskip plans reject bad shapes")
{
    std::vector<float> w(12, 1.0f), x(8), y(6);
    CHECK_THROWS_WITH_AS(zeroskip::gemm_plan<float>(matrix_view<const float>(w.data(), 3, 4), 0), doctest::Contains("batch = 0"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(zeroskip::gemm_plan<float>(matrix_view<const float>(w.data(), 3, 4), 65), doctest::Contains("batch = 65"),
                         finegrain::error);
    zeroskip::gemm_plan<float> plan(matrix_view<const float>(w.data(), 3, 4), 2);
    CHECK_THROWS_WITH_AS(plan.run({x.data(), 2, 4}, {y.data(), 3, 2}), doctest::Contains("x.rows = 2"), finegrain::error);
    CHECK_THROWS_WITH_AS(plan.run({x.data(), 4, 2}, {y.data(), 2, 3}), doctest::Contains("y.rows = 2"), finegrain::error);
    CHECK_THROWS_WITH_AS(plan.run(x.data(), y.data()), doctest::Contains("batch = 2"), finegrain::error);
}
