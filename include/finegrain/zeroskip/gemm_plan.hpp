// SPDX-License-Identifier: BSD-3-Clause
// zeroskip::gemm_plan<float>: y = act(W x + bias) for batch 1..64, skipping zero inputs.
//
//   finegrain::zeroskip::gemm_plan<float> plan(weights /* N x K, rows = outputs */, 1, opt);
//   plan.run(x /* K x batch */, y /* N x batch */);   // ReLU outputs: zeros cost nothing
//
// The weights are stored input-major, so an input that is zero in every sample of the batch
// skips a whole row of N weights (at batch 1 the time falls with the zero fraction z as
// 1/(1-z): weight bytes dominate). Polarized weights (polarized_matrix<float>) run the same
// kernel with each fragment's sign folded into its magnitudes at plan time (negation is exact).
// The kernel streams groups of up to 8 non-zero rows over the output columns (each thread owns
// a slice of columns; at batch 1 each thread owns a share of the rows instead and streams them
// whole). The weights take 2 MB pages where the OS allows (page_policy::huge: scattered 16 KB
// rows then cost no page walks). run() allocates nothing.
#pragma once

#include <cstring>
#include <string>

#include "finegrain/core/activation.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/simd/dispatch.hpp"
#include "finegrain/zeroskip/options.hpp"
#include "finegrain/zeroskip/row_engine.hpp"
#include "finegrain/zeroskip/rows_kernels.hpp"

namespace finegrain {
namespace zeroskip {
namespace detail {

/// The fp32 engine behind gemm_plan<float> and polarized::partial_sums_plan<float>.
class f32_engine {
public:
    /// Dense weights (N x K, rows = outputs).
    f32_engine(matrix_view<const float> w, index_t batch, const gemm_options& opt)
    {
        init(w.rows(), w.cols(), 0, batch, opt, false, opt.skip_zeros ? "gemm_zeroskip" : "gemm_rows");
        for (index_t o = 0; o < n_; ++o)
            for (index_t k = 0; k < k_; ++k) wt_[k * ldw_ + o] = w(o, k);
    }
    /// Polarized weights: signs folded (partial_sums false), or magnitudes only, summed per fragment.
    f32_engine(const polarized::polarized_matrix<float>& w, index_t batch, const gemm_options& opt, bool partial_sums)
    {
        init(w.outputs(), w.inputs(), partial_sums ? w.fragment() : 0, batch, opt, partial_sums,
             partial_sums ? "partial_sums" : opt.skip_zeros ? "gemm_zeroskip_polarized" : "gemm_rows_polarized");
        for (index_t o = 0; o < n_; ++o)
            for (index_t k = 0; k < k_; ++k) wt_[k * ldw_ + o] = partial_sums ? w.magnitude(o, k) : w.value(o, k);
    }

    index_t outputs() const noexcept { return n_; }
    index_t inputs() const noexcept { return k_; }
    index_t batch() const noexcept { return batch_; }
    index_t fragments() const noexcept { return frags_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }
    index_t rows_run() const noexcept { return lists_.entries; }
    std::size_t bytes() const noexcept
    {
        return wt_.bytes() + bias_.bytes() + y_.bytes() + lists_.rows.bytes() + lists_.values.bytes() + 3 * lists_.end.bytes();
    }

