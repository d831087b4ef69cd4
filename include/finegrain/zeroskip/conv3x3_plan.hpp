// SPDX-License-Identifier: BSD-3-Clause
// zeroskip::conv3x3_plan<float>: a 3x3 convolution (any stride, pad 0..2) that skips zero
// input pixels, in scatter form (conv3x3_kernels::scatter).
//
//   finegrain::zeroskip::conv3x3_plan<float> plan(weights /* OIHW, 3x3 */, shape, opt);
//   plan.run(input /* NCHW, ReLU output */, output /* NCHW */);
//
// Per image: the non-zero input values are listed per pixel (two channel-major passes), the
// output channels are split over the workers, each scatters every listed value into its
// channels of a pixel-major accumulator, then writes act(acc + bias) back as NCHW. The work
// falls with the zero fraction; at 0 % zeros a dense conv (im2col + GEMM) is faster.
// run() allocates nothing.
#pragma once

#include <cstring>
#include <string>

#include "finegrain/core/activation.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/simd/dispatch.hpp"
#include "finegrain/zeroskip/conv3x3_kernels.hpp"
#include "finegrain/zeroskip/options.hpp"
#include "finegrain/zeroskip/row_engine.hpp"

namespace finegrain {
namespace zeroskip {

template <class T>
class conv3x3_plan;

template <>
class conv3x3_plan<float> {
public:
    conv3x3_plan(tensor4_view<const float> weights, const conv2d_shape& shape, const gemm_options& opt = {})
        : shape_(shape), act_(opt.act), pool_(opt.pool)
    {
        shape_.validate();
        finegrain::detail::require(shape_.kernel_h == 3 && shape_.kernel_w == 3, "shape.kernel", shape_.kernel_h, "must be 3x3");
        finegrain::detail::require(shape_.stride_h == shape_.stride_w, "shape.stride_w", shape_.stride_w, "must equal stride_h");
        finegrain::detail::require(shape_.pad_h == shape_.pad_w, "shape.pad_w", shape_.pad_w, "must equal pad_h");
        finegrain::detail::require_tensor_dims(weights, shape_.weight_dims(), "weights");
        const index_t n = shape_.out_channels, c = shape_.in_channels;
        split_.plan(n, static_cast<index_t>(concurrency_of(pool_)));
        ld_ = split_.padded;
        w_ = aligned_buffer<float>(finegrain::detail::checked_mul(c * 9, ld_, "weights size"));
        for (index_t o = 0; o < n; ++o)
            for (index_t ch = 0; ch < c; ++ch)
                for (index_t t = 0; t < 9; ++t) w_[(ch * 9 + t) * ld_ + o] = weights(o, ch, t / 3, t % 3);
        bias_ = aligned_buffer<float>(ld_);
        if (opt.bias) std::memcpy(bias_.data(), opt.bias, sizeof(float) * std::size_t(n));
        const index_t in_px = shape_.in_height * shape_.in_width, out_px = shape_.out_height() * shape_.out_width();
        pix_end_ = aligned_buffer<index_t>(in_px);
        chan_ = aligned_buffer<std::int32_t>(c * in_px);
        val_ = aligned_buffer<float>(c * in_px);
        acc_ = aligned_buffer<float>(finegrain::detail::checked_mul(out_px, ld_, "accumulators"));
        index_t v = 1;
        arch_ = simd::with_best_arch([&](auto arch) {
            using A = decltype(arch);
            kernel_ = &conv3x3_kernels<A>::scatter;
            v = static_cast<index_t>(simd::lanes_of<float, A>());
        });
        name_ = "f32_conv3x3_zeroskip_";
        if (act_ != activation::none) name_ += std::string(to_string(act_)) + "_";
        name_ += "8x" + std::to_string(v) + "__" + simd::to_string(arch_);
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }
    /// Non-zero input values of the last image run() processed.
    index_t nonzeros() const noexcept { return nonzeros_; }

