// SPDX-License-Identifier: BSD-3-Clause
// Projection of dense weights onto block-sparse sets (the Euclidean projection: keep the blocks
// of largest L2 norm, zero the rest), the block-punched projection, and choose_block_shape().
//
//   auto pruned = block::project(w, {8, 1}, 0.9);              // 90% of the 8x1 blocks zeroed
//   auto packed = block::pack(matrix_view<const float>(pruned.data(), m, k), {8, 1});
//   auto pick   = block::choose_block_shape(w, 0.9, 0.9);     // best predicted speed that keeps
//                                                              // >= 90% of unstructured's energy
// Ties in block norm are broken by position (the earlier block is pruned first), so the result
// is deterministic. Sparsity counts blocks: round(sparsity * blocks) blocks are zeroed (globally,
// or per block row with prune_scope::per_row).
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "finegrain/block/format.hpp"
#include "finegrain/block/punched_format.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace block {

enum class prune_scope {
    global,   // the weakest blocks of the whole matrix
    per_row,  // the same count in every block row (balanced work per output-channel block)
};

namespace project_detail {

inline void require_sparsity(double s)
{
    detail::require(s >= 0.0 && s <= 1.0, "sparsity", s, "must be in [0, 1]");
}

/// Zeroes the `drop` entries of smallest norm among `ids` (ties: smaller id first).
inline void mark_weakest(std::vector<std::pair<double, index_t>>& ids, index_t drop, std::vector<char>& keep)
{
    drop = std::min<index_t>(drop, index_t(ids.size()));
    if (drop <= 0) return;
    std::nth_element(ids.begin(), ids.begin() + (drop - 1), ids.end());
    const auto pivot = ids[std::size_t(drop - 1)];
    for (const auto& e : ids)
        if (e < pivot || e == pivot) keep[std::size_t(e.second)] = 0;
}

inline index_t rounded(double s, index_t n) { return index_t(std::llround(s * double(n))); }

} // namespace project_detail

/// A copy of `dense` (row-major rows x cols) with round(sparsity * blocks) r x c blocks of
/// smallest L2 norm set to zero.
inline std::vector<float> project(matrix_view<const float> dense, block_shape shape, double sparsity,
                                  prune_scope scope = prune_scope::global)
{
    detail::require(!dense.empty(), "dense", "empty", "must be a matrix");
    shape.validate();
    project_detail::require_sparsity(sparsity);
    const index_t m = dense.rows(), k = dense.cols();
    const index_t brs = (m + shape.r - 1) / shape.r, bcs = (k + shape.c - 1) / shape.c;
    std::vector<double> norm(std::size_t(brs * bcs), 0.0);
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j) norm[std::size_t((i / shape.r) * bcs + j / shape.c)] += double(dense(i, j)) * dense(i, j);
    std::vector<char> keep(norm.size(), 1);
    std::vector<std::pair<double, index_t>> ids;
    if (scope == prune_scope::global) {
        for (index_t b = 0; b < brs * bcs; ++b) ids.emplace_back(norm[std::size_t(b)], b);
        project_detail::mark_weakest(ids, project_detail::rounded(sparsity, brs * bcs), keep);
    } else {
        for (index_t br = 0; br < brs; ++br) {
            ids.clear();
            for (index_t bc = 0; bc < bcs; ++bc) ids.emplace_back(norm[std::size_t(br * bcs + bc)], br * bcs + bc);
            project_detail::mark_weakest(ids, project_detail::rounded(sparsity, bcs), keep);
        }
    }
    std::vector<float> out(std::size_t(m * k));
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j)
            out[std::size_t(i * k + j)] = keep[std::size_t((i / shape.r) * bcs + j / shape.c)] ? dense(i, j) : 0.0f;
    return out;
}

/// A copy of OIHW 3x3 `weights` with round(sparsity * entries) block-punched entries (a tap of
/// a filters x channels block) of smallest L2 norm set to zero. Compression = 1 / (1 - sparsity).
inline std::vector<float> project_punched(tensor4_view<const float> weights, punched_shape shape, double sparsity)
{
    detail::require(!weights.empty(), "weights", "empty", "must be a tensor");
    detail::require(weights.h() == 3 && weights.w() == 3, "weights.kernel", weights.h(), "must be 3x3 (OIHW)");
    shape.validate();
    project_detail::require_sparsity(sparsity);
    const index_t o_n = weights.n(), c_n = weights.c();
    const index_t fbs = (o_n + shape.filters - 1) / shape.filters, cbs = (c_n + shape.channels - 1) / shape.channels;
    auto id = [&](index_t o, index_t ch, index_t t) { return ((o / shape.filters) * cbs + ch / shape.channels) * 9 + t; };
    std::vector<double> norm(std::size_t(fbs * cbs * 9), 0.0);
    for (index_t o = 0; o < o_n; ++o)
        for (index_t ch = 0; ch < c_n; ++ch)
            for (index_t t = 0; t < 9; ++t) {
                const double v = weights(o, ch, t / 3, t % 3);
                norm[std::size_t(id(o, ch, t))] += v * v;
            }
    std::vector<char> keep(norm.size(), 1);
    std::vector<std::pair<double, index_t>> ids;
    for (index_t e = 0; e < index_t(norm.size()); ++e) ids.emplace_back(norm[std::size_t(e)], e);
    project_detail::mark_weakest(ids, project_detail::rounded(sparsity, index_t(norm.size())), keep);
    std::vector<float> out(std::size_t(o_n * c_n * 9));
    for (index_t o = 0; o < o_n; ++o)
        for (index_t ch = 0; ch < c_n; ++ch)
            for (index_t t = 0; t < 9; ++t)
                out[std::size_t((o * c_n + ch) * 9 + t)] = keep[std::size_t(id(o, ch, t))] ? weights(o, ch, t / 3, t % 3) : 0.0f;
    return out;
}

