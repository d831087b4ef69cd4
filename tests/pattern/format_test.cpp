// pattern_set, project, pack/to_dense (FKW) and the reference pattern conv.
#include <cmath>
#include <vector>

#include "finegrain/pattern/format.hpp"
#include "finegrain/pattern/pattern_set.hpp"
#include "finegrain/pattern/project.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/pattern_conv.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using namespace finegrain::pattern;
using fgtest::random_floats;

namespace {

tensor4_view<const float> oihw(const std::vector<float>& w, index_t co, index_t ci)
{
    return tensor4_view<const float>(w.data(), {co, ci, 3, 3});
}

// The mask of a kernel's non-zero entries.
mask_t support_of(const std::vector<float>& w, index_t kernel)
{
    mask_t m = 0;
    for (int p = 0; p < 9; ++p)
        if (w[static_cast<std::size_t>(kernel * 9 + p)] != 0.0f) m = static_cast<mask_t>(m | (1u << p));
    return m;
}

} // namespace

TEST_CASE("pattern_set: built-in library, validation, taps")
{
    const pattern_set s = pattern_set::patdnn4();
    CHECK(s.size() == 8);
    CHECK(s.k() == 4);
    for (int i = 0; i < s.size(); ++i) {
        CHECK(popcount9(s.mask(i)) == 4);
        CHECK(((s.mask(i) >> 4) & 1) == 1);  // the centre is kept
        CHECK(s.find(s.mask(i)) == i);
    }
    CHECK(s.mask(0) == 0x1B);  // {0, 1, 3, 4}: the top-left square
    int taps[9];
    CHECK(s.taps(0, taps) == 4);
    CHECK(taps[0] == 0);
    CHECK(taps[3] == 4);
    CHECK(s.find(0x1FF) == -1);
    CHECK(s.find_containing(0x10) == 0);  // the centre alone lies in every pattern: lowest id

    for (int k = 1; k <= 9; ++k) {  // k = 1..9 libraries
        std::vector<mask_t> m;
        for (int mask = 1; mask < 512 && m.size() < 16; ++mask)
            if (popcount9(static_cast<mask_t>(mask)) == k) m.push_back(static_cast<mask_t>(mask));
        const pattern_set ps(m);
        CHECK(ps.k() == k);
        CHECK(ps.size() == std::min<int>(16, int(m.size())));
    }

    CHECK_THROWS_WITH_AS(pattern_set(std::vector<mask_t>{}), doctest::Contains("pattern_set.size"), finegrain::error);
    CHECK_THROWS_WITH_AS(pattern_set({0x1B, 0x7}), doctest::Contains("pattern_set.mask = 7"), finegrain::error);
    CHECK_THROWS_WITH_AS(pattern_set({0x1B, 0x1B}), doctest::Contains("distinct"), finegrain::error);
    CHECK_THROWS_WITH_AS(pattern_set({512}), doctest::Contains("pattern_set.mask = 512"), finegrain::error);
    CHECK_THROWS_WITH_AS(pattern_set(std::vector<mask_t>(17, 1)), doctest::Contains("pattern_set.size = 17"), finegrain::error);
}

