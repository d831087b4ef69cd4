// SPDX-License-Identifier: BSD-3-Clause
// block::spmm_plan<float>: Y = act(W X + bias) for a block-sparse W (m x k) fixed at plan time,
// X (k x n) and Y (m x n) row-major. The FC layer: W = weights (out x in), X = inputs with the
// batch as columns; n = 1 is the batch-1 SpMV (FC at batch 1 is DRAM-bound: the plan stores
// block-column indices as uint16 whenever they fit).
//
//   auto w = finegrain::block::pack(pruned, {8, 1});
//   finegrain::block::spmm_plan<float> plan(w, n, opt);   // kernel chosen, weights copied
//   plan.run(x, y);                                       // no allocation, no dispatch
//   std::puts(plan.kernel_name());                        // e.g. "f32_bsr8x1_spmm_relu_8x8__avx2"
#pragma once

#include <string>

#include "finegrain/block/format.hpp"
#include "finegrain/block/spmm_engine.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace block {

/// "bsr<r>x<c>": the format part of a kernel name.
inline std::string format_name(block_shape s)
{
    return "bsr" + std::to_string(s.r) + "x" + std::to_string(s.c);
}

template <class T>
class spmm_plan;

template <>
class spmm_plan<float> {
public:
    spmm_plan(const bsr_matrix& w, index_t n, const spmm_options& opt = {})
        : shape_(validated(w, n)),
          engine_(w.rows(), w.shape(), w.row_ptr(), w.col_idx(), w.values(), n, opt, w.cols()),
          x_scratch_(n == 1 ? w.cols() : 0), y_scratch_(n == 1 ? w.rows() : 0)
    {
        name_ = engine_.name(format_name(w.shape()) + (n == 1 ? "_spmv" : "_spmm"));
        block_c_ = w.shape().c;
    }

    const gemm_shape& shape() const noexcept { return shape_; }
    /// Canonical name of the kernel that runs, e.g. "f32_bsr4x1_spmm_relu_4x24__avx2".
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return engine_.arch(); }
    std::size_t bytes() const noexcept { return engine_.bytes() + x_scratch_.bytes() + y_scratch_.bytes(); }

    /// Y (m x n) = act(W X + bias) for X (k x n). Throws finegrain::error on a shape mismatch.
    /// One call at a time per plan; X and Y must not overlap.
    void run(matrix_view<const float> x, matrix_view<float> y) const
    {
        detail::require(!x.empty() && x.rows() == shape_.k, "x.rows", x.rows(), "must equal the plan's k");
        detail::require(x.cols() == shape_.n, "x.cols", x.cols(), "must equal the plan's n");
        detail::require(!y.empty() && y.rows() == shape_.m, "y.rows", y.rows(), "must equal the plan's m");
        detail::require(y.cols() == shape_.n, "y.cols", y.cols(), "must equal the plan's n");
        run_unchecked(x.data(), x.row_stride(), y.data(), y.row_stride());
    }

    /// The same without the checks: X is k x n with row stride ldx, Y is m x n with ldy.
    void run_unchecked(const float* x, index_t ldx, float* y, index_t ldy) const
    {
        if (!engine_.uses_spmv()) {
            engine_.run(x, block_c_ * ldx, ldx, shape_.k, y, ldy);
            return;
        }
        // SpMV: x and y are columns; gather/scatter through scratch when they are strided.
        const float* xv = x;
        if (ldx != 1) {
            for (index_t i = 0; i < shape_.k; ++i) x_scratch_[i] = x[i * ldx];
            xv = x_scratch_.data();
        }
        float* yv = ldy == 1 ? y : y_scratch_.data();
        engine_.run(xv, 1, 1, shape_.k, yv, 1);
        if (ldy != 1)
            for (index_t i = 0; i < shape_.m; ++i) y[i * ldy] = yv[i];
    }

private:
    static gemm_shape validated(const bsr_matrix& w, index_t n)
    {
        gemm_shape s{w.rows(), n, w.cols()};
        s.validate();
        return s;
    }

    gemm_shape shape_;
    spmm_engine engine_;
    mutable aligned_buffer<float> x_scratch_, y_scratch_;  // strided SpMV operands
    index_t block_c_ = 1;
    std::string name_;
};

} // namespace block
} // namespace finegrain
