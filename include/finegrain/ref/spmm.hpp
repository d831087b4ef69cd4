// SPDX-License-Identifier: BSD-3-Clause
// Scalar reference block-sparse products: the oracles of the block and unstructured kernels.
// Plain loops over the stored blocks, double accumulation, no SIMD. They are themselves
// checked against ref::gemm / ref::gemv on to_dense().
#pragma once

#include "finegrain/block/format.hpp"
#include "finegrain/core/activation.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace ref {

/// Y[i][j] = act(bias[i] + sum_k W[i][k] * X[k][j]) for BSR W (m x k), X (k x n), Y (m x n).
inline void bsr_spmm(const block::bsr_matrix& w, matrix_view<const float> x, matrix_view<float> y,
                     const float* bias = nullptr, activation act = activation::none)
{
    detail::require(!x.empty() && x.rows() == w.cols(), "x.rows", x.rows(), "must equal w.cols");
    detail::require(!y.empty() && y.rows() == w.rows(), "y.rows", y.rows(), "must equal w.rows");
    detail::require(y.cols() == x.cols(), "y.cols", y.cols(), "must equal x.cols");
    const index_t r = w.shape().r, c = w.shape().c;
    for (index_t br = 0; br < w.block_rows(); ++br)
        for (index_t i = br * r; i < br * r + r && i < w.rows(); ++i)
            for (index_t n = 0; n < x.cols(); ++n) {
                double s = bias ? bias[i] : 0.0;
                for (index_t b = w.row_ptr()[br]; b < index_t(w.row_ptr()[br + 1]); ++b) {
                    const float* v = w.values() + b * r * c;
                    const index_t col0 = index_t(w.col_idx()[b]) * c;
                    for (index_t j = 0; j < c && col0 + j < w.cols(); ++j)
                        s += double(v[j * r + (i - br * r)]) * double(x(col0 + j, n));
                }
                y(i, n) = apply_activation(static_cast<float>(s), act);
            }
}

/// y[i] = act(bias[i] + sum_k W[i][k] * x[k]) for BSR W (m x k); x has k values, y has m.
inline void bsr_spmv(const block::bsr_matrix& w, const float* x, float* y, const float* bias = nullptr,
                     activation act = activation::none)
{
    detail::require(x != nullptr, "x", "nullptr", "must not be null");
    detail::require(y != nullptr, "y", "nullptr", "must not be null");
    bsr_spmm(w, matrix_view<const float>(x, w.cols(), 1), matrix_view<float>(y, w.rows(), 1), bias, act);
}

} // namespace ref
} // namespace finegrain