TEST_CASE("pattern_set::most_frequent derives the library from weights")
{
    // 3 kernels dominated by mask {0,1,3,4}, 2 by {4,5,7,8}, 1 by {2,4,6,8}, 1 all-zero kernel.
    std::vector<float> w(8 * 9, 0.01f);
    auto set_kernel = [&](int kernel, std::initializer_list<int> big) {
        for (int p : big) w[static_cast<std::size_t>(kernel * 9 + p)] = 5.0f + float(p);
    };
    set_kernel(0, {0, 1, 3, 4});
    set_kernel(1, {0, 1, 3, 4});
    set_kernel(2, {0, 1, 3, 4});
    set_kernel(3, {4, 5, 7, 8});
    set_kernel(4, {4, 5, 7, 8});
    set_kernel(5, {2, 4, 6, 8});
    set_kernel(6, {2, 4, 6, 8});
    for (int p = 0; p < 9; ++p) w[static_cast<std::size_t>(7 * 9 + p)] = 0.0f;
    w[5 * 9 + 2] = -w[5 * 9 + 2];  // magnitude counts, not sign
    const pattern_set s = pattern_set::most_frequent(oihw(w, 2, 4), 2, 4);
    REQUIRE(s.size() == 2);
    CHECK(s.mask(0) == 0x1B);
    CHECK(s.mask(1) == 0x154);  // {2,4,6,8} (2 kernels, smaller mask than 0x1B0 on equal counts)
    const pattern_set all = pattern_set::most_frequent(oihw(w, 2, 4), 16, 4);
    CHECK(all.size() == 3);
    const pattern_set centre = pattern_set::most_frequent(oihw(w, 2, 4), 4, 2, true);
    for (int i = 0; i < centre.size(); ++i) CHECK(((centre.mask(i) >> 4) & 1) == 1);
    std::vector<float> zero(9, 0.0f);
    CHECK_THROWS_WITH_AS(pattern_set::most_frequent(oihw(zero, 1, 1), 4, 4), doctest::Contains("dense"), finegrain::error);
    CHECK_THROWS_WITH_AS(pattern_set::most_frequent(oihw(w, 2, 4), 17, 4), doctest::Contains("most_frequent.n"), finegrain::error);
    CHECK_THROWS_WITH_AS(pattern_set::most_frequent(oihw(w, 2, 4), 4, 10), doctest::Contains("most_frequent.k"), finegrain::error);
}

TEST_CASE("project: best pattern per kernel, connectivity, groups")
{
    const pattern_set lib = pattern_set::patdnn4();
    const index_t co = 20, ci = 12;
    const auto dense = random_floats(std::size_t(co * ci * 9), 41);

    SUBCASE("patterns only: every kernel keeps its most energetic library pattern")
    {
        const projection p = project(oihw(dense, co, ci), lib);
        CHECK(p.kept_kernels == co * ci);
        CHECK(p.compression == doctest::Approx(2.25));
        double kept = 0, total = 0;
        for (index_t kk = 0; kk < co * ci; ++kk) {
            const mask_t m = support_of(p.weights, kk);
            REQUIRE(lib.find(m) >= 0);
            double best = 0, got = 0;
            for (int id = 0; id < lib.size(); ++id) {
                double e = 0;
                for (int q = 0; q < 9; ++q)
                    if ((lib.mask(id) >> q) & 1) e += double(dense[std::size_t(kk * 9 + q)]) * dense[std::size_t(kk * 9 + q)];
                best = std::max(best, e);
            }
            for (int q = 0; q < 9; ++q) {
                got += double(p.weights[std::size_t(kk * 9 + q)]) * p.weights[std::size_t(kk * 9 + q)];
                total += double(dense[std::size_t(kk * 9 + q)]) * dense[std::size_t(kk * 9 + q)];
                if (p.weights[std::size_t(kk * 9 + q)] != 0.0f) CHECK(p.weights[std::size_t(kk * 9 + q)] == dense[std::size_t(kk * 9 + q)]);
            }
            CHECK(got == doctest::Approx(best));
            kept += got;
        }
        CHECK(p.retained_energy == doctest::Approx(kept / total));
        CHECK(p.retained_energy > 0.5);
        CHECK(p.retained_energy < 1.0);
    }
    SUBCASE("connectivity per layer removes the weakest kernels")
    {
        const projection all = project(oihw(dense, co, ci), lib);
        const projection p = project(oihw(dense, co, ci), lib, 0.25);
        CHECK(p.kept_kernels == 60);
        CHECK(p.compression == doctest::Approx(9.0));
        double weakest_kept = 1e30, strongest_dropped = 0;
        index_t nonzero = 0;
        for (index_t kk = 0; kk < co * ci; ++kk) {
            double e = 0;
            for (int q = 0; q < 9; ++q) e += double(all.weights[std::size_t(kk * 9 + q)]) * all.weights[std::size_t(kk * 9 + q)];
            if (support_of(p.weights, kk) != 0) {
                ++nonzero;
                weakest_kept = std::min(weakest_kept, e);
                CHECK(support_of(p.weights, kk) == support_of(all.weights, kk));
            } else {
                strongest_dropped = std::max(strongest_dropped, e);
            }
        }
        CHECK(nonzero == 60);
        CHECK(weakest_kept >= strongest_dropped);
        CHECK(p.retained_energy < all.retained_energy);
        CHECK(connectivity_for(9.0) == doctest::Approx(0.25));
    }
    SUBCASE("connectivity per filter keeps the same count in every filter")
    {
        const projection p = project(oihw(dense, co, ci), lib, 0.5, 1, connectivity_scope::filter);
        for (index_t o = 0; o < co; ++o) {
            index_t n = 0;
            for (index_t c = 0; c < ci; ++c) n += support_of(p.weights, o * ci + c) != 0;
            CHECK(n == 6);
        }
    }
    SUBCASE("groups share one pattern and one keep decision per input channel; g need not divide Cout")
    {
        for (index_t g : {8, 16, 7}) {
            CAPTURE(g);
            const projection p = project(oihw(dense, co, ci), lib, 0.5, g);
            const projection indep = project(oihw(dense, co, ci), lib, 0.5, 1);
            for (index_t c = 0; c < ci; ++c)
                for (index_t o = 0; o < co; ++o)
                    CHECK(support_of(p.weights, o * ci + c) == support_of(p.weights, (o / g) * g * ci + c));
            CHECK(p.retained_energy <= indep.retained_energy);  // grouping costs energy
            CHECK(p.kept_kernels <= 120);
            CHECK(p.kept_kernels >= 120 - g);
        }
        const projection p = project(oihw(dense, co, ci), lib, 1.0, 16);  // 2 groups: 16 + 4 filters
        CHECK(p.kept_kernels == co * ci);
    }
    SUBCASE("edge cases and errors")
    {
        const projection none = project(oihw(dense, co, ci), lib, 0.0);
        CHECK(none.kept_kernels == 0);
        CHECK(std::isinf(none.compression));
        CHECK(none.retained_energy == 0.0);
        CHECK_THROWS_WITH_AS(project(oihw(dense, co, ci), lib, 1.5), doctest::Contains("connectivity = 1.5"), finegrain::error);
        CHECK_THROWS_WITH_AS(project(oihw(dense, co, ci), lib, 0.5, 0), doctest::Contains("group = 0"), finegrain::error);
        CHECK_THROWS_WITH_AS(project(tensor4_view<const float>(dense.data(), {co, ci, 1, 9}), lib),
                             doctest::Contains("dense"), finegrain::error);
        CHECK_THROWS_WITH_AS(connectivity_for(2.0), doctest::Contains("compression = 2"), finegrain::error);
    }
}

