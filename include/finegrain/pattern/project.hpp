// SPDX-License-Identifier: BSD-3-Clause
// pattern::project: Euclidean projection of dense OIHW 3x3 weights onto the pattern-sparse set.
//
//   auto p = finegrain::pattern::project(dense, pattern_set::patdnn4(), /*connectivity*/ 0.5, /*group*/ 16);
//   // p.weights: projected OIHW weights; p.compression, p.retained_energy: what it cost
//
// Step 1 (patterns): output channels are split into groups of `group` consecutive filters
// (the last group may be smaller). For every (group, input channel) unit, the pattern that keeps
// the most L2 energy summed over the group's kernels is chosen; every kernel of the unit keeps
// exactly that pattern's entries. group = 1 is PatDNN's independent per-kernel choice.
// Step 2 (connectivity): units are ranked by their retained energy and the weakest are removed
// (lowest energy per kernel first, ties by position) until at most round(connectivity * kernels)
// kernels remain, per layer or per filter group. A removed unit zeroes all its kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/pattern/pattern_set.hpp"

namespace finegrain {
namespace pattern {

/// Where the kept-kernel ratio applies.
enum class connectivity_scope { layer, filter };

struct projection {
    std::vector<float> weights;  // OIHW, same extents as the input
    index_t kept_kernels = 0;    // kernels that keep a pattern (the others are zero)
    index_t total_kernels = 0;   // out_channels * in_channels
    /// Dense weight count over kept pattern entries: 9 * total / (k * kept); inf when nothing is kept.
    double compression = 0;
    /// ||projected||^2 / ||dense||^2 (1 for all-zero dense weights).
    double retained_energy = 1;
};

inline projection project(tensor4_view<const float> dense, const pattern_set& set, double connectivity = 1.0,
                          index_t group = 1, connectivity_scope scope = connectivity_scope::layer)
{
    detail::require(!dense.empty() && dense.h() == 3 && dense.w() == 3, "dense", dense.h(), "must be OIHW with 3x3 kernels");
    detail::require(!set.empty(), "pattern_set", "empty", "must hold at least one pattern");
    detail::require(connectivity >= 0.0 && connectivity <= 1.0, "connectivity", connectivity, "must be in [0, 1]");
    detail::require(group >= 1, "group", group, "must be >= 1");
    const index_t co = dense.n(), ci = dense.c();
    const index_t groups = (co + group - 1) / group;
    const index_t units = groups * ci;

    // Pattern choice and retained energy per (group, channel) unit.
    std::vector<int> best(static_cast<std::size_t>(units), 0);
    std::vector<double> score(static_cast<std::size_t>(units), 0.0);
    double total_energy = 0;
    for (index_t g = 0; g < groups; ++g)
        for (index_t c = 0; c < ci; ++c) {
            double e[9] = {};
            for (index_t o = g * group; o < std::min(co, (g + 1) * group); ++o)
                for (int p = 0; p < 9; ++p) {
                    const double w = dense(o, c, p / 3, p % 3);
                    e[p] += w * w;
                }
            for (double x : e) total_energy += x;
            double top = -1;
            int arg = 0;
            for (int id = 0; id < set.size(); ++id) {
                double s = 0;
                for (int p = 0; p < 9; ++p)
                    if ((set.mask(id) >> p) & 1) s += e[p];
                if (s > top) {
                    top = s;
                    arg = id;
                }
            }
            best[static_cast<std::size_t>(g * ci + c)] = arg;
            score[static_cast<std::size_t>(g * ci + c)] = top;
        }

    // Connectivity: keep the strongest units (by energy per kernel; the last group may be
    // smaller) while the kept kernels stay within round(connectivity * kernels).
    std::vector<char> keep(static_cast<std::size_t>(units), 0);
    auto group_size = [&](index_t u) { return std::min(co, (u / ci + 1) * group) - (u / ci) * group; };
    auto keep_top = [&](index_t first, index_t count) {
        std::vector<index_t> idx(static_cast<std::size_t>(count));
        std::iota(idx.begin(), idx.end(), first);
        std::stable_sort(idx.begin(), idx.end(), [&](index_t a, index_t b) {
            return score[static_cast<std::size_t>(a)] / double(group_size(a)) >
                   score[static_cast<std::size_t>(b)] / double(group_size(b));
        });
        index_t kernels = 0;
        for (index_t u : idx) kernels += group_size(u);
        const auto target = static_cast<index_t>(std::llround(connectivity * double(kernels)));
        index_t kept = 0;
        for (index_t u : idx)
            if (kept + group_size(u) <= target) {
                keep[static_cast<std::size_t>(u)] = 1;
                kept += group_size(u);
            }
    };
    if (scope == connectivity_scope::layer)
        keep_top(0, units);
    else
        for (index_t g = 0; g < groups; ++g) keep_top(g * ci, ci);
    projection r;
    r.weights.assign(static_cast<std::size_t>(co * ci * 9), 0.0f);
    r.total_kernels = co * ci;
    double kept_energy = 0;
    for (index_t o = 0; o < co; ++o)
        for (index_t c = 0; c < ci; ++c) {
            const auto u = static_cast<std::size_t>((o / group) * ci + c);
            if (!keep[u]) continue;
            ++r.kept_kernels;
            const mask_t m = set.mask(best[u]);
            for (int p = 0; p < 9; ++p)
                if ((m >> p) & 1) {
                    const float w = dense(o, c, p / 3, p % 3);
                    r.weights[static_cast<std::size_t>((o * ci + c) * 9 + p)] = w;
                    kept_energy += double(w) * double(w);
                }
        }
    r.compression = r.kept_kernels > 0 ? 9.0 * double(r.total_kernels) / (double(set.k()) * double(r.kept_kernels))
                                       : std::numeric_limits<double>::infinity();
    r.retained_energy = total_energy > 0 ? kept_energy / total_energy : 1.0;
    return r;
}

/// The kept-kernel ratio that gives `compression` with k-entry patterns: 9 / (k * compression).
inline double connectivity_for(double compression, int k = 4)
{
    detail::require(compression >= 9.0 / k, "compression", compression, "must be >= 9/k (patterns alone)");
    return 9.0 / (double(k) * compression);
}

} // namespace pattern
} // namespace finegrain
