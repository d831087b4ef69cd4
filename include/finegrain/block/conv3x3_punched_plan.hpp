// SPDX-License-Identifier: BSD-3-Clause
// block::conv3x3_punched_plan<float>: a 3x3 convolution (stride 1 or 2, padding 0 or 1) over
// NCHW activations with block-punched weights (block/punched_format.hpp).
//
//   auto w = finegrain::block::pack_punched(pruned /* OIHW */, {8, 4});
//   finegrain::block::conv3x3_punched_plan<float> plan(w, shape, opt);
//   plan.run(input, output);
//
// How: per image the input is copied once into plan scratch, zero-padded and (stride 2) split
// into the four row/column phases, so that for every kept (channel block, tap) entry the input
// pixels an output row needs are contiguous. Output pixels are then numbered q = y * PW + x over
// the padded width PW (columns x >= OW are computed and dropped), and an entry at tap (i, j) reads
// input q + offset(i, j): the convolution is the block SpMM of block/kernels.hpp with one column
// unit per entry (its element offset), c = block channels, the rows of a block one channel plane
// apart. The result goes to scratch [O][OH*PW] and the valid columns are copied out.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "finegrain/block/punched_format.hpp"
#include "finegrain/block/spmm_engine.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace block {

namespace punched_detail {

/// Geometry of the padded, phase-split input a punched conv reads.
struct padded_geometry {
    index_t stride = 1, pad = 0;
    index_t pw = 0, ph = 0;          // per-phase plane width/height (the q row pitch is pw)
    index_t phase_size = 0;          // floats per phase plane
    index_t channel_size = 0;        // floats per channel (1 or 4 phases + slack), multiple of 16
    index_t channels = 0;            // allocated channels (rounded up to the channel block)
    index_t pixels = 0;              // q range: (OH - 1) * pw + OW

    padded_geometry(const conv2d_shape& s, index_t channel_block)
        : stride(s.stride_h), pad(s.pad_h)
    {
        const index_t full_w = s.in_width + 2 * pad, full_h = s.in_height + 2 * pad;
        pw = (full_w + stride - 1) / stride;
        ph = (full_h + stride - 1) / stride + 1;  // + one zero row: reads of dropped columns stay inside
        phase_size = detail::checked_mul(pw, ph, "punched scratch plane");
        const index_t phases = stride * stride;
        channel_size = (detail::checked_mul(phase_size, phases, "punched scratch channel") + 15) / 16 * 16;
        channels = (s.in_channels + channel_block - 1) / channel_block * channel_block;
        pixels = (s.out_height() - 1) * pw + s.out_width();
    }
    /// Element offset of tap t = 3*i + j relative to output pixel q (inside one channel).
    index_t tap_offset(index_t t) const
    {
        const index_t i = t / 3, j = t % 3;
        const index_t phase = (i % stride) * stride + (j % stride);
        return phase * phase_size + (i / stride) * pw + (j / stride);
    }
};

} // namespace punched_detail

template <class T>
class conv3x3_punched_plan;

template <>
class conv3x3_punched_plan<float> {
public:
    conv3x3_punched_plan(const punched_conv3x3& w, const conv2d_shape& shape, const spmm_options& opt = {})
        : shape_(validated(w, shape)), geo_(shape_, w.shape().channels), pool_(opt.pool),
          engine_(w.out_channels(), block_shape{w.shape().filters, w.shape().channels}, w.row_ptr(),
                  entry_offsets(w, geo_).data(), w.values(), geo_.pixels, opt, shape_.in_channels, true),
          in_scratch_(detail::checked_mul(geo_.channels, geo_.channel_size, "punched input scratch")),
          out_scratch_(detail::checked_mul(shape_.out_channels, geo_.pixels, "punched output scratch"))
    {
        name_ = engine_.name("punched" + std::to_string(w.shape().filters) + "x" + std::to_string(w.shape().channels) +
                             "_conv3x3s" + std::to_string(shape_.stride_h));
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return engine_.arch(); }
    std::size_t bytes() const noexcept { return engine_.bytes() + in_scratch_.bytes() + out_scratch_.bytes(); }