TEST_CASE("pack: FKW layout, exact round trip, FKR order, memory")
{
    const pattern_set lib = pattern_set::patdnn4();
    const index_t co = 24, ci = 10;
    const auto dense = random_floats(std::size_t(co * ci * 9), 7);
    const projection p = project(oihw(dense, co, ci), lib, 0.4);
    const packed_weights w = pack(oihw(p.weights, co, ci), lib);
    CHECK(w.kernels() == p.kept_kernels);
    CHECK(w.to_dense() == p.weights);
    for (index_t i = 0; i + 1 < co; ++i)  // FKR: filters sorted by kept-kernel count
        CHECK(w.offset()[std::size_t(i + 1)] - w.offset()[std::size_t(i)] >= w.offset()[std::size_t(i + 2)] - w.offset()[std::size_t(i + 1)]);
    for (index_t o = 0; o < co; ++o) CHECK(w.reorder()[std::size_t(w.inverse()[std::size_t(o)])] == o);
    for (index_t i = 0; i < co; ++i)
        for (index_t j = w.offset()[std::size_t(i)] + 1; j < w.offset()[std::size_t(i) + 1]; ++j)
            CHECK(w.pattern()[std::size_t(j)] >= w.pattern()[std::size_t(j - 1)]);

    // Memory at 8x compression: at most 0.2x the dense fp32 bytes (the smallest bench layer).
    const auto big = random_floats(std::size_t(64 * 64 * 9), 8);
    const packed_weights w8 = pack(oihw(project(oihw(big, 64, 64), lib, connectivity_for(8.0)).weights, 64, 64), lib);
    CHECK(w8.memory().dense_bytes == 64 * 64 * 9 * 4);
    CHECK(w8.memory().ratio() <= 0.2);
    CHECK(w8.memory().ratio() > 0.1);

    SUBCASE("a zero entry inside a pattern is kept; a kernel outside every pattern is rejected")
    {
        std::vector<float> one(2 * 3 * 9, 0.0f);
        one[1 * 9 + 4] = 2.0f;  // filter 0, channel 1: centre only, inside every pattern
        one[(3 + 2) * 9 + 0] = 1.0f;
        one[(3 + 2) * 9 + 8] = 1.0f;  // filter 1, channel 2: corners 0 and 8, in no pattern
        CHECK_THROWS_WITH_AS(pack(oihw(one, 2, 3), lib), doctest::Contains("dense[filter 1][channel 2].mask = 257"),
                             finegrain::error);
        one[(3 + 2) * 9 + 8] = 0.0f;
        const packed_weights q = pack(oihw(one, 2, 3), lib);
        CHECK(q.kernels() == 2);
        CHECK(q.to_dense() == one);
    }
    SUBCASE("all kernels pruned")
    {
        std::vector<float> zero(std::size_t(co * ci * 9), 0.0f);
        const packed_weights z = pack(oihw(zero, co, ci), lib);
        CHECK(z.kernels() == 0);
        CHECK(z.to_dense() == zero);
    }
    SUBCASE("corrupt arrays are rejected")
    {
        auto bad = [&](auto edit) {
            fkw_arrays a = w.arrays();
            edit(a);
            return packed_weights(lib, a);
        };
        CHECK_NOTHROW(bad([](fkw_arrays&) {}));
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.pattern[3] = 8; }), doctest::Contains("fkw.pattern[3] = 8: pattern id out of range"),
                             finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.channel[5] = 10; }), doctest::Contains("fkw.channel[5] = 10: channel index out of range"),
                             finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { std::swap(a.offset[3], a.offset[4]); }),
                             doctest::Contains("non-decreasing"), finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.offset[0] = 1; }), doctest::Contains("fkw.offset[0]"), finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.reorder[1] = a.reorder[0]; }), doctest::Contains("fkw.reorder[1]"),
                             finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.weight.pop_back(); }), doctest::Contains("fkw.weight.size"), finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.channel.pop_back(); }), doctest::Contains("fkw.channel.size"), finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { std::swap(a.pattern.front(), a.pattern[std::size_t(a.offset[1] - 1)]); }),
                             doctest::Contains("grouped by pattern"), finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.channel[1] = a.channel[0]; a.pattern[1] = a.pattern[0]; }),
                             doctest::Contains("fkw.channel[1]"), finegrain::error);
        CHECK_THROWS_WITH_AS(bad([](fkw_arrays& a) { a.in_channels = 70000; }), doctest::Contains("fkw.in_channels = 70000"),
                             finegrain::error);
    }
}

