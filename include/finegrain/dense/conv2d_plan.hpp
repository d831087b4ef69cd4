// SPDX-License-Identifier: BSD-3-Clause
// dense::conv2d_plan<float>: NCHW convolution lowered to im2col + the dense GEMM plan.
// The in-house dense baseline every sparse conv is also measured against (oneDNN's direct
// conv is the other, faster one).
//
//   finegrain::dense::conv2d_plan<float> plan(weights /* OIHW */, shape, opt);
//   plan.run(input /* NCHW */, output /* NCHW */);
//
// Per image: im2col writes the K x P patch matrix (K = C_in*kh*kw rows in (c, i, j) order,
// P = OH*OW columns) into plan-owned scratch, split over input channels through
// parallel_for; then the GEMM plan computes out[o][p] = act(bias[o] + W[o][:] . patch[:][p]).
// A 1x1, stride-1, unpadded conv skips im2col: the input planes are the GEMM's B.
// run() allocates nothing. Timing includes im2col, as any honest comparison must.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/dense/gemm_plan.hpp"

namespace finegrain {
namespace dense {

struct conv2d_options {
    const float* bias = nullptr;  // out_channels values, or null
    activation act = activation::none;
    executor* pool = nullptr;
};

template <class T>
class conv2d_plan;

template <>
class conv2d_plan<float> {
public:
    conv2d_plan(tensor4_view<const float> weights, const conv2d_shape& shape, const conv2d_options& opt = {})
        : shape_(validated(shape)), pool_(opt.pool), gemm_(weight_matrix(weights, shape_), pixels(shape_), gemm_opts(opt))
    {
        direct_ = shape_.kernel_h == 1 && shape_.kernel_w == 1 && shape_.stride_h == 1 && shape_.stride_w == 1 &&
                  shape_.pad_h == 0 && shape_.pad_w == 0;
        if (!direct_) patches_ = aligned_buffer<float>(detail::checked_mul(shape_.taps(), pixels(shape_), "im2col"));
        out_scratch_ = aligned_buffer<float>(detail::checked_mul(shape_.out_channels, pixels(shape_), "output"));
        in_scratch_ = aligned_buffer<float>(direct_ ? detail::checked_mul(shape_.in_channels, pixels(shape_), "input") : 0);
        name_ = std::string(direct_ ? "" : "im2col+") + gemm_.kernel_name();
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    std::size_t bytes() const noexcept
    {
        return gemm_.bytes() + patches_.bytes() + out_scratch_.bytes() + in_scratch_.bytes();
    }

    /// out = act(conv(in) + bias). One call at a time per plan (it owns the scratch).
    void run(tensor4_view<const float> in, tensor4_view<float> out) const
    {
        detail::require_tensor_dims(in, shape_.input_dims(), "input");
        detail::require_tensor_dims(out, shape_.output_dims(), "output");
        const index_t p = pixels(shape_);
        const bool dense_out = out.stride_h() == out.w();
        for (index_t b = 0; b < shape_.batch; ++b) {
            float* c = dense_out ? out.plane(b, 0) : out_scratch_.data();
            const index_t ldc = dense_out ? out.stride_c() : p;
            if (direct_) {
                const float* src = in.plane(b, 0);
                index_t ldb = in.stride_c();
                if (in.stride_h() != in.w()) {  // padded rows: gather to dense planes first
                    float* dst = in_scratch_.data();
                    for (index_t ch = 0; ch < shape_.in_channels; ++ch)
                        for (index_t y = 0; y < shape_.in_height; ++y)
                            std::memcpy(dst + ch * p + y * shape_.in_width, in.plane(b, ch) + y * in.stride_h(),
                                        sizeof(float) * static_cast<std::size_t>(shape_.in_width));
                    src = dst;
                    ldb = p;
                }
                gemm_.run_unchecked(src, ldb, c, ldc);
            } else {
                im2col(in, b);
                gemm_.run_unchecked(patches_.data(), p, c, ldc);
            }
            if (!dense_out)
                for (index_t o = 0; o < shape_.out_channels; ++o)
                    for (index_t y = 0; y < out.h(); ++y)
                        std::memcpy(out.plane(b, o) + y * out.stride_h(), c + o * p + y * out.w(),
                                    sizeof(float) * static_cast<std::size_t>(out.w()));
        }
    }

private:
    static const conv2d_shape& validated(const conv2d_shape& s)
    {
        s.validate();
        return s;
    }
    static index_t pixels(const conv2d_shape& s) { return s.out_height() * s.out_width(); }
    static gemm_options gemm_opts(const conv2d_options& o)
    {
        gemm_options g;
        g.bias = o.bias;
        g.act = o.act;
        g.pool = o.pool;
        return g;
    }
    // OIHW weights as the m x k matrix (rows = output channels, k in (c, i, j) order).
    static matrix_view<const float> weight_matrix(const tensor4_view<const float>& w, const conv2d_shape& s)
    {
        detail::require_tensor_dims(w, s.weight_dims(), "weights");
        detail::require(w.contiguous(), "weights", "strided", "must be a contiguous OIHW tensor");
        return matrix_view<const float>(w.data(), s.out_channels, s.taps());
    }

    // patches[(c*kh + i)*kw + j][y*OW + x] = in[b][c][y*sh + i - ph][x*sw + j - pw], or 0 outside.
    void im2col(const tensor4_view<const float>& in, index_t b) const
    {
        const conv2d_shape& s = shape_;
        const index_t oh = s.out_height(), ow = s.out_width(), p = oh * ow;
        float* patches = patches_.data();
        parallel_for(pool_, static_cast<std::size_t>(s.in_channels), [&](std::size_t ch, std::size_t) {
            const float* plane = in.plane(b, static_cast<index_t>(ch));
            for (index_t i = 0; i < s.kernel_h; ++i)
                for (index_t j = 0; j < s.kernel_w; ++j) {
                    float* row = patches + ((static_cast<index_t>(ch) * s.kernel_h + i) * s.kernel_w + j) * p;
                    // Output columns x whose input column x*sw + j - pw lies inside [0, W).
                    const index_t x_lo = std::min(ow, std::max<index_t>(0, (s.pad_w - j + s.stride_w - 1) / s.stride_w));
                    const index_t last = s.in_width - 1 + s.pad_w - j;  // x*sw <= last
                    const index_t x_hi = last < 0 ? x_lo : std::max(x_lo, std::min(ow, last / s.stride_w + 1));
                    for (index_t y = 0; y < oh; ++y) {
                        float* dst = row + y * ow;
                        const index_t iy = y * s.stride_h + i - s.pad_h;
                        if (iy < 0 || iy >= s.in_height) {
                            std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(ow));
                            continue;
                        }
                        const index_t off = iy * in.stride_h() + j - s.pad_w;  // input index of x = 0
                        for (index_t x = 0; x < x_lo; ++x) dst[x] = 0.0f;
                        if (s.stride_w == 1)
                            std::memcpy(dst + x_lo, plane + off + x_lo, sizeof(float) * static_cast<std::size_t>(x_hi - x_lo));
                        else
                            for (index_t x = x_lo; x < x_hi; ++x) dst[x] = plane[off + x * s.stride_w];
                        for (index_t x = x_hi; x < ow; ++x) dst[x] = 0.0f;
                    }
                }
        });
    }

    conv2d_shape shape_;
    executor* pool_;
    gemm_plan<float> gemm_;
    bool direct_ = false;
    mutable aligned_buffer<float> patches_, out_scratch_, in_scratch_;  // run() scratch
    std::string name_;
};

} // namespace dense
} // namespace finegrain
