// Projection, format (pack / to_dense / storage), quantizer: properties and rejections.
#include <cmath>
#include <cstdint>
#include <vector>

#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/project.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using namespace finegrain::polarized;
using fgtest::random_floats;

namespace {

// The cost of keeping one sign of v[f0, f1): the squares of the other sign.
double cost_keeping(const float* v, index_t f0, index_t f1, bool positive)
{
    double c = 0;
    for (index_t i = f0; i < f1; ++i)
        if (positive ? v[i] < 0 : v[i] > 0) c += double(v[i]) * double(v[i]);
    return c;
}

void check_projection(index_t n, index_t k, index_t m, std::uint32_t seed)
{
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(m);
    const auto orig = random_floats(std::size_t(n * k), seed);
    auto w = orig;
    const projection_report r = project(matrix_view<float>(w.data(), n, k), m);
    const index_t span = m < k ? m : k;
    double total = 0, removed = 0;
    index_t zeroed = 0, mixed = 0, frags = 0;
    for (index_t o = 0; o < n; ++o)
        for (index_t f0 = 0; f0 < k; f0 += span) {
            const index_t f1 = f0 + span < k ? f0 + span : k;
            const float* v = orig.data() + o * k;
            const double keep_pos = cost_keeping(v, f0, f1, true), keep_neg = cost_keeping(v, f0, f1, false);
            const bool is_mixed = keep_pos > 0 && keep_neg > 0;
            mixed += is_mixed;
            ++frags;
            const bool positive = keep_pos <= keep_neg;  // the cheaper one; positive on a tie
            for (index_t i = f0; i < f1; ++i) {
                total += double(v[i]) * double(v[i]);
                const float want = (is_mixed && (positive ? v[i] < 0 : v[i] > 0)) ? 0.0f : v[i];
                if (want != v[i]) {
                    ++zeroed;
                    removed += double(v[i]) * double(v[i]);
                }
                REQUIRE(w[std::size_t(o * k + i)] == want);
            }
        }
    CHECK(r.weights == n * k);
    CHECK(r.fragments == frags);
    CHECK(r.mixed_fragments == mixed);
    CHECK(r.zeroed == zeroed);
    CHECK(r.zeroed_fraction == doctest::Approx(double(zeroed) / double(n * k)));
    CHECK(r.relative_l2_error == doctest::Approx(std::sqrt(removed / total)));
    // The result is polarized: pack accepts it and round-trips it exactly.
    const auto pm = pack(matrix_view<const float>(w.data(), n, k), m);
    const auto back = pm.to_dense();
    for (std::size_t i = 0; i < w.size(); ++i) REQUIRE(back[index_t(i)] == w[i]);
}

} // namespace

TEST_CASE("polarized projection: exact per-fragment rule, every fragment size")
{
    std::uint32_t seed = 100;
    for (index_t k : {1, 7, 64, 100})
        for (index_t m : {1, 2, 3, 4, 5, 8, 9, 16, 32, 33, 64, 128, 200}) check_projection(5, k, m, seed++);
}

TEST_CASE("polarized projection: edge battery")
{
    std::vector<float> z(24, 0.0f);
    auto r = project(matrix_view<float>(z.data(), 3, 8), 4);
    CHECK(r.zeroed == 0);
    CHECK(r.relative_l2_error == 0.0);
    std::vector<float> pos(24, 0.5f), neg(24, -0.5f);
    CHECK(project(matrix_view<float>(pos.data(), 3, 8), 8).zeroed == 0);
    CHECK(project(matrix_view<float>(neg.data(), 3, 8), 8).zeroed == 0);
    std::vector<float> one(24, 0.0f);
    one[13] = -3.0f;
    CHECK(project(matrix_view<float>(one.data(), 3, 8), 4).zeroed == 0);
    std::vector<float> tie = {1, -1, 2, -2};  // equal squares: the positive sign wins
    project(matrix_view<float>(tie.data(), 1, 4), 4);
    CHECK(tie == std::vector<float>{1, 0, 2, 0});
    std::vector<float> w = {1, -3, 0.5f, 2};
    r = project(matrix_view<float>(w.data(), 1, 4), 2);  // fragments {1,-3} -> {0,-3}; {0.5,2} kept
    CHECK(w == std::vector<float>{0, -3, 0.5f, 2});
    CHECK(r.zeroed == 1);
    CHECK(r.relative_l2_error == doctest::Approx(std::sqrt(1.0 / (1 + 9 + 0.25 + 4))));

    CHECK_THROWS_WITH_AS(project(matrix_view<float>(w.data(), 1, 4), 0), doctest::Contains("m = 0"), finegrain::error);
    w[2] = std::nanf("");
    CHECK_THROWS_WITH_AS(project(matrix_view<float>(w.data(), 1, 4), 2), doctest::Contains("weights = NaN"), finegrain::error);
}