TEST_CASE("ref::pattern_conv3x3 equals ref::conv2d on the dense weights")
{
    const pattern_set lib = pattern_set::patdnn4();
    std::uint32_t seed = 300;
    for (index_t stride : {1, 2})
        for (index_t pad : {0, 1})
            for (index_t size : {3, 6, 7}) {
                const auto s = conv2d_shape::square(2, 5, 6, size, 3, stride, pad);
                const auto dense = random_floats(std::size_t(s.weight_dims().size()), seed++);
                const packed_weights w = pack(oihw(project(oihw(dense, 6, 5), lib, 0.6).weights, 6, 5), lib);
                const auto in = random_floats(std::size_t(s.input_dims().size()), seed++);
                const auto bias = random_floats(6, seed++);
                const auto wd = w.to_dense();
                std::vector<float> want(std::size_t(s.output_dims().size())), got(want.size());
                tensor4_view<const float> iv(in.data(), s.input_dims());
                ref::conv2d(s, iv, oihw(wd, 6, 5), bias.data(), tensor4_view<float>(want.data(), s.output_dims()),
                            activation::relu);
                ref::pattern_conv3x3(s, iv, w, bias.data(), tensor4_view<float>(got.data(), s.output_dims()), activation::relu);
                fgtest::check_close(got.data(), want.data(), got.size(), 1e-5, "ref pattern conv");
            }
}