/// Sum of squares of `w` (the energy a projection retains is energy(pruned) / energy(dense)).
inline double energy(const float* w, index_t n)
{
    double e = 0;
    for (index_t i = 0; i < n; ++i) e += double(w[i]) * w[i];
    return e;
}

/// Predicted useful-FLOP throughput of the block SpMM kernels for a block shape, relative to
/// dense fp32 GEMM on the same core (1.0 = as fast per stored value as dense per weight).
/// A model of the register-tiled kernel (block/kernels.hpp, 16 vector registers): per block it
/// issues r*c*NV FMAs against c*NV activation loads (mostly from L2) and r*c weight broadcasts
/// (from L1); the core retires 2 FMAs and 2 loads per cycle. Calibrated against
/// bench/block_bench on an AVX2 core (bench/RESULTS.md, block section).
inline double predicted_efficiency(block_shape s)
{
    const double r = double(s.r), c = double(s.c);
    const double rt = std::min(r, 8.0);                                      // rows held in registers
    const double nv = rt >= 8 ? 1 : rt >= 4 ? 3 : rt >= 2 ? 5 : 12;        // pixel vectors per tile
    const double passes = r / rt;
    const double fma = r * c * nv;
    const double loads = passes * c * nv * 2.0 + r * c;                      // an L2 load costs ~2
    const double cycles = std::max(fma / 2.0, loads / 2.0) + 1.5 * passes;  // + index/loop overhead
    return (fma / cycles) / 2.0 / 0.9;                                      // dense runs at ~90% of peak
}

struct block_choice {
    block_shape shape;
    double retained_energy = 0;    // energy(projected) / energy(dense)
    double predicted_speedup = 0;  // over dense, from predicted_efficiency() and the density
};

/// The shapes choose_block_shape() tries by default: output-channel blocks (r x 1), input
/// blocks (1 x c) and squares.
inline std::vector<block_shape> default_block_candidates()
{
    return {{1, 1}, {2, 1}, {4, 1}, {8, 1}, {16, 1}, {1, 2}, {1, 4}, {1, 8}, {2, 2}, {4, 4}};
}

/// Projects `dense` to `sparsity` with every candidate shape and returns the one with the best
/// predicted speed among those that retain at least `energy_budget` times the energy that
/// unstructured (1x1) pruning retains at the same sparsity. 1x1 itself always qualifies.
inline block_choice choose_block_shape(matrix_view<const float> dense, double sparsity, double energy_budget = 0.9,
                                       const std::vector<block_shape>& candidates = default_block_candidates())
{
    detail::require(!dense.empty(), "dense", "empty", "must be a matrix");
    project_detail::require_sparsity(sparsity);
    detail::require(energy_budget >= 0.0 && energy_budget <= 1.0, "energy_budget", energy_budget,
                               "must be in [0, 1]");
    detail::require(!candidates.empty(), "candidates", "empty", "must name at least one block shape");
    const index_t m = dense.rows(), k = dense.cols();
    std::vector<float> copy(std::size_t(m * k));
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j) copy[std::size_t(i * k + j)] = dense(i, j);
    const double total = energy(copy.data(), m * k);
    auto retained = [&](block_shape s) {
        const auto p = project(dense, s, sparsity);
        return total > 0 ? energy(p.data(), m * k) / total : 1.0;
    };
    const double unstructured = retained({1, 1});
    const double density = std::max(1.0 - sparsity, 1.0 / double(m * k));
    block_choice best;
    bool found = false;
    for (block_shape s : candidates) {
        s.validate("candidates.r", "candidates.c");
        const double e = s == block_shape{1, 1} ? unstructured : retained(s);
        if (e < energy_budget * unstructured && s != block_shape{1, 1}) continue;
        const double speedup = predicted_efficiency(s) / density;
        if (!found || speedup > best.predicted_speedup) best = block_choice{s, e, speedup};
        found = true;
    }
    if (!found) {  // no candidate met the budget and 1x1 was not offered: the first one
        const block_shape s = candidates.front();
        best = block_choice{s, retained(s), predicted_efficiency(s) / density};
    }
    return best;
}

} // namespace block
} // namespace finegrain
