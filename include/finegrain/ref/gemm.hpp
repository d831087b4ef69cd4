// SPDX-License-Identifier: BSD-3-Clause
// Scalar reference GEMM and GEMV: the oracle for every dense and sparse matrix kernel.
// Plain loops, double accumulation, no SIMD.
#pragma once

#include "finegrain/core/activation.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace ref {

/// C[i][j] = act(bias[i] + sum_k A[i][k] * B[k][j]); bias may be null.
inline void gemm(matrix_view<const float> a, matrix_view<const float> b, matrix_view<float> c,
                 const float* bias = nullptr, activation act = activation::none)
{
    detail::require(b.rows() == a.cols(), "b.rows", b.rows(), "must equal a.cols");
    detail::require(c.rows() == a.rows(), "c.rows", c.rows(), "must equal a.rows");
    detail::require(c.cols() == b.cols(), "c.cols", c.cols(), "must equal b.cols");
    for (index_t i = 0; i < a.rows(); ++i)
        for (index_t j = 0; j < b.cols(); ++j) {
            double s = bias ? bias[i] : 0.0;
            for (index_t k = 0; k < a.cols(); ++k) s += double(a(i, k)) * double(b(k, j));
            c(i, j) = apply_activation(static_cast<float>(s), act);
        }
}

/// y[i] = act(bias[i] + sum_k A[i][k] * x[k]); x has a.cols() values, y has a.rows().
inline void gemv(matrix_view<const float> a, const float* x, float* y, const float* bias = nullptr,
                 activation act = activation::none)
{
    detail::require(x != nullptr, "x", "nullptr", "must not be null");
    detail::require(y != nullptr, "y", "nullptr", "must not be null");
    for (index_t i = 0; i < a.rows(); ++i) {
        double s = bias ? bias[i] : 0.0;
        for (index_t k = 0; k < a.cols(); ++k) s += double(a(i, k)) * double(x[k]);
        y[i] = apply_activation(static_cast<float>(s), act);
    }
}

} // namespace ref
} // namespace finegrain
