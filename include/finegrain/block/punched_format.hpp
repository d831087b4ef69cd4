// SPDX-License-Identifier: BSD-3-Clause
// block::punched_conv3x3: 3x3 conv weights (OIHW) pruned block-punched: the filters and input
// channels are cut into blocks of `filters` x `channels`, and inside a block the same kernel
// positions (taps, t = 3*i + j of the 3x3 window) are pruned for every filter and channel.
// A block therefore keeps a subset of its 9 taps; each kept (block, tap) is one "entry" of
// filters x channels weights.
//
// Layout (BSR over the im2col matrix whose rows are filters and whose columns are (channel, tap)):
//   row_ptr[filter_blocks + 1]  uint32: entries of filter block f are [row_ptr[f], row_ptr[f+1])
//   entry[n_entries]            uint32: channel_block * 9 + tap, strictly increasing per filter block
//   values[n_entries * filters * channels]  fp32; inside an entry channel-major: weight of
//                               filter i, channel j of the entry at values[e*F*C + j*F + i]
// Edge blocks (when the block does not divide the channel counts) are stored whole with zeros
// outside the tensor. `values` carries value_padding zero floats after the last entry.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "finegrain/block/format.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace block {

/// Block of a punched layout: `filters` output channels x `channels` input channels,
/// each in {1, 2, 4, 8, 16}.
struct punched_shape {
    index_t filters = 8, channels = 4;
    void validate() const
    {
        block_shape{filters, channels}.validate("punched_shape.filters", "punched_shape.channels");
    }
};

class punched_conv3x3 {
public:
    static constexpr index_t taps = 9;
    static constexpr index_t value_padding = bsr_matrix::value_padding;

    punched_conv3x3() = default;

    /// Adopts externally built arrays after validating every field.
    punched_conv3x3(index_t out_channels, index_t in_channels, punched_shape shape,
                    const std::vector<std::uint32_t>& row_ptr, const std::vector<std::uint32_t>& entries,
                    const std::vector<float>& values)
    {
        init_shape(out_channels, in_channels, shape);
        detail::require(index_t(row_ptr.size()) == filter_blocks_ + 1, "punched.row_ptr.size", row_ptr.size(),
                        "must be filter_blocks + 1");
        detail::require(row_ptr.front() == 0, "punched.row_ptr[0]", row_ptr.front(), "must be 0");
        const index_t n = index_t(row_ptr.back());
        detail::require(index_t(entries.size()) == n, "punched.entries.size", entries.size(),
                        "must equal row_ptr[filter_blocks]");
        detail::require(index_t(values.size()) == detail::checked_mul(n, entry_size(), "punched.values.size"),
                        "punched.values.size", values.size(), "must equal entries * filters * channels");
        allocate(n);
        std::memcpy(row_ptr_.data(), row_ptr.data(), row_ptr.size() * sizeof(std::uint32_t));
        if (n > 0) {
            std::memcpy(entries_.data(), entries.data(), entries.size() * sizeof(std::uint32_t));
            std::memcpy(values_.data(), values.data(), values.size() * sizeof(float));
        }
        validate();
    }

    index_t out_channels() const noexcept { return out_channels_; }
    index_t in_channels() const noexcept { return in_channels_; }
    punched_shape shape() const noexcept { return shape_; }
    index_t filter_blocks() const noexcept { return filter_blocks_; }
    index_t channel_blocks() const noexcept { return channel_blocks_; }
    /// Weights per entry: filters x channels.
    index_t entry_size() const noexcept { return shape_.filters * shape_.channels; }
    index_t n_entries() const noexcept { return filter_blocks_ ? index_t(row_ptr_[filter_blocks_]) : 0; }
    /// Kept fraction of the 3x3 weights (1 / compression).
    double density() const noexcept
    {
        return out_channels_ ? double(n_entries() * entry_size()) / (double(out_channels_) * double(in_channels_) * 9.0)
                             : 0.0;
    }
    const std::uint32_t* row_ptr() const noexcept { return row_ptr_.data(); }
    const std::uint32_t* entries() const noexcept { return entries_.data(); }
    const float* values() const noexcept { return values_.data(); }
    std::size_t bytes() const noexcept { return row_ptr_.bytes() + entries_.bytes() + values_.bytes(); }

