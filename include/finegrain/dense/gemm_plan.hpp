// SPDX-License-Identifier: BSD-3-Clause
// dense::gemm_plan<float>: C = act(A * B + bias) with A (the weights) fixed at plan time.
//
//   finegrain::dense::gemm_options opt;  opt.bias = bias;  opt.act = finegrain::activation::relu;
//   finegrain::dense::gemm_plan<float> plan(weights /* m x k */, n, opt);
//   plan.run(b /* k x n */, c /* m x n */);      // no allocation, no dispatch
//   std::puts(plan.kernel_name());                // e.g. "f32_gemm_relu_6x16__avx2"
//
// The plan picks the kernel once (simd::with_best_arch), packs A into MR-row panels (in 2 MB
// pages when large: weight_pages), and keeps one packed-B scratch block per worker. n == 1 runs
// the GEMV kernel on row-major A; n <= one vector of lanes the narrow MR x lanes tile.
// Work is split into tasks over N chunks (and M ranges when N is too narrow to feed every
// worker) that run through parallel_for on opt.pool.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "finegrain/core/activation.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/dense/gemm_kernels.hpp"
#include "finegrain/simd/dispatch.hpp"

namespace finegrain {
namespace dense {

struct gemm_options {
    const float* bias = nullptr;  // m values (one per row of C), copied into the plan; null = none
    activation act = activation::none;
    executor* pool = nullptr;     // null = run on the calling thread
};

/// The packed weights take 2 MB pages where the OS allows (buffers >= 2 MB only): FC layers at
/// small batch stream them from DRAM every call. Measured, GEMV cold, 41 alternated rounds in one
/// process: fc7 +2-3 % (1 thread) / +6-7 % (2 threads), fc6 +5 %.
constexpr page_policy weight_pages = page_policy::huge;

template <class T>
class gemm_plan;

template <>
class gemm_plan<float> {
public:
    gemm_plan(matrix_view<const float> a, index_t n, const gemm_options& opt = {})
        : shape_{a.rows(), n, a.cols()}, act_(opt.act), pool_(opt.pool)
    {
        shape_.validate();
        arch_ = simd::with_best_arch([&](auto arch) {
            using K = gemm_kernels<decltype(arch)>;
            mr_ = K::mr;
            nr_ = K::nr;
            pack_b_ = &K::pack_b;
            pack_b_rows_ = &K::pack_b_rows;
            block_ = &K::block;
            gemv_ = &K::gemv;
            if (shape_.n <= K::narrow_nr && K::narrow_nr < K::nr) {
                // B of one vector of columns (FC at small batch) takes the one-vector tile: the
                // full tile would be half padding (Zen 5, avx512, fc7 batch 16 cold: 12 x 32 9.2
                // ms, 12 x 16 6.5 ms; with the A prefetch of gemm_kernels 2.4 ms).
                nr_ = K::narrow_nr;
                pack_b_ = &K::pack_b_narrow;
                pack_b_rows_ = &K::pack_b_rows_narrow;
                block_ = &K::block_narrow;
            }
        });
        if (opt.bias) {
            bias_ = aligned_buffer<float>(shape_.m);
            std::memcpy(bias_.data(), opt.bias, sizeof(float) * static_cast<std::size_t>(shape_.m));
        }
        const index_t workers = static_cast<index_t>(concurrency_of(pool_));
        if (shape_.n == 1) {
            a_ = aligned_buffer<float>(detail::checked_mul(shape_.m, shape_.k, "gemm_plan.m*k"), 0, weight_pages);
            for (index_t i = 0; i < shape_.m; ++i)
                std::memcpy(a_.data() + i * shape_.k, a.row(i), sizeof(float) * static_cast<std::size_t>(shape_.k));
            row_chunk_ = std::max<index_t>(16, (shape_.m + 4 * workers - 1) / (4 * workers));
            scratch_ = aligned_buffer<float>(shape_.k);  // x gathered here when B's column is strided
            name_ = make_name("gemv", 4, 0);
            return;
        }
        pack_a(a);
        plan_tasks(workers);
        scratch_stride_ = (kc_ + row_group) * round_up(nc_, nr_);  // the packed block, then run_rows' rows
        scratch_ = aligned_buffer<float>(detail::checked_mul(scratch_stride_, workers, "gemm_plan scratch"));
        name_ = make_name("gemm", mr_, nr_);
    }

    const gemm_shape& shape() const noexcept { return shape_; }
    /// Canonical name of the kernel that runs, e.g. "f32_gemm_relu_6x16__avx2".
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }
    /// Bytes the plan holds (packed weights, bias, scratch).
    std::size_t bytes() const noexcept { return a_.bytes() + bias_.bytes() + scratch_.bytes(); }

    /// C (m x n) = act(A * B + bias) for B (k x n). Throws finegrain::error on a shape mismatch.
    /// One call at a time per plan (it owns the scratch); B and C must not overlap.
    void run(matrix_view<const float> b, matrix_view<float> c) const
    {
        detail::require(!b.empty() && b.rows() == shape_.k, "b.rows", b.rows(), "must equal the plan's k");
        detail::require(b.cols() == shape_.n, "b.cols", b.cols(), "must equal the plan's n");
        detail::require(!c.empty() && c.rows() == shape_.m, "c.rows", c.rows(), "must equal the plan's m");
        detail::require(c.cols() == shape_.n, "c.cols", c.cols(), "must equal the plan's n");
        run_unchecked(b.data(), b.row_stride(), c.data(), c.row_stride());
    }