    /// gemm: y[o*ldy + s] = act(bias[o] + sum_k w[o][k] x[k*ldx + s]); partial sums (batch 1):
    /// y[f*ldy + o] = sum_{k in fragment f} |w[o][k]| x[k].
    void run(const float* x, index_t ldx, float* y, index_t ldy) const
    {
        if (batch_ == 1 && skip_ && frag_ == 0 && ldx == 1)
            lists_.group_listed(nonzero_(x, k_, lists_.rows.data(), lists_.values.data()));
        else
            lists_.gather(x, ldx, k_, batch_, skip_, frag_, sums_ ? ldy_ : 0, 0, 1);
        const clamp_bounds cb = bounds_of(act_);
        if (split_parts_ > 0) {
            run_split_rows(y, ldy, cb);
            return;
        }
        const index_t rows_out = sums_ ? frags_ : batch_;
        // Per column tile: clear its accumulators, run the groups over it, write its outputs
        // (the tile's accumulators are still in cache: batch 16, 2048 columns = 128 KB).
        parallel_for(pool_, static_cast<std::size_t>(split_.tasks), [&](std::size_t t, std::size_t) {
            const index_t c0 = split_.begin(static_cast<index_t>(t)), c1 = split_.end(static_cast<index_t>(t));
            f32_rows_args a;
            a.groups = lists_.view(sums_);
            a.x = lists_.values.data();
            a.batch = batch_;
            a.w = wt_.data();
            a.ldw = ldw_;
            a.y = y_.data();
            a.ldy = ldy_;
            const index_t tile = batch_ == 1 ? c1 - c0 : column_tile(batch_, f32_tile_values);
            for (a.col_begin = c0; a.col_begin < c1; a.col_begin += tile) {
                a.col_end = std::min(c1, a.col_begin + tile);
                for (index_t r = 0; r < rows_out; ++r)
                    std::memset(y_.data() + r * ldy_ + a.col_begin, 0, sizeof(float) * std::size_t(a.col_end - a.col_begin));
                kernel_(a);
                const index_t o0 = a.col_begin, o1 = std::min(a.col_end, n_);
                if (sums_) {
                    for (index_t f = 0; f < frags_; ++f)
                        if (o1 > o0) std::memcpy(y + f * ldy + o0, y_.data() + f * ldy_ + o0, sizeof(float) * std::size_t(o1 - o0));
                    continue;
                }
                write_out_args<float> w;
                w.acc = y_.data();
                w.ld_acc = ldy_;
                w.batch = batch_;
                w.col_begin = o0;
                w.col_end = o1;
                w.bias = bias_.empty() ? nullptr : bias_.data();
                w.clamp = act_ != activation::none;
                w.lo = cb.lo;
                w.hi = cb.hi;
                w.out = y;
                w.ldo = ldy;
                write_out_(w);
            }
        });
    }

private:
    /// Batch 1, several workers: the groups are cut into split_parts parts of about equal entry
    /// counts (several per worker, so a worker that wakes late leaves its share to the others);
    /// each part streams whole rows (as at one thread) into its own accumulator row, and the
    /// caller sums the rows in part order (the result does not depend on the scheduling).
    void run_split_rows(float* y, index_t ldy, const clamp_bounds& cb) const
    {
        const index_t parts = split_parts_;
        parallel_for(pool_, static_cast<std::size_t>(parts), [&](std::size_t t, std::size_t) {
            const index_t p = static_cast<index_t>(t);
            f32_rows_args a;
            a.groups = lists_.slice(lists_.part_begin(p, parts), lists_.part_begin(p + 1, parts));
            a.x = lists_.values.data();
            a.w = wt_.data();
            a.ldw = ldw_;
            a.y = y_.data() + p * ldy_;
            a.ldy = ldy_;
            a.col_begin = 0;
            a.col_end = split_.padded;
            std::memset(a.y, 0, sizeof(float) * std::size_t(split_.padded));
            kernel_(a);
        });
        // Row 0 += rows 1.. in part order, column-wise (vectorises; bias first as before).
        float* sum = y_.data();
        if (!bias_.empty())
            for (index_t o = 0; o < n_; ++o) sum[o] = bias_[o] + sum[o];
        for (index_t p = 1; p < parts; ++p) {
            const float* part = y_.data() + p * ldy_;
            for (index_t o = 0; o < n_; ++o) sum[o] += part[o];
        }
        for (index_t o = 0; o < n_; ++o) {
            const float v = sum[o] < cb.lo ? cb.lo : sum[o];
            y[o * ldy] = v > cb.hi ? cb.hi : v;
        }
    }

