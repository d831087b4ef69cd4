// SPDX-License-Identifier: BSD-3-Clause
// Scalar reference block-punched 3x3 convolution (NCHW, any stride/padding the shape allows):
// loops over the kept (block, tap) entries only, double accumulation. The oracle of
// block::conv3x3_punched_plan; itself checked against ref::conv2d on to_dense().
#pragma once

#include <vector>

#include "finegrain/block/punched_format.hpp"
#include "finegrain/core/activation.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace ref {

/// out = act(conv3x3(in, w) + bias); bias (out_channels values) may be null.
inline void punched_conv3x3(const conv2d_shape& s, tensor4_view<const float> in, const block::punched_conv3x3& w,
                            const float* bias, tensor4_view<float> out, activation act = activation::none)
{
    s.validate();
    detail::require(s.kernel_h == 3 && s.kernel_w == 3, "shape.kernel", s.kernel_h, "must be 3x3");
    detail::require(w.out_channels() == s.out_channels, "w.out_channels", w.out_channels(), "must match the shape");
    detail::require(w.in_channels() == s.in_channels, "w.in_channels", w.in_channels(), "must match the shape");
    detail::require_tensor_dims(in, s.input_dims(), "input");
    detail::require_tensor_dims(out, s.output_dims(), "output");
    const index_t oh = s.out_height(), ow = s.out_width();
    const index_t nf = w.shape().filters, nc = w.shape().channels;
    std::vector<double> acc(std::size_t(oh * ow));
    for (index_t b = 0; b < s.batch; ++b)
        for (index_t o = 0; o < s.out_channels; ++o) {
            const index_t fb = o / nf;
            for (auto& a : acc) a = bias ? bias[o] : 0.0;
            for (index_t e = w.row_ptr()[fb]; e < index_t(w.row_ptr()[fb + 1]); ++e) {
                const index_t cb = w.entries()[e] / 9, t = w.entries()[e] % 9, ti = t / 3, tj = t % 3;
                for (index_t j = 0; j < nc && cb * nc + j < s.in_channels; ++j) {
                    const double wv = w.values()[e * nf * nc + j * nf + (o - fb * nf)];
                    for (index_t y = 0; y < oh; ++y) {
                        const index_t iy = y * s.stride_h + ti - s.pad_h;
                        if (iy < 0 || iy >= s.in_height) continue;
                        for (index_t x = 0; x < ow; ++x) {
                            const index_t ix = x * s.stride_w + tj - s.pad_w;
                            if (ix < 0 || ix >= s.in_width) continue;
                            acc[std::size_t(y * ow + x)] += wv * double(in(b, cb * nc + j, iy, ix));
                        }
                    }
                }
            }
            for (index_t y = 0; y < oh; ++y)
                for (index_t x = 0; x < ow; ++x)
                    out(b, o, y, x) = apply_activation(static_cast<float>(acc[std::size_t(y * ow + x)]), act);
        }
}

} // namespace ref
} // namespace finegrain
