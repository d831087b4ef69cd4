// SPDX-License-Identifier: BSD-3-Clause
// The Euclidean projection of dense weights onto the polarized set (FORMS).
//
// Weights are an N x K matrix, row o = the K inputs of output o (a crossbar column). A fragment
// is m consecutive inputs of one output: row o, columns [f*m, min(K, (f+1)*m)); the last
// fragment of a row is shorter when m does not divide K, and m >= K makes the whole row one
// fragment. The matrix is polarized at m when no fragment holds both a positive and a
// negative weight.
//
// The nearest polarized matrix (in the Frobenius norm) is found fragment by fragment: keeping
// the positive entries costs the squares of the negative ones and vice versa, so keep the
// sign that carries more squared magnitude (the positive one on a tie) and zero the others.
#pragma once

#include <cmath>

#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/polarized/unroll.hpp"

namespace finegrain {
namespace polarized {

struct projection_report {
    index_t weights = 0;          // N*K
    index_t fragments = 0;        // N*ceil(K/m)
    index_t mixed_fragments = 0;  // fragments that held both signs
    index_t zeroed = 0;           // non-zero weights set to zero
    double zeroed_fraction = 0;   // zeroed / weights
    double relative_l2_error = 0; // ||W - P(W)|| / ||W|| (0 for W = 0)
};

namespace detail {
inline void require_fragment(index_t m)
{
    finegrain::detail::require(m >= 1, "m", m, "fragment size must be >= 1");
}
} // namespace detail

/// Projects `w` (N x K, rows = outputs) onto the matrices polarized at m, in place.
/// Throws finegrain::error for m < 1 or a NaN weight (naming its position).
inline projection_report project(matrix_view<float> w, index_t m)
{
    detail::require_fragment(m);
    const index_t n = w.rows(), k = w.cols();
    for (index_t o = 0; o < n; ++o)
        for (index_t c = 0; c < k; ++c)
            if (std::isnan(w(o, c))) finegrain::detail::throw_invalid("weights", "NaN", "must not hold NaN");
    projection_report r;
    r.weights = n * k;
    double total_sq = 0, removed_sq = 0;
    for (index_t o = 0; o < n; ++o) {
        float* row = w.row(o);
        for (index_t f0 = 0; f0 < k; f0 += (m < k ? m : k)) {
            const index_t f1 = k - f0 < m ? k : f0 + m;
            double pos = 0, neg = 0;
            bool has_pos = false, has_neg = false;
            for (index_t c = f0; c < f1; ++c) {
                const double v = row[c];
                (v > 0 ? pos : neg) += v * v;
                has_pos = has_pos || v > 0;
                has_neg = has_neg || v < 0;
            }
            total_sq += pos + neg;
            ++r.fragments;
            if (!(has_pos && has_neg)) continue;
            ++r.mixed_fragments;
            const bool keep_positive = pos >= neg;
            removed_sq += keep_positive ? neg : pos;
            for (index_t c = f0; c < f1; ++c)
                if (keep_positive ? row[c] < 0 : row[c] > 0) {
                    row[c] = 0.0f;
                    ++r.zeroed;
                }
        }
    }
    r.zeroed_fraction = r.weights ? double(r.zeroed) / double(r.weights) : 0.0;
    r.relative_l2_error = total_sq > 0 ? std::sqrt(removed_sq / total_sq) : 0.0;
    return r;
}

/// Projects OIHW conv weights in place, fragments taken along the unrolled inputs in `order`.
inline projection_report project_conv(tensor4_view<float> w, index_t m, unroll_order order)
{
    detail::require_fragment(m);
    finegrain::detail::require(w.stride_h() == w.w() && w.stride_c() == w.h() * w.w() && w.stride_n() == w.c() * w.stride_c(),
                               "weights", "strided", "must be a contiguous OIHW tensor");
    aligned_buffer<float> mat = unroll_weights(w, order);
    const projection_report r = project(matrix_view<float>(mat.data(), w.n(), w.c() * w.h() * w.w()), m);
    roll_weights(mat.data(), order, w);
    return r;
}

} // namespace polarized
} // namespace finegrain
