// SPDX-License-Identifier: BSD-3-Clause
// pattern::packed_weights: pattern-sparse 3x3 conv weights in FKW (filter-kernel-weight) form.
//
//   auto packed = finegrain::pattern::pack(dense /* OIHW, 3x3 */, pattern_set::patdnn4());
//   packed.to_dense(out);             // exact round trip
//   packed.memory().ratio();           // packed bytes / dense fp32 bytes
//
// Arrays (nk = kept kernels, k = entries per pattern):
//   reorder[Cout]    FKR: stored filter i is original output channel reorder[i]. Filters are
//                    sorted by kept-kernel count (descending), then by pattern mix, stably.
//   inverse[Cout]    inverse[o] = stored position of output channel o.
//   offset[Cout+1]   stored filter i owns kernels [offset[i], offset[i+1]).
//   pattern[nk]      pattern id per kernel; non-decreasing inside a filter (kernels grouped by pattern).
//   channel[nk]      input channel per kernel; strictly increasing inside a (filter, pattern) run.
//   weight[nk * k]   the k entries of each kernel in its pattern's ascending position order.
// plus the pattern table (the pattern_set). A kernel is kept when any of its weights is non-zero;
// its support must lie inside a library pattern (a kept entry may itself be zero).
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/pattern/pattern_set.hpp"

namespace finegrain {
namespace pattern {

/// Raw FKW arrays, as produced by pack() or read from storage (see the header comment).
struct fkw_arrays {
    index_t out_channels = 0, in_channels = 0;
    std::vector<std::int32_t> reorder, offset;
    std::vector<std::uint8_t> pattern;
    std::vector<std::uint16_t> channel;
    std::vector<float> weight;
};

struct memory_report {
    std::size_t packed_bytes = 0;  // every FKW array and the pattern table
    std::size_t dense_bytes = 0;   // Cout * Cin * 9 fp32 weights
    double ratio() const { return dense_bytes ? double(packed_bytes) / double(dense_bytes) : 0.0; }
};

class packed_weights {
public:
    static constexpr index_t max_in_channels = 65536;  // channel indices are 16-bit

    packed_weights() = default;

    /// Validates every array (throws finegrain::error naming the array, the index and the value).
    packed_weights(pattern_set patterns, fkw_arrays a) : patterns_(std::move(patterns)), a_(std::move(a))
    {
        validate();
        inverse_.assign(a_.reorder.size(), 0);
        for (std::size_t i = 0; i < a_.reorder.size(); ++i) inverse_[static_cast<std::size_t>(a_.reorder[i])] = static_cast<std::int32_t>(i);
    }

    index_t out_channels() const noexcept { return a_.out_channels; }
    index_t in_channels() const noexcept { return a_.in_channels; }
    const pattern_set& patterns() const noexcept { return patterns_; }
    int k() const noexcept { return patterns_.k(); }
    index_t kernels() const noexcept { return static_cast<index_t>(a_.channel.size()); }
    const fkw_arrays& arrays() const noexcept { return a_; }
    const std::vector<std::int32_t>& reorder() const noexcept { return a_.reorder; }
    const std::vector<std::int32_t>& inverse() const noexcept { return inverse_; }
    const std::vector<std::int32_t>& offset() const noexcept { return a_.offset; }
    const std::vector<std::uint8_t>& pattern() const noexcept { return a_.pattern; }
    const std::vector<std::uint16_t>& channel() const noexcept { return a_.channel; }
    const std::vector<float>& weight() const noexcept { return a_.weight; }
    /// Kept kernels over all kernels.
    double density() const { return double(kernels()) / (double(a_.out_channels) * double(a_.in_channels)); }

