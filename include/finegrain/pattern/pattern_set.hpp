// SPDX-License-Identifier: BSD-3-Clause
// pattern::pattern_set: the pattern library of a pattern-sparse 3x3 convolution (PatDNN).
//
// A pattern is a 9-bit mask over the 3x3 kernel positions, bit (dy*3 + dx) for row dy and
// column dx (the centre is bit 4). A set holds 1 to 16 distinct patterns that all keep the
// same number k of entries (1 <= k <= 9); pattern ids are indices into the set. A kept kernel
// stores its k weights in ascending position order (taps()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <vector>

#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace pattern {

/// A 9-bit kernel mask: bit p = 3*dy + dx is kept.
using mask_t = std::uint16_t;

/// Number of kept positions of a mask.
inline int popcount9(mask_t m) noexcept
{
    int n = 0;
    for (int p = 0; p < 9; ++p) n += (m >> p) & 1;
    return n;
}

class pattern_set {
public:
    static constexpr int max_patterns = 16;

    pattern_set() = default;

    /// Throws finegrain::error unless there are 1..16 distinct masks in [1, 511] with equal popcount.
    explicit pattern_set(std::vector<mask_t> masks) : masks_(std::move(masks))
    {
        detail::require(!masks_.empty() && masks_.size() <= max_patterns, "pattern_set.size", masks_.size(),
                        "must be 1..16 patterns");
        for (std::size_t i = 0; i < masks_.size(); ++i) {
            detail::require(masks_[i] >= 1 && masks_[i] <= 511, "pattern_set.mask", masks_[i],
                            "must be a non-empty 9-bit mask (1..511)");
            detail::require(popcount9(masks_[i]) == popcount9(masks_[0]), "pattern_set.mask", masks_[i],
                            "every pattern must keep the same number of entries as the first");
            for (std::size_t j = 0; j < i; ++j)
                detail::require(masks_[j] != masks_[i], "pattern_set.mask", masks_[i], "patterns must be distinct");
        }
        k_ = popcount9(masks_[0]);
    }

    /// PatDNN's 4-entry library with the centre kept, the 8 most common shapes: the four 2x2
    /// squares around the centre and the four "T" shapes (centre plus 3 of its 4 neighbours).
    static pattern_set patdnn4()
    {
        const int shapes[8][4] = {{0, 1, 3, 4}, {1, 2, 4, 5}, {3, 4, 6, 7}, {4, 5, 7, 8},
                                  {1, 3, 4, 5}, {3, 4, 5, 7}, {1, 3, 4, 7}, {1, 4, 5, 7}};
        std::vector<mask_t> m;
        for (const auto& s : shapes) m.push_back(mask_of(s[0], s[1], s[2], s[3]));
        return pattern_set(std::move(m));
    }

    /// The (up to) n most frequent masks of each non-zero kernel's k largest magnitudes in
    /// OIHW 3x3 `dense` weights (ties: lower position first; equal counts: smaller mask first).
    /// With keep_centre, every mask keeps the centre plus the k-1 largest of the other 8.
    static pattern_set most_frequent(tensor4_view<const float> dense, int n, int k, bool keep_centre = false)
    {
        detail::require(n >= 1 && n <= max_patterns, "most_frequent.n", n, "must be 1..16");
        detail::require(k >= 1 && k <= 9, "most_frequent.k", k, "must be 1..9");
        detail::require(!dense.empty() && dense.h() == 3 && dense.w() == 3, "dense", dense.h(), "must be OIHW with 3x3 kernels");
        std::vector<index_t> count(512, 0);
        bool any = false;
        for (index_t o = 0; o < dense.n(); ++o)
            for (index_t c = 0; c < dense.c(); ++c) {
                float w[9];
                bool nonzero = false;
                for (int p = 0; p < 9; ++p) {
                    w[p] = dense(o, c, p / 3, p % 3);
                    nonzero = nonzero || w[p] != 0.0f;
                }
                if (!nonzero) continue;
                any = true;
                ++count[top_k_mask(w, k, keep_centre)];
            }
        detail::require(any, "dense", "all zero", "needs a non-zero kernel to derive patterns from");
        std::vector<mask_t> order;
        for (int m = 1; m < 512; ++m)
            if (count[m] > 0) order.push_back(static_cast<mask_t>(m));
        std::stable_sort(order.begin(), order.end(), [&](mask_t a, mask_t b) { return count[a] > count[b]; });
        if (order.size() > static_cast<std::size_t>(n)) order.resize(static_cast<std::size_t>(n));
        return pattern_set(std::move(order));
    }

    /// The mask of the k largest |w| (ties: lower position), optionally forcing the centre.
    static mask_t top_k_mask(const float* w, int k, bool keep_centre = false) noexcept
    {
        mask_t m = keep_centre ? mask_t(1u << 4) : mask_t(0);
        for (int taken = keep_centre ? 1 : 0; taken < k; ++taken) {
            int best = -1;
            for (int p = 0; p < 9; ++p) {
                if ((m >> p) & 1) continue;
                if (best < 0 || std::fabs(w[p]) > std::fabs(w[best])) best = p;
            }
            m = static_cast<mask_t>(m | (1u << best));
        }
        return m;
    }

    int size() const noexcept { return static_cast<int>(masks_.size()); }
    bool empty() const noexcept { return masks_.empty(); }
    /// Entries per pattern.
    int k() const noexcept { return k_; }
    mask_t mask(int id) const noexcept { return masks_[static_cast<std::size_t>(id)]; }
    const std::vector<mask_t>& masks() const noexcept { return masks_; }

    /// The id of `m`, or -1.
    int find(mask_t m) const noexcept
    {
        for (int i = 0; i < size(); ++i)
            if (masks_[static_cast<std::size_t>(i)] == m) return i;
        return -1;
    }
    /// The lowest id whose pattern contains every bit of `support`, or -1.
    int find_containing(mask_t support) const noexcept
    {
        for (int i = 0; i < size(); ++i)
            if ((masks_[static_cast<std::size_t>(i)] & support) == support) return i;
        return -1;
    }
    /// Kernel positions (3*dy + dx) of pattern `id`, ascending; returns k.
    int taps(int id, int* positions) const noexcept
    {
        int n = 0;
        for (int p = 0; p < 9; ++p)
            if ((mask(id) >> p) & 1) positions[n++] = p;
        return n;
    }

private:
    static mask_t mask_of(int a, int b, int c, int d) noexcept
    {
        return static_cast<mask_t>((1u << a) | (1u << b) | (1u << c) | (1u << d));
    }

    std::vector<mask_t> masks_;
    int k_ = 0;
};

} // namespace pattern
} // namespace finegrain
