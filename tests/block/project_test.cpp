#include <algorithm>
#include <cmath>
#include <vector>

#include "block/block_test_support.hpp"
#include "finegrain/block/project.hpp"
#include "finegrain/unstructured/format.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

// Block norms of a row-major m x k matrix, block by block (row-major over blocks).
std::vector<double> block_norms(const std::vector<float>& w, index_t m, index_t k, block::block_shape bs)
{
    const index_t bcs = (k + bs.c - 1) / bs.c;
    std::vector<double> n(std::size_t(((m + bs.r - 1) / bs.r) * bcs), 0.0);
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j) n[std::size_t((i / bs.r) * bcs + j / bs.c)] += double(w[std::size_t(i * k + j)]) * w[std::size_t(i * k + j)];
    return n;
}

} // namespace

TEST_CASE("block project keeps the strongest blocks at the exact sparsity")
{
    const index_t m = 37, k = 29;
    const auto w = random_floats(std::size_t(m * k), 11);
    for (block::block_shape bs : {block::block_shape{1, 1}, block::block_shape{4, 1}, block::block_shape{8, 1},
                                  block::block_shape{1, 4}, block::block_shape{4, 4}})
        for (double s : {0.0, 0.3, 0.7, 0.9, 1.0}) {
            CAPTURE(bs.r);
            CAPTURE(bs.c);
            CAPTURE(s);
            const auto p = block::project(matrix_view<const float>(w.data(), m, k), bs, s);
            const auto before = block_norms(w, m, k, bs), after = block_norms(p, m, k, bs);
            const index_t blocks = index_t(before.size());
            index_t zeros = 0;
            double kept_min = 1e300, dropped_max = -1;
            for (std::size_t b = 0; b < before.size(); ++b) {
                if (after[b] == 0) {
                    ++zeros;
                    dropped_max = std::max(dropped_max, before[b]);
                } else {
                    CHECK(after[b] == before[b]);  // kept blocks are untouched
                    kept_min = std::min(kept_min, before[b]);
                }
            }
            CHECK(zeros == index_t(std::llround(s * double(blocks))));
            CHECK(dropped_max <= kept_min);
        }
}

TEST_CASE("block project per_row prunes every block row equally")
{
    const index_t m = 32, k = 40;
    const auto w = random_floats(std::size_t(m * k), 12);
    const block::block_shape bs{4, 1};
    const auto p = block::project(matrix_view<const float>(w.data(), m, k), bs, 0.75, block::prune_scope::per_row);
    const auto packed = block::pack(matrix_view<const float>(p.data(), m, k), bs);
    for (index_t br = 0; br < packed.block_rows(); ++br) CHECK(packed.row_ptr()[br + 1] - packed.row_ptr()[br] == 10u);
    const auto u = unstructured::project(matrix_view<const float>(w.data(), m, k), 0.5, block::prune_scope::per_row);
    for (index_t i = 0; i < m; ++i) CHECK(std::count(u.begin() + i * k, u.begin() + (i + 1) * k, 0.0f) == 20);
}

TEST_CASE("block project_punched prunes (block, tap) entries")
{
    const index_t o = 16, c = 8;
    const auto w = random_floats(std::size_t(o * c * 9), 13);
    const block::punched_shape ps{8, 4};
    const auto p = block::project_punched(tensor4_view<const float>(w.data(), {o, c, 3, 3}), ps, 0.875);
    const auto packed = block::pack_punched(tensor4_view<const float>(p.data(), {o, c, 3, 3}), ps);
    CHECK(packed.n_entries() == 4);  // 2 x 2 blocks x 9 taps = 36 entries, round(0.875 * 36) = 32 pruned
    CHECK(packed.density() == doctest::Approx(4.0 * 32.0 / (16.0 * 8.0 * 9.0)));
    // Every (block, tap) is either whole or fully zero.
    const auto d = packed.to_dense();
    CHECK(d == p);
}

TEST_CASE("block projection rejects bad arguments")
{
    std::vector<float> w(12, 1.0f);
    CHECK_THROWS_WITH_AS(block::project(matrix_view<const float>(w.data(), 3, 4), {4, 1}, 1.5),
                         doctest::Contains("sparsity = 1.5"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::project(matrix_view<const float>(w.data(), 3, 4), {5, 1}, 0.5),
                         doctest::Contains("block_shape.r = 5"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::choose_block_shape(matrix_view<const float>(w.data(), 3, 4), 0.5, 2.0),
                         doctest::Contains("energy_budget"), finegrain::error);
}

TEST_CASE("block choose_block_shape trades retained energy for predicted speed")
{
    const index_t m = 64, k = 64;
    // Planted 8x1 structure: whole 8x1 blocks are strong or weak, so 8x1 pruning loses nothing.
    auto planted = random_floats(std::size_t(m * k), 14, 0.9f, 1.1f);
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j)
            if (((i / 8) * 7 + j) % 10 != 0) planted[std::size_t(i * k + j)] *= 0.01f;
    const auto pick = block::choose_block_shape(matrix_view<const float>(planted.data(), m, k), 0.9, 0.95);
    CHECK(pick.shape.r >= 4);
    CHECK(pick.shape.c == 1);
    CHECK(pick.retained_energy > 0.9);
    CHECK(pick.predicted_speedup > block::predicted_efficiency({1, 1}) / 0.1);

    // Unstructured Gaussian weights: only 1x1 keeps all of unstructured pruning's energy.
    const auto g = random_floats(std::size_t(m * k), 15);
    const auto strict = block::choose_block_shape(matrix_view<const float>(g.data(), m, k), 0.9, 1.0);
    CHECK(strict.shape == block::block_shape{1, 1});
    const auto loose = block::choose_block_shape(matrix_view<const float>(g.data(), m, k), 0.9, 0.0);
    CHECK(loose.shape != block::block_shape{1, 1});  // any block shape predicts faster than CSR
    CHECK(block::predicted_efficiency({8, 1}) > block::predicted_efficiency({1, 1}));
}