    /// The dense OIHW (out x in x 3 x 3) weights.
    std::vector<float> to_dense() const
    {
        std::vector<float> d(std::size_t(out_channels_ * in_channels_ * taps), 0.0f);
        if (out_channels_ > 0) to_dense(tensor4_view<float>(d.data(), {out_channels_, in_channels_, 3, 3}));
        return d;
    }
    void to_dense(tensor4_view<float> out) const
    {
        detail::require_tensor_dims(out, tensor4_dims{out_channels_, in_channels_, 3, 3}, "out");
        for (index_t o = 0; o < out_channels_; ++o)
            for (index_t ch = 0; ch < in_channels_; ++ch)
                for (index_t t = 0; t < taps; ++t) out(o, ch, t / 3, t % 3) = 0.0f;
        const index_t nf = shape_.filters, nc = shape_.channels;
        for (index_t fb = 0; fb < filter_blocks_; ++fb)
            for (index_t e = row_ptr_[fb]; e < index_t(row_ptr_[fb + 1]); ++e) {
                const index_t cb = entries_[e] / taps, t = entries_[e] % taps;
                const float* v = values_.data() + e * entry_size();
                for (index_t j = 0; j < nc && cb * nc + j < in_channels_; ++j)
                    for (index_t i = 0; i < nf && fb * nf + i < out_channels_; ++i)
                        out(fb * nf + i, cb * nc + j, t / 3, t % 3) = v[j * nf + i];
            }
    }

    void validate() const
    {
        const index_t n = index_t(row_ptr_[filter_blocks_]);
        detail::require(row_ptr_[0] == 0, "punched.row_ptr[0]", row_ptr_[0], "must be 0");
        const index_t max_entry = channel_blocks_ * taps;
        for (index_t fb = 0; fb < filter_blocks_; ++fb) {
            const index_t e0 = row_ptr_[fb], e1 = row_ptr_[fb + 1];
            detail::require(e1 >= e0 && e1 <= n, "punched.row_ptr", e1, "must be non-decreasing and <= the entry count");
            for (index_t e = e0; e < e1; ++e) {
                const index_t code = entries_[e];
                detail::require(code < max_entry, "punched.entries", code, "must be < channel_blocks * 9");
                detail::require(e == e0 || index_t(entries_[e - 1]) < code, "punched.entries", code,
                                "must be strictly increasing within a filter block");
                const float* v = values_.data() + e * entry_size();
                const index_t cb = code / taps;
                for (index_t j = 0; j < shape_.channels; ++j)
                    for (index_t i = 0; i < shape_.filters; ++i) {
                        const bool outside = fb * shape_.filters + i >= out_channels_ || cb * shape_.channels + j >= in_channels_;
                        const float x = v[j * shape_.filters + i];
                        detail::require(std::isfinite(x), "punched.values", x, "must be finite");
                        detail::require(!outside || x == 0.0f, "punched.values", x, "must be zero outside the tensor (edge block)");
                    }
            }
        }
    }

    punched_conv3x3(punched_conv3x3&&) noexcept = default;
    punched_conv3x3& operator=(punched_conv3x3&&) noexcept = default;

private:
    friend punched_conv3x3 pack_punched(tensor4_view<const float> weights, punched_shape shape);