    /// Writes the dense OIHW weights (zeros where no kernel is kept).
    void to_dense(tensor4_view<float> out) const
    {
        detail::require(!out.empty() && out.n() == a_.out_channels && out.c() == a_.in_channels && out.h() == 3 &&
                            out.w() == 3,
                        "to_dense.out", out.n(), "must be Cout x Cin x 3 x 3");
        for (index_t o = 0; o < out.n(); ++o)
            for (index_t c = 0; c < out.c(); ++c)
                for (index_t p = 0; p < 9; ++p) out(o, c, p / 3, p % 3) = 0.0f;
        const int k = patterns_.k();
        int taps[9];
        for (index_t i = 0; i < a_.out_channels; ++i)
            for (index_t j = a_.offset[static_cast<std::size_t>(i)]; j < a_.offset[static_cast<std::size_t>(i) + 1]; ++j) {
                patterns_.taps(a_.pattern[static_cast<std::size_t>(j)], taps);
                for (int t = 0; t < k; ++t)
                    out(a_.reorder[static_cast<std::size_t>(i)], a_.channel[static_cast<std::size_t>(j)], taps[t] / 3,
                        taps[t] % 3) = a_.weight[static_cast<std::size_t>(j * k + t)];
            }
    }
    std::vector<float> to_dense() const
    {
        std::vector<float> w(static_cast<std::size_t>(a_.out_channels * a_.in_channels * 9));
        to_dense(tensor4_view<float>(w.data(), {a_.out_channels, a_.in_channels, 3, 3}));
        return w;
    }