    /// The same without the shape checks: B is k x n with row stride ldb, C is m x n with ldc.
    void run_unchecked(const float* b, index_t ldb, float* c, index_t ldc) const
    {
        if (shape_.n == 1) {
            // x is B's one column: rows ldb apart; the GEMV kernel reads it contiguous.
            const float* x = b;
            if (ldb != 1) {
                float* gathered = scratch_.data();
                for (index_t i = 0; i < shape_.k; ++i) gathered[i] = b[i * ldb];
                x = gathered;
            }
            run_gemv(x, c, ldc);
            return;
        }
        run_blocks([&](index_t k0, index_t kc, index_t n0, index_t n1, float* packed, float*) {
            pack_b_(kc, n1 - n0, b + k0 * ldb + n0, ldb, packed);
        }, c, ldc);
    }

    /// The same with B made row by row: rows(k, n0, n1, dst) writes B[k][n0..n1) to dst (n1 - n0
    /// <= 2048 floats), from the workers of opt.pool, rows of one block in k order. conv2d_plan
    /// passes its im2col rows, so the K x N patch matrix is never stored. No shape checks (the
    /// caller owns the shapes, as with run_unchecked).
    template <class Rows>
    void run_rows(const Rows& rows, float* c, index_t ldc) const
    {
        if (shape_.n == 1) {
            float* x = scratch_.data();
            for (index_t i = 0; i < shape_.k; ++i) rows(i, 0, 1, x + i);
            run_gemv(x, c, ldc);
            return;
        }
        // row_group rows at a time, then packed together: one row at a time wrote 128 bytes to
        // every sliver, slivers kc * nr floats apart (one L1 set), and thrashed L1.
        const index_t ld = round_up(nc_, nr_);
        run_blocks([&](index_t k0, index_t kc, index_t n0, index_t n1, float* packed, float* buf) {
            for (index_t k = 0; k < kc; k += row_group) {
                const index_t r = std::min(row_group, kc - k);
                for (index_t i = 0; i < r; ++i) rows(k0 + k + i, n0, n1, buf + i * ld);
                pack_b_rows_(k, r, kc, n1 - n0, buf, ld, packed);
            }
        }, c, ldc);
    }

private:
    static index_t round_up(index_t v, index_t m) { return (v + m - 1) / m * m; }
    /// run_rows makes this many rows of B, then packs them together.
    static constexpr index_t row_group = 16;

    void run_gemv(const float* x, float* c, index_t ldc) const
    {
        const clamp_bounds cb = bounds_of(act_);
        const index_t chunks = (shape_.m + row_chunk_ - 1) / row_chunk_;
        parallel_for(pool_, static_cast<std::size_t>(chunks), [&](std::size_t t, std::size_t) {
            const index_t i0 = static_cast<index_t>(t) * row_chunk_;
            gemv_args g;
            g.m = std::min(row_chunk_, shape_.m - i0);
            g.k = shape_.k;
            g.a = a_.data() + i0 * shape_.k;
            g.lda = shape_.k;
            g.x = x;
            g.bias = bias_.empty() ? nullptr : bias_.data() + i0;
            g.lo = cb.lo;
            g.hi = cb.hi;
            // y is strided when ldc > 1 (a column of C); gather through a small buffer then.
            if (ldc == 1) {
                g.y = c + i0;
                gemv_(g);
            } else {
                float tmp[256];
                for (index_t r = 0; r < g.m; r += 256) {
                    gemv_args h = g;
                    h.m = std::min<index_t>(256, g.m - r);
                    h.a = g.a + r * shape_.k;
                    h.bias = g.bias ? g.bias + r : nullptr;
                    h.y = tmp;
                    gemv_(h);
                    for (index_t i = 0; i < h.m; ++i) c[(i0 + r + i) * ldc] = tmp[i];
                }
            }
        });
    }

