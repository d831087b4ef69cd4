// SPDX-License-Identifier: BSD-3-Clause
// block::conv3x3_punched_plan<float>: a 3x3 convolution (stride 1 or 2, padding 0 or 1) over
// NCHW activations with block-punched weights (block/punched_format.hpp).
//
//   auto w = finegrain::block::pack_punched(pruned /* OIHW */, {8, 4});
//   finegrain::block::conv3x3_punched_plan<float> plan(w, shape, opt);
//   plan.run(input, output);
//
// How: per band of output rows the input rows it reads are copied into plan scratch,
// zero-padded and (stride 2) split into the four row/column phases, so that for every kept
// (channel block, tap) entry the input pixels an output row needs are contiguous. Output pixels
// are then numbered q = y * PW + x over the padded width PW (columns x >= OW are computed and
// dropped), and an entry at tap (i, j) reads input q + offset(i, j): the convolution is the block
// SpMM of block/kernels.hpp with one column unit per entry (its element offset), c = block
// channels, the rows of a block one channel plane apart. The result goes to scratch
// [O][rows*PW] and the valid columns are copied out.
// Bands: when one image's scratch (padded input + output) would exceed ~6 MB, bands of ~1 MB
// (a multiple of the workers, one task each, the SpMM of a band on its worker alone), so the
// scratch stays in cache instead of making three extra DRAM passes (measured on the Zen 3 guest,
// 8x4 blocks at 8x, in-process: vgg_c1_2 (64 x 224 x 224, 26 MB) 1 thread 1.35-1.59x with
// 8-32-row bands, vgg_c2_1 (9.9 MB) 1.25-1.33x, vgg_c3_2 (7.1 MB) 1.11x with 8 rows; vgg_c4_2
// (4.9 MB) lost 6-11 % with bands); else the whole image, its SpMM split over the workers.
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

    /// The padded input rows that `band_rows` output rows read, per phase.
    padded_geometry(const conv2d_shape& s, index_t channel_block, index_t band_rows)
        : stride(s.stride_h), pad(s.pad_h)
    {
        const index_t full_w = s.in_width + 2 * pad;
        pw = (full_w + stride - 1) / stride;
        ph = band_rows + 2 / stride + 1;  // + one row: reads of dropped columns stay inside
        phase_size = detail::checked_mul(pw, ph, "punched scratch plane");
        const index_t phases = stride * stride;
        channel_size = (detail::checked_mul(phase_size, phases, "punched scratch channel") + 15) / 16 * 16;
        channels = (s.in_channels + channel_block - 1) / channel_block * channel_block;
        pixels = (band_rows - 1) * pw + s.out_width();
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
        : shape_(validated(w, shape, opt)), band_rows_(band_rows_for(shape_, opt)),
          bands_((shape_.out_height() + band_rows_ - 1) / band_rows_), geo_(shape_, w.shape().channels, band_rows_),
          pool_(opt.pool), slabs_(bands_ > 1 ? index_t(concurrency_of(pool_)) : 1),
          engine_(w.out_channels(), block_shape{w.shape().filters, w.shape().channels}, w.row_ptr(),
                  entry_offsets(w, geo_).data(), w.values(), geo_.pixels, engine_options(opt, bands_), shape_.in_channels,
                  true),
          in_size_(detail::checked_mul(geo_.channels, geo_.channel_size, "punched input scratch")),
          out_size_(detail::checked_mul(shape_.out_channels, geo_.pixels, "punched output scratch")),
          in_scratch_(detail::checked_mul(in_size_, slabs_, "punched input scratch")),
          out_scratch_(detail::checked_mul(out_size_, slabs_, "punched output scratch"))
    {
        name_ = engine_.name("punched" + std::to_string(w.shape().filters) + "x" + std::to_string(w.shape().channels) +
                             "_conv3x3s" + std::to_string(shape_.stride_h));
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    /// Output rows per band (the output height when the image runs at once).
    index_t band_rows() const noexcept { return band_rows_; }
    simd::arch_id arch() const noexcept { return engine_.arch(); }
    std::size_t bytes() const noexcept { return engine_.bytes() + in_scratch_.bytes() + out_scratch_.bytes(); }

    /// out = act(conv3x3(in) + bias). One call at a time per plan; in and out must not overlap.
    void run(tensor4_view<const float> in, tensor4_view<float> out) const
    {
        detail::require_tensor_dims(in, shape_.input_dims(), "input");
        detail::require_tensor_dims(out, shape_.output_dims(), "output");
        for (index_t b = 0; b < shape_.batch; ++b) {
            if (bands_ == 1) {  // the whole image: copies and SpMM split over the workers
                run_band(in, out, b, 0, 0, pool_);
                continue;
            }
            parallel_for(pool_, std::size_t(bands_), [&](std::size_t band, std::size_t worker) {
                run_band(in, out, b, index_t(band), index_t(worker), nullptr);
            });
        }
    }

private:
    static conv2d_shape validated(const punched_conv3x3& w, const conv2d_shape& s, const spmm_options& opt)
    {
        s.validate();
        detail::require(opt.band_rows >= 0, "options.band_rows", opt.band_rows, "must be >= 0");
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

    // Output rows per band (see "Bands" atop this file): the whole image while its scratch
    // stays within ~6 MB, else ~1 MB bands whose count is a multiple of the workers.
    static index_t band_rows_for(const conv2d_shape& s, const spmm_options& opt)
    {
        const index_t oh = s.out_height();
        if (opt.band_rows > 0) return std::min(opt.band_rows, oh);
        const index_t pw = (s.in_width + 2 * s.pad_w + s.stride_w - 1) / s.stride_w;
        const index_t row_bytes = (s.in_channels * s.stride_h * s.stride_w + s.out_channels) * pw * index_t(sizeof(float));
        if (oh * row_bytes <= (index_t(6) << 20)) return oh;
        const index_t workers = static_cast<index_t>(concurrency_of(opt.pool));
        const index_t rows = std::max<index_t>(2, (index_t(1) << 20) / row_bytes);
        const index_t bands = std::min(oh, ((oh + rows - 1) / rows + workers - 1) / workers * workers);
        return (oh + bands - 1) / bands;
    }
    // Banded plans run one SpMM per band on the band's worker.
    static spmm_options engine_options(spmm_options opt, index_t bands)
    {
        if (bands > 1) opt.pool = nullptr;
        return opt;
    }

    // Band `band` of image b on scratch slab `slab`: copy its input rows, the SpMM, then its
    // output rows to NCHW (copies split over `pool`). The last band ends at the last row
    // (recomputing rows of the band before, which it does not write).
    void run_band(const tensor4_view<const float>& in, const tensor4_view<float>& out, index_t b, index_t band, index_t slab,
                  executor* pool) const
    {
        const index_t oh = shape_.out_height(), ow = shape_.out_width();
        const index_t y0 = band * band_rows_, y1 = std::min(oh, y0 + band_rows_), first = std::min(y0, oh - band_rows_);
        float* x = in_scratch_.data() + slab * in_size_;
        float* y = out_scratch_.data() + slab * out_size_;
        fill_band(in, b, first, x, pool);
        engine_.run(x, 1, geo_.channel_size, std::numeric_limits<index_t>::max() / 32, y, geo_.pixels);
        parallel_for(pool, std::size_t(shape_.out_channels), [&](std::size_t o, std::size_t) {
            const float* src = y + index_t(o) * geo_.pixels;
            for (index_t r = y0; r < y1; ++r)
                std::memcpy(out.plane(b, index_t(o)) + r * out.stride_h(), src + (r - first) * geo_.pw,
                            sizeof(float) * std::size_t(ow));
        });
    }

    // Zero-padded, phase-split copy of the padded rows that output rows [y0, y0 + band_rows_) of
    // image b read: padded pixel (Y, X) of channel ch goes to phase (Y % s, X % s) at
    // (Y / s - y0, X / s). Padding rows are zeroed here (the scratch is reused by every band);
    // padding columns and the slack row stay zero from construction.
    void fill_band(const tensor4_view<const float>& in, index_t b, index_t y0, float* scratch, executor* pool) const
    {
        const index_t s = geo_.stride, pad = geo_.pad, rows = geo_.ph - 1;
        parallel_for(pool, std::size_t(shape_.in_channels), [&](std::size_t ch, std::size_t) {
            float* dst = scratch + index_t(ch) * geo_.channel_size;
            for (index_t r = 0; r < rows; ++r)
                for (index_t phase_y = 0; phase_y < s; ++phase_y) {
                    const index_t y = s * (y0 + r) + phase_y - pad;  // input row
                    const bool inside = y >= 0 && y < shape_.in_height;
                    const float* src = inside ? in.plane(b, index_t(ch)) + y * in.stride_h() : nullptr;
                    if (s == 1) {
                        float* row = dst + r * geo_.pw;
                        if (inside)
                            std::memcpy(row + pad, src, sizeof(float) * std::size_t(shape_.in_width));
                        else
                            std::memset(row, 0, sizeof(float) * std::size_t(geo_.pw));
                        continue;
                    }
                    for (index_t phase_x = 0; phase_x < 2; ++phase_x) {
                        float* row = dst + (phase_y * 2 + phase_x) * geo_.phase_size + r * geo_.pw;
                        if (!inside) {
                            std::memset(row, 0, sizeof(float) * std::size_t(geo_.pw));
                            continue;
                        }
                        for (index_t px = phase_x; px < shape_.in_width + 2 * pad; px += 2) {
                            const index_t x = px - pad;
                            if (x >= 0 && x < shape_.in_width) row[px / 2] = src[x];
                        }
                    }
                }
        });
    }

    conv2d_shape shape_;
    index_t band_rows_, bands_;
    punched_detail::padded_geometry geo_;
    executor* pool_;
    index_t slabs_;  // scratch slabs: one per worker when banded
    spmm_engine engine_;
    index_t in_size_, out_size_;  // floats per slab
    mutable aligned_buffer<float> in_scratch_, out_scratch_;
    std::string name_;
};

} // namespace block
} // namespace finegrain