    memory_report memory() const
    {
        memory_report m;
        m.packed_bytes = sizeof(std::int32_t) * (a_.reorder.size() + inverse_.size() + a_.offset.size()) +
                         sizeof(std::uint8_t) * a_.pattern.size() + sizeof(std::uint16_t) * a_.channel.size() +
                         sizeof(float) * a_.weight.size() + sizeof(mask_t) * patterns_.masks().size();
        m.dense_bytes = sizeof(float) * static_cast<std::size_t>(a_.out_channels * a_.in_channels * 9);
        return m;
    }

private:
    void validate() const
    {
        detail::require(!patterns_.empty(), "pattern_set", "empty", "must hold at least one pattern");
        detail::require_positive(a_.out_channels, "fkw.out_channels");
        detail::require_positive(a_.in_channels, "fkw.in_channels");
        detail::require(a_.in_channels <= max_in_channels, "fkw.in_channels", a_.in_channels, "must be <= 65536");
        const auto co = static_cast<std::size_t>(a_.out_channels);
        detail::require(a_.reorder.size() == co, "fkw.reorder.size", a_.reorder.size(), "must equal out_channels");
        std::vector<char> seen(co, 0);
        for (std::size_t i = 0; i < co; ++i) {
            const std::int32_t o = a_.reorder[i];
            detail::require(o >= 0 && static_cast<std::size_t>(o) < co && !seen[static_cast<std::size_t>(o)],
                            at("fkw.reorder", i).c_str(), o, "must be a permutation of the output channels");
            seen[static_cast<std::size_t>(o)] = 1;
        }
        detail::require(a_.offset.size() == co + 1, "fkw.offset.size", a_.offset.size(), "must equal out_channels + 1");
        detail::require(a_.offset[0] == 0, "fkw.offset[0]", a_.offset[0], "must be 0");
        for (std::size_t i = 0; i < co; ++i)
            detail::require(a_.offset[i + 1] >= a_.offset[i], at("fkw.offset", i + 1).c_str(), a_.offset[i + 1],
                            "offsets must be non-decreasing");
        const auto nk = static_cast<std::size_t>(a_.offset[co]);
        detail::require(a_.pattern.size() == nk, "fkw.pattern.size", a_.pattern.size(), "must equal offset[out_channels]");
        detail::require(a_.channel.size() == nk, "fkw.channel.size", a_.channel.size(), "must equal offset[out_channels]");
        detail::require(a_.weight.size() == nk * static_cast<std::size_t>(patterns_.k()), "fkw.weight.size",
                        a_.weight.size(), "must equal kernels * k");
        std::vector<index_t> last_use(static_cast<std::size_t>(a_.in_channels), -1);
        for (std::size_t i = 0; i < co; ++i)
            for (auto j = static_cast<std::size_t>(a_.offset[i]); j < static_cast<std::size_t>(a_.offset[i + 1]); ++j) {
                detail::require(a_.pattern[j] < patterns_.size(), at("fkw.pattern", j).c_str(), int(a_.pattern[j]),
                                "pattern id out of range");
                detail::require(a_.channel[j] < a_.in_channels, at("fkw.channel", j).c_str(), a_.channel[j],
                                "channel index out of range");
                if (j > static_cast<std::size_t>(a_.offset[i])) {
                    detail::require(a_.pattern[j] >= a_.pattern[j - 1], at("fkw.pattern", j).c_str(), int(a_.pattern[j]),
                                    "kernels of a filter must be grouped by pattern id (non-decreasing)");
                    detail::require(a_.pattern[j] != a_.pattern[j - 1] || a_.channel[j] > a_.channel[j - 1],
                                    at("fkw.channel", j).c_str(), a_.channel[j],
                                    "channels must increase inside a (filter, pattern) run");
                }
                index_t& use = last_use[a_.channel[j]];
                detail::require(use != static_cast<index_t>(i), at("fkw.channel", j).c_str(), a_.channel[j],
                                "a filter may keep each input channel at most once");
                use = static_cast<index_t>(i);
            }
    }
    static std::string at(const char* name, std::size_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

    pattern_set patterns_;
    fkw_arrays a_;
    std::vector<std::int32_t> inverse_;
};

/// Packs dense OIHW 3x3 weights. Every non-zero kernel's support must lie inside a pattern of
/// `set` (the exact pattern is preferred, else the lowest id containing it); otherwise throws
/// finegrain::error naming the filter, the channel and the mask.
inline packed_weights pack(tensor4_view<const float> dense, const pattern_set& set)
{
    detail::require(!dense.empty() && dense.h() == 3 && dense.w() == 3, "dense", dense.h(), "must be OIHW with 3x3 kernels");
    detail::require(!set.empty(), "pattern_set", "empty", "must hold at least one pattern");
    detail::require(dense.c() <= packed_weights::max_in_channels, "dense.in_channels", dense.c(), "must be <= 65536");
    const index_t co = dense.n(), ci = dense.c();
    const int k = set.k(), np = set.size();

    // Per original filter: kept (channel, pattern) pairs, and the pattern histogram for FKR.
    std::vector<std::vector<std::pair<int, index_t>>> kept(static_cast<std::size_t>(co));
    std::vector<std::vector<index_t>> mix(static_cast<std::size_t>(co), std::vector<index_t>(static_cast<std::size_t>(np), 0));
    for (index_t o = 0; o < co; ++o)
        for (index_t c = 0; c < ci; ++c) {
            mask_t support = 0;
            for (int p = 0; p < 9; ++p)
                if (dense(o, c, p / 3, p % 3) != 0.0f) support = static_cast<mask_t>(support | (1u << p));
            if (support == 0) continue;
            int id = set.find(support);
            if (id < 0) id = set.find_containing(support);
            if (id < 0) {
                const std::string where = "dense[filter " + std::to_string(o) + "][channel " + std::to_string(c) + "].mask";
                detail::throw_invalid(where.c_str(), support, "non-zero entries match no pattern of the library");
            }
            kept[static_cast<std::size_t>(o)].emplace_back(id, c);
            ++mix[static_cast<std::size_t>(o)][static_cast<std::size_t>(id)];
        }

    fkw_arrays a;
    a.out_channels = co;
    a.in_channels = ci;
    a.reorder.resize(static_cast<std::size_t>(co));
    std::iota(a.reorder.begin(), a.reorder.end(), 0);
    std::stable_sort(a.reorder.begin(), a.reorder.end(), [&](std::int32_t x, std::int32_t y) {
        const auto &kx = kept[static_cast<std::size_t>(x)], &ky = kept[static_cast<std::size_t>(y)];
        if (kx.size() != ky.size()) return kx.size() > ky.size();
        return mix[static_cast<std::size_t>(x)] > mix[static_cast<std::size_t>(y)];
    });
    a.offset.push_back(0);
    int taps[9];
    for (std::int32_t o : a.reorder) {
        auto& list = kept[static_cast<std::size_t>(o)];
        std::stable_sort(list.begin(), list.end());  // by pattern id, then channel
        for (const auto& pc : list) {
            a.pattern.push_back(static_cast<std::uint8_t>(pc.first));
            a.channel.push_back(static_cast<std::uint16_t>(pc.second));
            set.taps(pc.first, taps);
            for (int t = 0; t < k; ++t) a.weight.push_back(dense(o, pc.second, taps[t] / 3, taps[t] % 3));
        }
        a.offset.push_back(static_cast<std::int32_t>(a.channel.size()));
    }
    return packed_weights(set, std::move(a));
}

} // namespace pattern
} // namespace finegrain
