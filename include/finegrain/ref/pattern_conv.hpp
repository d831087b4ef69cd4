// SPDX-License-Identifier: BSD-3-Clause
// Scalar reference pattern-sparse 3x3 convolution straight from the FKW arrays (NCHW in/out,
// any stride, padding and batch, bias, activation). Double accumulation. It walks the packed
// kernels the way the SIMD kernels do (stored filter order, pattern taps), so it checks the
// format independently of to_dense(); ref::conv2d on to_dense() is the final oracle.
#pragma once

#include "finegrain/core/activation.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/pattern/format.hpp"

#include <vector>

namespace finegrain {
namespace ref {

/// out = act(conv(in, w) + bias) for the pattern-sparse weights w; bias may be null.
inline void pattern_conv3x3(const conv2d_shape& s, tensor4_view<const float> in, const pattern::packed_weights& w,
                            const float* bias, tensor4_view<float> out, activation act = activation::none)
{
    s.validate();
    detail::require(s.kernel_h == 3 && s.kernel_w == 3, "conv2d_shape.kernel_h", s.kernel_h, "must be 3x3");
    detail::require(w.out_channels() == s.out_channels, "weights.out_channels", w.out_channels(), "must match the shape");
    detail::require(w.in_channels() == s.in_channels, "weights.in_channels", w.in_channels(), "must match the shape");
    detail::require_tensor_dims(in, s.input_dims(), "input");
    detail::require_tensor_dims(out, s.output_dims(), "output");
    const index_t oh = s.out_height(), ow = s.out_width();
    const int k = w.k();
    std::vector<double> acc(static_cast<std::size_t>(oh * ow));
    int taps[9];
    for (index_t b = 0; b < s.batch; ++b)
        for (index_t i = 0; i < s.out_channels; ++i) {
            const index_t o = w.reorder()[static_cast<std::size_t>(i)];
            for (auto& a : acc) a = bias ? bias[o] : 0.0;
            for (index_t j = w.offset()[static_cast<std::size_t>(i)]; j < w.offset()[static_cast<std::size_t>(i) + 1]; ++j) {
                const index_t c = w.channel()[static_cast<std::size_t>(j)];
                w.patterns().taps(w.pattern()[static_cast<std::size_t>(j)], taps);
                for (int t = 0; t < k; ++t) {
                    const double wt = w.weight()[static_cast<std::size_t>(j * k + t)];
                    const index_t dy = taps[t] / 3, dx = taps[t] % 3;
                    for (index_t y = 0; y < oh; ++y) {
                        const index_t iy = y * s.stride_h + dy - s.pad_h;
                        if (iy < 0 || iy >= s.in_height) continue;
                        for (index_t x = 0; x < ow; ++x) {
                            const index_t ix = x * s.stride_w + dx - s.pad_w;
                            if (ix < 0 || ix >= s.in_width) continue;
                            acc[static_cast<std::size_t>(y * ow + x)] += wt * double(in(b, c, iy, ix));
                        }
                    }
                }
            }
            for (index_t y = 0; y < oh; ++y)
                for (index_t x = 0; x < ow; ++x)
                    out(b, o, y, x) = apply_activation(static_cast<float>(acc[static_cast<std::size_t>(y * ow + x)]), act);
        }
}

} // namespace ref
} // namespace finegrain