    void run(tensor4_view<const float> in, tensor4_view<float> out) const
    {
        finegrain::detail::require_tensor_dims(in, shape_.input_dims(), "input");
        finegrain::detail::require_tensor_dims(out, shape_.output_dims(), "output");
        const clamp_bounds cb = bounds_of(act_);
        const index_t h = shape_.in_height, w = shape_.in_width, oh = shape_.out_height(), ow = shape_.out_width();
        for (index_t b = 0; b < shape_.batch; ++b) {
            list_nonzeros(in, b);
            parallel_for(pool_, static_cast<std::size_t>(split_.tasks), [&](std::size_t t, std::size_t) {
                const index_t c0 = split_.begin(static_cast<index_t>(t)), c1 = split_.end(static_cast<index_t>(t));
                for (index_t p = 0; p < oh * ow; ++p) std::memcpy(acc_.data() + p * ld_ + c0, bias_.data() + c0, sizeof(float) * std::size_t(c1 - c0));
                scatter_args a;
                a.pix_end = pix_end_.data();
                a.chan = chan_.data();
                a.val = val_.data();
                a.in_h = h;
                a.in_w = w;
                a.out_h = oh;
                a.out_w = ow;
                a.stride = shape_.stride_h;
                a.pad = shape_.pad_h;
                a.w = w_.data();
                a.ldw = ld_;
                a.out = acc_.data();
                a.ldo = ld_;
                a.col_begin = c0;
                a.col_end = c1;
                kernel_(a);
                const index_t o1 = std::min(c1, shape_.out_channels);
                for (index_t o = c0; o < o1; ++o)
                    for (index_t y = 0; y < oh; ++y) {
                        float* dst = &out(b, o, y, 0);
                        const float* src = acc_.data() + y * ow * ld_ + o;
                        for (index_t x = 0; x < ow; ++x) {
                            float v = src[x * ld_];
                            v = v < cb.lo ? cb.lo : v;
                            dst[x] = v > cb.hi ? cb.hi : v;
                        }
                    }
            });
        }
    }

private:
    // CSR by pixel of the non-zero inputs of image b, built in two channel-major passes.
    void list_nonzeros(const tensor4_view<const float>& in, index_t b) const
    {
        const index_t h = shape_.in_height, w = shape_.in_width, px = h * w;
        index_t* end = pix_end_.data();
        std::memset(end, 0, sizeof(index_t) * std::size_t(px));
        for (index_t c = 0; c < shape_.in_channels; ++c)
            for (index_t y = 0; y < h; ++y) {
                const float* row = in.plane(b, c) + y * in.stride_h();
                for (index_t x = 0; x < w; ++x) end[y * w + x] += row[x] != 0.0f ? 1 : 0;
            }
        index_t total = 0;
        for (index_t p = 0; p < px; ++p) {  // end[p] = start of pixel p for the fill pass
            const index_t cnt = end[p];
            end[p] = total;
            total += cnt;
        }
        nonzeros_ = total;
        for (index_t c = 0; c < shape_.in_channels; ++c)
            for (index_t y = 0; y < h; ++y) {
                const float* row = in.plane(b, c) + y * in.stride_h();
                for (index_t x = 0; x < w; ++x)
                    if (row[x] != 0.0f) {
                        const index_t e = end[y * w + x]++;
                        chan_[e] = static_cast<std::int32_t>(c);
                        val_[e] = row[x];
                    }
            }
    }

    conv2d_shape shape_;
    activation act_;
    executor* pool_;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*kernel_)(const scatter_args&) noexcept = nullptr;
    detail::column_split split_;
    index_t ld_ = 0;
    aligned_buffer<float> w_, bias_;
    mutable aligned_buffer<index_t> pix_end_;
    mutable aligned_buffer<std::int32_t> chan_;
    mutable aligned_buffer<float> val_, acc_;
    mutable index_t nonzeros_ = 0;
    std::string name_;
};

} // namespace zeroskip
} // namespace finegrain
