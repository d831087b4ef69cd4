// SPDX-License-Identifier: BSD-3-Clause
// Scalar reference 2-D convolution (NCHW input/output, OIHW weights, any kernel size,
// stride and padding, batch, bias, activation). Double accumulation. The oracle for every
// conv kernel in the library.
#pragma once

#include "finegrain/core/activation.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace ref {

/// out = act(conv(in, w) + bias); bias (out_channels values) may be null.
inline void conv2d(const conv2d_shape& s, tensor4_view<const float> in, tensor4_view<const float> w,
                   const float* bias, tensor4_view<float> out, activation act = activation::none)
{
    s.validate();
    detail::require_tensor_dims(in, s.input_dims(), "input");
    detail::require_tensor_dims(w, s.weight_dims(), "weights");
    detail::require_tensor_dims(out, s.output_dims(), "output");
    const index_t oh = s.out_height(), ow = s.out_width();
    for (index_t b = 0; b < s.batch; ++b)
        for (index_t o = 0; o < s.out_channels; ++o)
            for (index_t y = 0; y < oh; ++y)
                for (index_t x = 0; x < ow; ++x) {
                    double acc = bias ? bias[o] : 0.0;
                    for (index_t c = 0; c < s.in_channels; ++c)
                        for (index_t i = 0; i < s.kernel_h; ++i) {
                            const index_t iy = y * s.stride_h + i - s.pad_h;
                            if (iy < 0 || iy >= s.in_height) continue;
                            for (index_t j = 0; j < s.kernel_w; ++j) {
                                const index_t ix = x * s.stride_w + j - s.pad_w;
                                if (ix < 0 || ix >= s.in_width) continue;
                                acc += double(w(o, c, i, j)) * double(in(b, c, iy, ix));
                            }
                        }
                    out(b, o, y, x) = apply_activation(static_cast<float>(acc), act);
                }
}

} // namespace ref
} // namespace finegrain