    /// The task grid: per task (an N chunk x an M range) and K block, pack(k0, kc, n0, n1, packed,
    /// buf) fills the worker's packed B block (buf: row_group spare rows of the chunk's width),
    /// then the blocks of A run over it.
    template <class Pack>
    void run_blocks(const Pack& pack, float* c, index_t ldc) const
    {
        const clamp_bounds cb = bounds_of(act_);
        const index_t tasks = m_tasks_ * n_tasks_;
        parallel_for(pool_, static_cast<std::size_t>(tasks), [&](std::size_t t, std::size_t worker) {
            const index_t mt = static_cast<index_t>(t) / n_tasks_, nt = static_cast<index_t>(t) % n_tasks_;
            const index_t n0 = nt * nc_, n1 = std::min(shape_.n, n0 + nc_);
            const index_t m0 = mt * m_per_task_, m1 = std::min(shape_.m, m0 + m_per_task_);
            if (m0 >= m1 || n0 >= n1) return;
            float* packed_b = scratch_.data() + static_cast<index_t>(worker) * scratch_stride_;
            float* buf = packed_b + kc_ * round_up(nc_, nr_);
            for (index_t k0 = 0; k0 < shape_.k; k0 += kc_) {
                const index_t kc = std::min(kc_, shape_.k - k0);
                pack(k0, kc, n0, n1, packed_b, buf);
                for (index_t i0 = m0; i0 < m1; i0 += mc_) {
                    gemm_block_args p;
                    p.mc = std::min(mc_, m1 - i0);
                    p.nc = n1 - n0;
                    p.kc = kc;
                    p.a = a_.data() + (i0 / mr_) * a_panel_stride_ + k0 * mr_;
                    p.a_panel_stride = a_panel_stride_;
                    p.b = packed_b;
                    p.c = c + i0 * ldc + n0;
                    p.ldc = ldc;
                    p.accumulate = k0 > 0;
                    p.epilogue = k0 + kc >= shape_.k;
                    p.bias = bias_.empty() ? nullptr : bias_.data() + i0;
                    p.lo = cb.lo;
                    p.hi = cb.hi;
                    block_(p);
                }
            }
        });
    }

    std::string make_name(const char* op, index_t mr, index_t nr) const
    {
        std::string s = "f32_";
        s += op;
        if (act_ != activation::none) (s += "_") += to_string(act_);
        s += "_" + std::to_string(mr) + "x" + (nr ? std::to_string(nr) : std::string("v"));
        return s + "__" + simd::to_string(arch_);
    }

    // A -> panels of mr rows, k-major, zero-padded: panel p holds a[(p*mr + r)][k] at [k*mr + r].
    void pack_a(matrix_view<const float> a)
    {
        const index_t panels = (shape_.m + mr_ - 1) / mr_;
        a_panel_stride_ = detail::checked_mul(shape_.k, mr_, "gemm_plan.k*mr");
        a_ = aligned_buffer<float>(detail::checked_mul(panels, a_panel_stride_, "gemm_plan packed A"), 0, weight_pages);
        for (index_t p = 0; p < panels; ++p) {
            float* dst = a_.data() + p * a_panel_stride_;
            for (index_t r = 0; r < mr_ && p * mr_ + r < shape_.m; ++r) {
                const float* src = a.row(p * mr_ + r);
                for (index_t k = 0; k < shape_.k; ++k) dst[k * mr_ + r] = src[k];
            }
        }
    }

    // Cache blocking and the task grid. kc x nr B slivers live in L1, mc x kc A blocks in L2.
    // B of one sliver (n <= nr: FC layers at small batch) takes the whole K instead: each A panel
    // is then read once, front to back, and the weights stream from DRAM in address order (Zen 5,
    // cold weights, batch 16: fc6 82.8 -> 28.0 ms, fc7 13.5 -> 8.8 ms; oneDNN 21.9 / 3.7).
    void plan_tasks(index_t workers)
    {
        kc_ = shape_.k <= 320 || shape_.n <= nr_ ? shape_.k : 256;
        mc_ = std::max(mr_, (240 / mr_) * mr_);
        // Split N first (B is packed once per chunk), into equal chunks of at most 2048 columns
        // whose count is a multiple of the workers when N is wide enough; then M.
        index_t chunks = (shape_.n + 2047) / 2048;
        if (workers > 1 && shape_.n >= workers * 4 * nr_) chunks = (chunks + workers - 1) / workers * workers;
        nc_ = round_up((shape_.n + chunks - 1) / chunks, nr_);
        n_tasks_ = (shape_.n + nc_ - 1) / nc_;
        m_tasks_ = 1;
        if (n_tasks_ < workers) m_tasks_ = std::min(workers, (shape_.m + mr_ - 1) / mr_);
        m_per_task_ = round_up((shape_.m + m_tasks_ - 1) / m_tasks_, mr_);
        m_tasks_ = (shape_.m + m_per_task_ - 1) / m_per_task_;
    }

    gemm_shape shape_;
    activation act_;
    executor* pool_;
    simd::arch_id arch_ = simd::arch_id::scalar;
    index_t mr_ = 1, nr_ = 1;
    void (*pack_b_)(index_t, index_t, const float*, index_t, float*) noexcept = nullptr;
    void (*pack_b_rows_)(index_t, index_t, index_t, index_t, const float*, index_t, float*) noexcept = nullptr;
    void (*block_)(const gemm_block_args&) noexcept = nullptr;
    void (*gemv_)(const gemv_args&) noexcept = nullptr;
    aligned_buffer<float> a_, bias_;
    mutable aligned_buffer<float> scratch_;  // per worker: packed B block + one row (n = 1: x gathered from a strided column)
    index_t a_panel_stride_ = 0, scratch_stride_ = 0;
    index_t kc_ = 0, mc_ = 0, nc_ = 0, m_tasks_ = 1, n_tasks_ = 1, m_per_task_ = 0, row_chunk_ = 0;
    std::string name_;
};

} // namespace dense
} // namespace finegrain