    void init_shape(index_t out_channels, index_t in_channels, punched_shape shape)
    {
        detail::require_positive(out_channels, "punched.out_channels");
        detail::require_positive(in_channels, "punched.in_channels");
        shape.validate();
        detail::require_addressable(detail::checked_mul(detail::checked_mul(out_channels, in_channels, "punched.size"),
                                                        taps, "punched.size"),
                                    sizeof(float), "punched.size");
        out_channels_ = out_channels;
        in_channels_ = in_channels;
        shape_ = shape;
        filter_blocks_ = (out_channels + shape.filters - 1) / shape.filters;
        channel_blocks_ = (in_channels + shape.channels - 1) / shape.channels;
        detail::require(channel_blocks_ * taps <= index_t(std::numeric_limits<std::uint32_t>::max()),
                        "punched.in_channels", in_channels, "entry codes must fit in uint32");
    }
    void allocate(index_t n)
    {
        detail::require(n <= index_t(std::numeric_limits<std::uint32_t>::max()), "punched.row_ptr[filter_blocks]", n,
                        "entry count must fit in uint32");
        row_ptr_ = aligned_buffer<std::uint32_t>(filter_blocks_ + 1);
        entries_ = aligned_buffer<std::uint32_t>(n);
        values_ = aligned_buffer<float>(detail::checked_mul(n, entry_size(), "punched.values.size"), value_padding);
    }

    index_t out_channels_ = 0, in_channels_ = 0, filter_blocks_ = 0, channel_blocks_ = 0;
    punched_shape shape_{};
    aligned_buffer<std::uint32_t> row_ptr_{1}, entries_;
    aligned_buffer<float> values_;
};

/// Packs OIHW 3x3 weights, keeping every (block, tap) entry that holds a nonzero, so
/// to_dense() gives the weights back exactly. Prune first with block::project_punched.
inline punched_conv3x3 pack_punched(tensor4_view<const float> weights, punched_shape shape)
{
    detail::require(!weights.empty(), "weights", "empty", "must be a tensor");
    detail::require(weights.h() == 3 && weights.w() == 3, "weights.kernel", weights.h(), "must be 3x3 (OIHW)");
    punched_conv3x3 p;
    p.init_shape(weights.n(), weights.c(), shape);
    const index_t nf = shape.filters, nc = shape.channels;
    auto entry_nonzero = [&](index_t fb, index_t cb, index_t t) {
        for (index_t o = fb * nf; o < fb * nf + nf && o < p.out_channels_; ++o)
            for (index_t ch = cb * nc; ch < cb * nc + nc && ch < p.in_channels_; ++ch) {
                const float v = weights(o, ch, t / 3, t % 3);
                detail::require(std::isfinite(v), "weights", v, "weights must be finite");
                if (v != 0.0f) return true;
            }
        return false;
    };
    std::vector<std::uint32_t> row_ptr(std::size_t(p.filter_blocks_ + 1), 0), codes;
    for (index_t fb = 0; fb < p.filter_blocks_; ++fb) {
        for (index_t cb = 0; cb < p.channel_blocks_; ++cb)
            for (index_t t = 0; t < punched_conv3x3::taps; ++t)
                if (entry_nonzero(fb, cb, t)) codes.push_back(std::uint32_t(cb * punched_conv3x3::taps + t));
        detail::require(codes.size() <= std::numeric_limits<std::uint32_t>::max(), "weights", "too many entries",
                        "entry count must fit in uint32");
        row_ptr[std::size_t(fb + 1)] = std::uint32_t(codes.size());
    }
    p.allocate(index_t(codes.size()));
    std::memcpy(p.row_ptr_.data(), row_ptr.data(), row_ptr.size() * sizeof(std::uint32_t));
    if (!codes.empty()) std::memcpy(p.entries_.data(), codes.data(), codes.size() * sizeof(std::uint32_t));
    for (index_t fb = 0; fb < p.filter_blocks_; ++fb)
        for (index_t e = row_ptr[std::size_t(fb)]; e < index_t(row_ptr[std::size_t(fb + 1)]); ++e) {
            const index_t cb = codes[std::size_t(e)] / punched_conv3x3::taps, t = codes[std::size_t(e)] % punched_conv3x3::taps;
            float* v = p.values_.data() + e * p.entry_size();
            for (index_t j = 0; j < nc && cb * nc + j < p.in_channels_; ++j)
                for (index_t i = 0; i < nf && fb * nf + i < p.out_channels_; ++i)
                    v[j * nf + i] = weights(fb * nf + i, cb * nc + j, t / 3, t % 3);
        }
    return p;
}

} // namespace block
} // namespace finegrain