    /// out = act(conv3x3(in) + bias). One call at a time per plan; in and out must not overlap.
    void run(tensor4_view<const float> in, tensor4_view<float> out) const
    {
        detail::require_tensor_dims(in, shape_.input_dims(), "input");
        detail::require_tensor_dims(out, shape_.output_dims(), "output");
        const index_t oh = shape_.out_height(), ow = shape_.out_width();
        for (index_t b = 0; b < shape_.batch; ++b) {
            fill_scratch(in, b);
            engine_.run(in_scratch_.data(), 1, geo_.channel_size, std::numeric_limits<index_t>::max() / 32,
                        out_scratch_.data(), geo_.pixels);
            parallel_for(pool_, std::size_t(shape_.out_channels), [&](std::size_t o, std::size_t) {
                const float* src = out_scratch_.data() + index_t(o) * geo_.pixels;
                for (index_t y = 0; y < oh; ++y)
                    std::memcpy(out.plane(b, index_t(o)) + y * out.stride_h(), src + y * geo_.pw,
                                sizeof(float) * std::size_t(ow));
            });
        }
    }

private:
    static conv2d_shape validated(const punched_conv3x3& w, const conv2d_shape& s)
    {
        s.validate();
        detail::require(s.kernel_h == 3 && s.kernel_w == 3, "shape.kernel_h", s.kernel_h, "must be 3 (3x3 conv)");
        detail::require((s.stride_h == 1 || s.stride_h == 2) && s.stride_w == s.stride_h, "shape.stride_h", s.stride_h,
                        "must be 1 or 2 (and equal to stride_w)");
        detail::require((s.pad_h == 0 || s.pad_h == 1) && s.pad_w == s.pad_h, "shape.pad_h", s.pad_h,
                        "must be 0 or 1 (and equal to pad_w)");
        detail::require(w.out_channels() == s.out_channels, "w.out_channels", w.out_channels(),
                        "must equal shape.out_channels");
        detail::require(w.in_channels() == s.in_channels, "w.in_channels", w.in_channels(), "must equal shape.in_channels");
        return s;
    }

    // One uint32 element offset per entry: channel block start + the tap's shift.
    static std::vector<std::uint32_t> entry_offsets(const punched_conv3x3& w, const punched_detail::padded_geometry& g)
    {
        const index_t total = detail::checked_mul(g.channels, g.channel_size, "punched input scratch");
        detail::require(total <= index_t(std::numeric_limits<std::uint32_t>::max()), "shape.in_channels",
                        w.in_channels(), "padded input must hold < 2^32 floats");
        std::vector<std::uint32_t> off(std::size_t(w.n_entries()) + 1, 0);
        for (index_t e = 0; e < w.n_entries(); ++e) {
            const index_t cb = w.entries()[e] / 9, t = w.entries()[e] % 9;
            off[std::size_t(e)] = std::uint32_t(cb * w.shape().channels * g.channel_size + g.tap_offset(t));
        }
        return off;
    }

    // Zero-padded, phase-split copy of image b: padded pixel (Y, X) of channel ch goes to phase
    // (Y % s, X % s) at (Y / s, X / s). Padding and slack stay zero from construction.
    void fill_scratch(const tensor4_view<const float>& in, index_t b) const
    {
        const index_t s = geo_.stride, pad = geo_.pad;
        parallel_for(pool_, std::size_t(shape_.in_channels), [&](std::size_t ch, std::size_t) {
            float* dst = in_scratch_.data() + index_t(ch) * geo_.channel_size;
            for (index_t y = 0; y < shape_.in_height; ++y) {
                const float* src = in.plane(b, index_t(ch)) + y * in.stride_h();
                const index_t py = y + pad;
                if (s == 1) {
                    std::memcpy(dst + py * geo_.pw + pad, src, sizeof(float) * std::size_t(shape_.in_width));
                    continue;
                }
                for (index_t phase_x = 0; phase_x < 2; ++phase_x) {
                    float* row = dst + ((py % 2) * 2 + phase_x) * geo_.phase_size + (py / 2) * geo_.pw;
                    for (index_t px = phase_x; px < shape_.in_width + 2 * pad; px += 2) {
                        const index_t x = px - pad;
                        if (x >= 0 && x < shape_.in_width) row[px / 2] = src[x];
                    }
                }
            }
        });
    }

    conv2d_shape shape_;
    punched_detail::padded_geometry geo_;
    executor* pool_;
    spmm_engine engine_;
    mutable aligned_buffer<float> in_scratch_, out_scratch_;
    std::string name_;
};

} // namespace block
} // namespace finegrain
