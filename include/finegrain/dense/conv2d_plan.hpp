// SPDX-License-Identifier: BSD-3-Clause
// dense::conv2d_plan<float>: NCHW convolution lowered to im2col rows + the dense GEMM plan.
// The in-house dense baseline every sparse conv is also measured against (oneDNN's direct
// conv is the other, faster one).
//
//   finegrain::dense::conv2d_plan<float> plan(weights /* OIHW */, shape, opt);
//   plan.run(input /* NCHW */, output /* NCHW */);
//
// Per image the GEMM plan computes out[o][p] = act(bias[o] + W[o][:] . patch[:][p]) over the
// K x P patch matrix (K = C_in*kh*kw rows in (c, i, j) order, P = OH*OW columns), which is never
// stored: each GEMM task writes the rows of its column chunk (at most 2048 pixels, one row at a
// time, 16 rows at once) and packs them (gemm_plan::run_rows). Zen 5, 1 thread, x oneDNN's direct
// conv, against im2col into a K x P buffer packed from there: VGG conv1_2 0.41 -> 0.62, conv2_x
// 0.60 -> 0.80, conv3_x 0.78 -> 0.86, conv4_x 0.84 -> 0.88, ResNet-18 3x3 unchanged (rn18_3x3_7
// 0.57 -> 0.55-0.57), and no K x P buffer (29 MB for conv3_2).
// A 1x1, stride-1, unpadded conv skips the patches: the input planes are the GEMM's B.
// run() allocates nothing. Timing includes the patch rows, as any honest comparison must.
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
        out_scratch_ = aligned_buffer<float>(detail::checked_mul(shape_.out_channels, pixels(shape_), "output"));
        in_scratch_ = aligned_buffer<float>(direct_ ? detail::checked_mul(shape_.in_channels, pixels(shape_), "input") : 0);
        name_ = std::string(direct_ ? "" : "im2col+") + gemm_.kernel_name();
        if (!direct_) {  // per kernel position: its row offsets and the output columns inside the image
            taps_ = aligned_buffer<tap>(shape_.kernel_h * shape_.kernel_w);
            const index_t ow = shape_.out_width();
            for (index_t i = 0; i < shape_.kernel_h; ++i)
                for (index_t j = 0; j < shape_.kernel_w; ++j) {
                    tap& t = taps_[i * shape_.kernel_w + j];
                    t.dy = i - shape_.pad_h;
                    t.dx = j - shape_.pad_w;
                    // Output columns x whose input column x*sw + j - pw lies inside [0, W).
                    t.x_lo = std::min(ow, std::max<index_t>(0, (shape_.pad_w - j + shape_.stride_w - 1) / shape_.stride_w));
                    const index_t last = shape_.in_width - 1 + shape_.pad_w - j;  // x*sw <= last
                    t.x_hi = last < 0 ? t.x_lo : std::max(t.x_lo, std::min(ow, last / shape_.stride_w + 1));
                }
        }
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    std::size_t bytes() const noexcept
    {
        return gemm_.bytes() + taps_.bytes() + out_scratch_.bytes() + in_scratch_.bytes();
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
                gemm_.run_rows([&](index_t k, index_t p0, index_t p1, float* dst) { patch_row(in, b, k, p0, p1, dst); }, c, ldc);
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

    // dst[p - p0] = patch row k at pixel p = y*OW + x for p in [p0, p1): with k = (c*kh + i)*kw + j,
    // in[b][c][y*sh + i - ph][x*sw + j - pw], or 0 outside the image.
    void patch_row(const tensor4_view<const float>& in, index_t b, index_t k, index_t p0, index_t p1, float* dst) const
    {
        const conv2d_shape& s = shape_;
        const index_t positions = s.kernel_h * s.kernel_w, ch = k / positions, ow = s.out_width();
        const tap& t = taps_[k - ch * positions];
        const index_t x_lo = t.x_lo, x_hi = t.x_hi;
        const float* plane = in.plane(b, ch);
        index_t y = p0 / ow, x0 = p0 - y * ow;
        for (index_t p = p0; p < p1; ++y, x0 = 0) {
            const index_t x1 = std::min(ow, x0 + (p1 - p));
            float* d = dst + (p - p0);  // d[x - x0] for x in [x0, x1)
            p += x1 - x0;
            const index_t iy = y * s.stride_h + t.dy;
            if (iy < 0 || iy >= s.in_height) {
                std::fill(d, d + (x1 - x0), 0.0f);
                continue;
            }
            const index_t a0 = std::max(x0, std::min(x1, x_lo)), a1 = std::max(a0, std::min(x1, x_hi));
            std::fill(d, d + (a0 - x0), 0.0f);
            const float* src = plane + iy * in.stride_h() + t.dx;  // + x * sw: input of column x
            if (s.stride_w == 1)
                std::memcpy(d + (a0 - x0), src + a0, sizeof(float) * static_cast<std::size_t>(a1 - a0));
            else
                for (index_t x = a0; x < a1; ++x) d[x - x0] = src[x * s.stride_w];
            std::fill(d + (a1 - x0), d + (x1 - x0), 0.0f);
        }
    }

    struct tap {
        index_t dy = 0, dx = 0;      // input row / column of output (0, 0) at this kernel position
        index_t x_lo = 0, x_hi = 0;  // output columns whose input column lies inside the image
    };

    conv2d_shape shape_;
    executor* pool_;
    gemm_plan<float> gemm_;
    bool direct_ = false;
    aligned_buffer<tap> taps_;
    mutable aligned_buffer<float> out_scratch_, in_scratch_;  // run() scratch
    std::string name_;
};

} // namespace dense
} // namespace finegrain