    void init(index_t n, index_t k, index_t fragment, index_t batch, const gemm_options& opt, bool sums, const char* op)
    {
        require_engine_shape(n, k, batch, sums);
        n_ = n;
        k_ = k;
        frag_ = fragment;
        frags_ = fragments_of(k, fragment);
        batch_ = batch;
        act_ = sums ? activation::none : opt.act;
        pool_ = opt.pool;
        skip_ = opt.skip_zeros;
        sums_ = sums;
        const index_t workers = static_cast<index_t>(concurrency_of(pool_));
        split_parts_ = batch == 1 && !sums && workers > 1 ? 4 * workers : 0;
        split_.plan(n, split_parts_ > 0 ? 1 : workers);
        // Rows one cache line longer than the columns: 16 KB strides alias in the caches and DRAM banks.
        ldw_ = split_.padded + 16;
        ldy_ = split_.padded + 16;
        wt_ = aligned_buffer<float>(finegrain::detail::checked_mul(k, ldw_, "weights size"), 0, page_policy::huge);
        y_ = aligned_buffer<float>(
            finegrain::detail::checked_mul(sums ? frags_ : split_parts_ > 0 ? split_parts_ : batch, ldy_, "accumulators"));
        lists_.reserve(k, frags_, batch);
        if (opt.bias && !sums) {
            bias_ = aligned_buffer<float>(n);
            std::memcpy(bias_.data(), opt.bias, sizeof(float) * std::size_t(n));
        }
        index_t v = 1;
        arch_ = simd::with_best_arch([&](auto arch) {
            using A = decltype(arch);
            kernel_ = &rows_kernels<A>::f32;
            write_out_ = &rows_kernels<A>::write_out;
            nonzero_ = &rows_kernels<A>::nonzero;
            v = static_cast<index_t>(simd::lanes_of<float, A>());
        });
        name_ = std::string("f32_") + op + "_";
        if (act_ != activation::none) name_ += std::string(to_string(act_)) + "_";
        name_ += std::to_string(max_group) + "x" + std::to_string(2 * v) + "__" + simd::to_string(arch_);
    }

    index_t n_ = 0, k_ = 0, frag_ = 0, frags_ = 1, batch_ = 1, ldw_ = 0, ldy_ = 0, split_parts_ = 0;
    activation act_ = activation::none;
    executor* pool_ = nullptr;
    bool skip_ = true, sums_ = false;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*kernel_)(const f32_rows_args&) noexcept = nullptr;
    void (*write_out_)(const write_out_args<float>&) noexcept = nullptr;
    index_t (*nonzero_)(const float*, index_t, std::int32_t*, float*) noexcept = nullptr;
    column_split split_;
    aligned_buffer<float> wt_, bias_;
    mutable aligned_buffer<float> y_;
    mutable row_lists<float> lists_;
    std::string name_;
};

} // namespace detail

template <class T>
class gemm_plan;

template <>
class gemm_plan<float> {
public:
    /// Dense weights: N x K, row o = output o (as dense::gemm_plan's A).
    gemm_plan(matrix_view<const float> w, index_t batch, const gemm_options& opt = {}) : e_(w, batch, opt) {}
    /// Polarized weights: each fragment's sign folded into its magnitudes.
    gemm_plan(const polarized::polarized_matrix<float>& w, index_t batch, const gemm_options& opt = {})
        : e_(w, batch, opt, false)
    {
    }

    index_t outputs() const noexcept { return e_.outputs(); }
    index_t inputs() const noexcept { return e_.inputs(); }
    index_t batch() const noexcept { return e_.batch(); }
    const char* kernel_name() const noexcept { return e_.kernel_name(); }
    simd::arch_id arch() const noexcept { return e_.arch(); }
    std::size_t bytes() const noexcept { return e_.bytes(); }
    /// Rows the last run() streamed (inputs non-zero in some sample).
    index_t rows_run() const noexcept { return e_.rows_run(); }

    /// y (N x batch) = act(W x + bias) for x (K x batch). Throws finegrain::error on a shape mismatch.
    void run(matrix_view<const float> x, matrix_view<float> y) const
    {
        detail::require_io(x, y, inputs(), outputs(), batch());
        e_.run(x.data(), x.row_stride(), y.data(), y.row_stride());
    }
    /// Batch 1: x has K values, y has N.
    void run(const float* x, float* y) const
    {
        detail::require_batch1_io(batch(), x, y);
        e_.run(x, 1, y, 1);
    }
    void run_unchecked(const float* x, index_t ldx, float* y, index_t ldy) const { e_.run(x, ldx, y, ldy); }

private:
    detail::f32_engine e_;
};

} // namespace zeroskip
} // namespace finegrain