TEST_CASE("polarized format: pack rejects mixed fragments, naming them")
{
    std::vector<float> w = {1, 2, 3, 4, 5, 6, 7, 8,    //
                            1, 0, 2, 0, 0.5f, 0, -0.25f, 1};
    CHECK_NOTHROW(pack(matrix_view<const float>(w.data(), 2, 8), 1));
    CHECK_THROWS_WITH_AS(pack(matrix_view<const float>(w.data(), 2, 8), 8),
                         doctest::Contains("weights = fragment of output 1, inputs 0..7 (m = 8) holds 1 at input 0 and -0.25 at input 6"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(pack(matrix_view<const float>(w.data(), 2, 8), 4),
                         doctest::Contains("inputs 4..7"), finegrain::error);
    CHECK_THROWS_WITH_AS(pack(matrix_view<const float>(w.data(), 2, 8), 0), doctest::Contains("m = 0"), finegrain::error);
    w[0] = INFINITY;
    CHECK_THROWS_WITH_AS(pack(matrix_view<const float>(w.data(), 2, 8), 2), doctest::Contains("must be finite"), finegrain::error);
}

TEST_CASE("polarized format: signs, fragments with m not dividing K, storage report")
{
    // 2 x 10 at m = 4: fragments [0,4) [4,8) [8,10).
    std::vector<float> w = {-1, -2, 0, -3, 4, 0, 5, 6, 0, -7,  //
                            0, 0, 0, 0, 1, 1, 1, 1, -2, 0};
    const auto pm = pack(matrix_view<const float>(w.data(), 2, 10), 4);
    CHECK(pm.fragments_per_output() == 3);
    CHECK(pm.fragment_end(2) == 10);
    CHECK(pm.negative(0, 0));
    CHECK(!pm.negative(0, 1));
    CHECK(pm.negative(0, 2));
    CHECK(!pm.negative(1, 0));  // all zero: positive
    CHECK(pm.negative(1, 2));
    CHECK(pm.magnitude(0, 9) == 7.0f);
    CHECK(pm.value(0, 9) == -7.0f);
    const storage_report s = pm.storage();
    CHECK(s.weights == 20);
    CHECK(s.magnitude_bits == 32);
    CHECK(s.packed_bits_per_weight == doctest::Approx(32.0 + 6.0 / 20.0));
    CHECK(s.stored_bits_per_weight == doctest::Approx(8.0 * double(s.magnitude_bytes + s.sign_bytes) / 20.0));

    const auto q = quantize<std::uint8_t>(pm, 3, scale_mode::per_layer);
    const storage_report sq = q.storage();
    CHECK(sq.magnitude_bits == 3);
    CHECK(sq.packed_bits_per_weight == doctest::Approx(3.0 + 6.0 / 20.0 + 32.0 / 20.0));
    CHECK(q.magnitude(0, 9) == 7);  // scale = 7 / 7 = 1
    CHECK(q.value(0, 9) == -7.0f);
    CHECK(q.negative(1, 2));
}

TEST_CASE("polarized quantizer: B = 1..16, per layer and per output")
{
    const index_t n = 6, k = 40;
    auto w = random_floats(std::size_t(n * k), 7);
    for (index_t c = 0; c < k; ++c) w[std::size_t(3 * k + c)] *= 0.01f;  // a quiet output: per_output helps it
    project(matrix_view<float>(w.data(), n, k), 8);
    const auto pm = pack(matrix_view<const float>(w.data(), n, k), 8);
    auto check = [&](const auto& q, int bits, scale_mode mode) {
        CAPTURE(bits);
        const double qmax = double((1u << bits) - 1u);
        float layer_max = 0;
        for (float v : w) layer_max = std::max(layer_max, std::fabs(v));
        for (index_t o = 0; o < n; ++o) {
            float row_max = 0;
            for (index_t c = 0; c < k; ++c) row_max = std::max(row_max, std::fabs(w[std::size_t(o * k + c)]));
            const double scale = (mode == scale_mode::per_layer ? layer_max : row_max) / qmax;
            CHECK(q.scale(o) == doctest::Approx(scale));
            for (index_t c = 0; c < k; ++c) {
                REQUIRE(double(q.magnitude(o, c)) <= qmax);
                REQUIRE(std::fabs(double(q.value(o, c)) - double(w[std::size_t(o * k + c)])) <= 0.5001 * scale + 1e-12);
            }
        }
    };
    for (int b = 1; b <= 8; ++b) {
        check(quantize<std::uint8_t>(pm, b, scale_mode::per_layer), b, scale_mode::per_layer);
        check(quantize<std::uint8_t>(pm, b, scale_mode::per_output), b, scale_mode::per_output);
    }
    for (int b : {9, 12, 16}) check(quantize<std::uint16_t>(pm, b, scale_mode::per_output), b, scale_mode::per_output);
    CHECK_THROWS_WITH_AS(quantize<std::uint8_t>(pm, 0, scale_mode::per_layer), doctest::Contains("bits = 0"), finegrain::error);
    CHECK_THROWS_WITH_AS(quantize<std::uint8_t>(pm, 9, scale_mode::per_layer), doctest::Contains("bits = 9"), finegrain::error);
    CHECK_THROWS_WITH_AS(quantize<std::uint16_t>(pm, 17, scale_mode::per_layer), doctest::Contains("bits = 17"), finegrain::error);
    CHECK_THROWS_WITH_AS(quantize<std::uint8_t>(pm, 8, scale_mode::none), doctest::Contains("scaling"), finegrain::error);
}

TEST_CASE("polarized format: from parts validates, conv unroll orders decide the fragments")
{
    const std::uint8_t mags[] = {1, 2, 3, 4, 5, 6};
    const std::uint8_t neg[] = {0, 1, 0, 0};
    const float scale = 0.5f;
    polarized_matrix<std::uint8_t> q(2, conv_geometry::fully_connected(3), 2, unroll_order::channel_major, 3, mags, neg,
                                     scale_mode::per_layer, &scale);
    CHECK(q.value(0, 2) == -1.5f);
    CHECK(q.value(1, 0) == 2.0f);
    CHECK_THROWS_WITH_AS((polarized_matrix<std::uint8_t>(2, conv_geometry::fully_connected(3), 2, unroll_order::channel_major,
                                                         2, mags, neg, scale_mode::per_layer, &scale)),
                         doctest::Contains("magnitudes = magnitude 4 at output 1, input 0"), finegrain::error);
    CHECK_THROWS_WITH_AS((polarized_matrix<std::uint8_t>(2, conv_geometry::fully_connected(3), 0, unroll_order::channel_major,
                                                         3, mags, neg, scale_mode::per_layer, &scale)),
                         doctest::Contains("m = 0"), finegrain::error);
    const float bad = -1.0f;
    CHECK_THROWS_WITH_AS((polarized_matrix<std::uint8_t>(2, conv_geometry::fully_connected(3), 2, unroll_order::channel_major,
                                                         3, mags, neg, scale_mode::per_layer, &bad)),
                         doctest::Contains("scales = -1"), finegrain::error);

    // One output, 2 channels, 3x3: channel 0 all positive, channel 1 all negative.
    std::vector<float> w(18);
    for (int i = 0; i < 9; ++i) {
        w[std::size_t(i)] = float(i + 1);
        w[std::size_t(9 + i)] = -float(i + 1);
    }
    tensor4_view<const float> wv(w.data(), {1, 2, 3, 3});
    const auto cm = pack_conv(wv, 9, unroll_order::channel_major);  // a fragment = one channel's 3x3
    CHECK(!cm.negative(0, 0));
    CHECK(cm.negative(0, 1));
    CHECK_THROWS_WITH_AS(pack_conv(wv, 2, unroll_order::position_major), doctest::Contains("mixes signs"), finegrain::error);
    // Position-major at m = 2 pairs channel 0 and 1 of one tap: project, then round-trip OIHW.
    std::vector<float> p = w;
    const projection_report r = project_conv(tensor4_view<float>(p.data(), {1, 2, 3, 3}), 2, unroll_order::position_major);
    CHECK(r.mixed_fragments == 9);
    CHECK(r.zeroed == 9);
    const auto pmj = pack_conv(tensor4_view<const float>(p.data(), {1, 2, 3, 3}), 2, unroll_order::position_major);
    CHECK(pmj.order() == unroll_order::position_major);
    std::vector<float> back(18);
    pmj.to_oihw(tensor4_view<float>(back.data(), {1, 2, 3, 3}));
    CHECK(back == p);
    // Ties keep the positive channel: w[c=0] = +t, w[c=1] = -t.
    for (int i = 0; i < 9; ++i) {
        CHECK(p[std::size_t(i)] == float(i + 1));
        CHECK(p[std::size_t(9 + i)] == 0.0f);
    }
}
