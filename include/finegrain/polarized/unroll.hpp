// SPDX-License-Identifier: BSD-3-Clause
// How a conv layer's weights become the K x N matrix of a crossbar (K inputs, N outputs).
//
// A conv kernel w[o][c][i][j] (OIHW) feeds output o from K = C_in*kh*kw inputs. The unroll
// order fixes the input index k of (c, i, j), and so which inputs share a fragment:
//   channel_major:  k = (c*kh + i)*kw + j   (im2col's order: a fragment walks one channel's taps)
//   position_major: k = (i*kw + j)*C_in + c (a fragment holds m channels at one kernel position)
// A fully connected layer is the conv of a 1x1 kernel: both orders coincide (k = c).
#pragma once

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace polarized {

enum class unroll_order { channel_major, position_major };

inline const char* to_string(unroll_order o) noexcept
{
    return o == unroll_order::position_major ? "position_major" : "channel_major";
}

/// The input side of a layer: C_in channels x kh x kw taps (1 x 1 for a fully connected layer).
struct conv_geometry {
    index_t in_channels = 0, kernel_h = 1, kernel_w = 1;

    static conv_geometry fully_connected(index_t inputs) { return {inputs, 1, 1}; }
    static conv_geometry of(const conv2d_shape& s) { return {s.in_channels, s.kernel_h, s.kernel_w}; }
    index_t taps() const noexcept { return in_channels * kernel_h * kernel_w; }
    bool operator==(const conv_geometry& o) const noexcept
    {
        return in_channels == o.in_channels && kernel_h == o.kernel_h && kernel_w == o.kernel_w;
    }

    /// The unrolled input index of channel c, kernel row i, kernel column j.
    index_t index(unroll_order order, index_t c, index_t i, index_t j) const noexcept
    {
        return order == unroll_order::channel_major ? (c * kernel_h + i) * kernel_w + j
                                                    : (i * kernel_w + j) * in_channels + c;
    }
};

/// OIHW weights -> the N x K row-major matrix in `order` (row o = output o's K inputs).
inline aligned_buffer<float> unroll_weights(tensor4_view<const float> w, unroll_order order)
{
    const conv_geometry g{w.c(), w.h(), w.w()};
    const index_t n = w.n(), k = g.taps();
    aligned_buffer<float> m(detail::checked_mul(n, k, "weights size"));
    for (index_t o = 0; o < n; ++o)
        for (index_t c = 0; c < g.in_channels; ++c)
            for (index_t i = 0; i < g.kernel_h; ++i)
                for (index_t j = 0; j < g.kernel_w; ++j) m[o * k + g.index(order, c, i, j)] = w(o, c, i, j);
    return m;
}

/// The inverse of unroll_weights: writes the N x K matrix `m` (in `order`) back as OIHW `w`.
inline void roll_weights(const float* m, unroll_order order, tensor4_view<float> w)
{
    const conv_geometry g{w.c(), w.h(), w.w()};
    const index_t k = g.taps();
    for (index_t o = 0; o < w.n(); ++o)
        for (index_t c = 0; c < g.in_channels; ++c)
            for (index_t i = 0; i < g.kernel_h; ++i)
                for (index_t j = 0; j < g.kernel_w; ++j) w(o, c, i, j) = m[o * k + g.index(order, c, i, j)];
}

} // namespace polarized
} // namespace finegrain
