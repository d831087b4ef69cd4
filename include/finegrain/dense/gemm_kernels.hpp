// SPDX-License-Identifier: BSD-3-Clause
// Dense fp32 GEMM and GEMV kernels, templated on the architecture tag.
//
// gemm_kernels<Arch>::block
//   Computes: C[i][j] (+)= sum_k A[i][k] * B[k][j] over one cache block, then optionally
//             C[i][j] = clamp(C[i][j] + bias[i], lo, hi) (the epilogue, on the last K block).
//   Layouts:  A is pre-packed by pack_a(): panels of MR rows, each k-major (a[k*MR + r]),
//             the last panel zero-padded. B is packed per block by pack_b(): slivers of NR
//             columns, each k-major (b[k*NR + c]), the last sliver zero-padded. C is row-major
//             with row stride ldc.
//   Tile:     MR x NR register tile (MR rows x NV vectors); see gemm_tile<Arch>. The narrow
//             variants (block_narrow, pack_b_narrow) run MR x one vector, for B of at most one
//             vector of columns (FC layers at small batch), where the full tile is padding.
//   Preconds: mc, nc, kc >= 1; packed buffers hold whole panels/slivers.
//   Memory:   reads only whole packed panels/slivers; writes only the mc x nc block of C. The
//             first sliver of a block prefetches A gemm_stream_prefetch_floats ahead.
//   Numerics: fp32 FMA, k ascending within a block; tolerance vs ref::gemm is c*k*eps*|A||B|.
//
// gemm_kernels<Arch>::gemv
//   Computes: y[i] = clamp(bias[i] + sum_k A[i][k] * x[k], lo, hi), A row-major (lda).
//   Tile:     4 rows x 2 vectors per step; the K remainder runs lane by lane.
//   Numerics: fp32 FMA with per-lane partial sums reduced at the end.
#pragma once

#include <cstddef>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"

namespace finegrain {
namespace dense {

/// Register tile of the GEMM microkernel per architecture: MR rows x NV vectors of lanes.
template <class Arch>
struct gemm_tile;
template <>
struct gemm_tile<simd::scalar> {
    static constexpr index_t mr = 4, nv = 4;
};
template <>
struct gemm_tile<simd::sse4_2> {  // 16 xmm: 12 accumulators + 2 B + 1 A
    static constexpr index_t mr = 6, nv = 2;
};
template <>
struct gemm_tile<simd::avx2> {  // 16 ymm: 12 accumulators + 2 B + 1 A
    static constexpr index_t mr = 6, nv = 2;
};
template <>
struct gemm_tile<simd::avx512> {  // 32 zmm: 24 accumulators + 2 B + 1 A
    static constexpr index_t mr = 12, nv = 2;
};
template <>
struct gemm_tile<simd::neon64> {  // 32 q: 24 accumulators + 3 B + 1 A
    static constexpr index_t mr = 8, nv = 3;
};

/// The first B sliver of a block reads each packed A panel from L3 or DRAM, front to back: its
/// tiles prefetch A this many floats (16 KB) ahead, non-temporal. Zen 5 guest: FC batch 16 (one
/// sliver, 12 x 16 tile) fc7 6.5 -> 2.3 ms, fc6 23 -> 15 ms (oneDNN brgemm 3.6 / 21.5; 1, 2 and
/// 4 KB ahead reached 4.9, 3.9 and 3.0 ms at fc7); vgg_c5_1 as a GEMM (7 slivers) 5.8 -> 4.7 ms.
constexpr index_t gemm_stream_prefetch_floats = 4096;

/// Output and epilogue of one GEMM cache block.
struct gemm_block_args {
    index_t mc = 0, nc = 0, kc = 0;  // block extent: rows, columns, reduction length
    const float* a = nullptr;        // packed A: ceil(mc/MR) panels, each kc*MR floats apart by a_panel_stride
    index_t a_panel_stride = 0;      // floats between consecutive A panels
    const float* b = nullptr;        // packed B: ceil(nc/NR) slivers of kc*NR floats
    float* c = nullptr;              // C block origin
    index_t ldc = 0;                 // C row stride
    bool accumulate = false;         // add to C (later K blocks) instead of overwriting it
    bool epilogue = false;           // apply bias + clamp (last K block)
    const float* bias = nullptr;     // bias for the block's first row, or null
    float lo = 0, hi = 0;            // clamp bounds (epilogue only)
};

struct gemv_args {
    index_t m = 0, k = 0;
    const float* a = nullptr;  // m x k row-major
    index_t lda = 0;
    const float* x = nullptr;  // k
    float* y = nullptr;        // m
    const float* bias = nullptr;
    float lo = 0, hi = 0;
};

template <class Arch>
struct gemm_kernels {
    static constexpr index_t mr = gemm_tile<Arch>::mr;
    static constexpr index_t nr = gemm_tile<Arch>::nv * static_cast<index_t>(simd::lanes_of<float, Arch>());
    /// Columns of the narrow tile (one vector).
    static constexpr index_t narrow_nr = static_cast<index_t>(simd::lanes_of<float, Arch>());

    /// Packs kc rows x nc columns of row-major B (row stride ldb) into NR-wide slivers.
    static void pack_b(index_t kc, index_t nc, const float* b, index_t ldb, float* packed) noexcept;
    static void block(const gemm_block_args& p) noexcept;
    /// The same with narrow_nr-wide slivers and the MR x narrow_nr tile.
    static void pack_b_narrow(index_t kc, index_t nc, const float* b, index_t ldb, float* packed) noexcept;
    /// r rows of B (nc floats each, ldr apart) as rows k..k+r-1 of a packed block of kc rows
    /// (pack_b's layout; plans that make B a few rows at a time, as conv2d_plan's im2col rows).
    static void pack_b_rows(index_t k, index_t r, index_t kc, index_t nc, const float* rows, index_t ldr, float* packed) noexcept;
    static void pack_b_rows_narrow(index_t k, index_t r, index_t kc, index_t nc, const float* rows, index_t ldr, float* packed) noexcept;
    static void block_narrow(const gemm_block_args& p) noexcept;
    static void gemv(const gemv_args& p) noexcept;

private:
    /// kc rows into slivers `stride` floats apart (a whole block: kc * NR).
    template <index_t NV>
    static void pack_b_of(index_t kc, index_t nc, const float* b, index_t ldb, float* packed, index_t stride) noexcept;
    template <index_t NV>
    static void block_of(const gemm_block_args& p) noexcept;
    template <index_t NV, bool PrefetchA>
    static void tile(index_t kc, const float* a, const float* b, float* c, index_t ldc, index_t m_valid,
                     index_t n_valid, const gemm_block_args& p, const float* bias) noexcept;
};

template <class Arch>
void gemm_kernels<Arch>::pack_b(index_t kc, index_t nc, const float* b, index_t ldb, float* packed) noexcept
{
    pack_b_of<gemm_tile<Arch>::nv>(kc, nc, b, ldb, packed, kc * nr);
}

template <class Arch>
void gemm_kernels<Arch>::pack_b_rows(index_t k, index_t r, index_t kc, index_t nc, const float* rows, index_t ldr,
                                     float* packed) noexcept
{
    pack_b_of<gemm_tile<Arch>::nv>(r, nc, rows, ldr, packed + k * nr, kc * nr);
}

template <class Arch>
void gemm_kernels<Arch>::pack_b_rows_narrow(index_t k, index_t r, index_t kc, index_t nc, const float* rows, index_t ldr,
                                            float* packed) noexcept
{
    pack_b_of<1>(r, nc, rows, ldr, packed + k * narrow_nr, kc * narrow_nr);
}

template <class Arch>
void gemm_kernels<Arch>::pack_b_narrow(index_t kc, index_t nc, const float* b, index_t ldb, float* packed) noexcept
{
    pack_b_of<1>(kc, nc, b, ldb, packed, kc * narrow_nr);
}

template <class Arch>
void gemm_kernels<Arch>::block(const gemm_block_args& p) noexcept
{
    block_of<gemm_tile<Arch>::nv>(p);
}

template <class Arch>
void gemm_kernels<Arch>::block_narrow(const gemm_block_args& p) noexcept
{
    block_of<1>(p);
}

template <class Arch>
template <index_t NV>
void gemm_kernels<Arch>::pack_b_of(index_t kc, index_t nc, const float* FINEGRAIN_RESTRICT b, index_t ldb,
                                   float* FINEGRAIN_RESTRICT packed, index_t stride) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = static_cast<index_t>(B::size);
    constexpr index_t NR = NV * W;
    index_t j = 0;
    for (; j + NR <= nc; j += NR, packed += stride) {
        const float* src = b + j;
        float* dst = packed;
        for (index_t k = 0; k < kc; ++k) {
#pragma GCC unroll 4
            for (index_t v = 0; v < NV; ++v) B::load_unaligned(src + v * W).store_unaligned(dst + v * W);
            src += ldb;
            dst += NR;
        }
    }
    if (j < nc) {  // last, partial sliver: zero-padded to NR columns
        const index_t rest = nc - j;
        for (index_t k = 0; k < kc; ++k) {
            const float* src = b + k * ldb + j;
            float* dst = packed + k * NR;
            index_t c = 0;
            for (; c < rest; ++c) dst[c] = src[c];
            for (; c < NR; ++c) dst[c] = 0.0f;
        }
    }
}

template <class Arch>
template <index_t NV, bool PrefetchA>
void gemm_kernels<Arch>::tile(index_t kc, const float* FINEGRAIN_RESTRICT a, const float* FINEGRAIN_RESTRICT b,
                              float* FINEGRAIN_RESTRICT c, index_t ldc, index_t m_valid, index_t n_valid,
                              const gemm_block_args& p, const float* bias) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = static_cast<index_t>(B::size);
    constexpr index_t MR = mr;

    B acc[MR][NV];
#pragma GCC unroll 16
    for (index_t r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (index_t v = 0; v < NV; ++v) acc[r][v] = B(0.0f);

    for (index_t k = 0; k < kc; ++k) {
        if constexpr (PrefetchA) __builtin_prefetch(a + gemm_stream_prefetch_floats, 0, 0);
        B bv[NV];
#pragma GCC unroll 4
        for (index_t v = 0; v < NV; ++v) bv[v] = B::load_unaligned(b + v * W);
#pragma GCC unroll 16
        for (index_t r = 0; r < MR; ++r) {
            const B av(a[r]);
#pragma GCC unroll 4
            for (index_t v = 0; v < NV; ++v) acc[r][v] = simd::fma(av, bv[v], acc[r][v]);
        }
        a += MR;
        b += NV * W;
    }

    const bool full = m_valid == MR && n_valid == NV * W;
    alignas(64) float spill[MR * NV * W];
    float* out = full ? c : spill;
    const index_t ldo = full ? ldc : NV * W;
    if (!full && p.accumulate) {  // gather the valid part of C into the spill tile
        for (index_t r = 0; r < m_valid; ++r)
            for (index_t j = 0; j < n_valid; ++j) spill[r * ldo + j] = c[r * ldc + j];
    }
#pragma GCC unroll 16
    for (index_t r = 0; r < MR; ++r) {
        if (!full && r >= m_valid) break;
        float* row = out + r * ldo;
#pragma GCC unroll 4
        for (index_t v = 0; v < NV; ++v) {
            B x = acc[r][v];
            if (p.accumulate) x = x + B::load_unaligned(row + v * W);
            if (p.epilogue) {
                if (bias) x = x + B(bias[r]);
                x = simd::clamp(x, B(p.lo), B(p.hi));
            }
            x.store_unaligned(row + v * W);
        }
    }
    if (!full) {
        for (index_t r = 0; r < m_valid; ++r)
            for (index_t j = 0; j < n_valid; ++j) c[r * ldc + j] = spill[r * ldo + j];
    }
}

template <class Arch>
template <index_t NV>
void gemm_kernels<Arch>::block_of(const gemm_block_args& p) noexcept
{
    FINEGRAIN_ASSERT(p.mc >= 1 && p.nc >= 1 && p.kc >= 1);
    constexpr index_t NR = NV * static_cast<index_t>(simd::lanes_of<float, Arch>());
    // B sliver (kc x NR) stays in L1 while the A panels of the block stream from L2. The first
    // sliver reads the A block from L3 or DRAM (FC weights, large conv layers): it prefetches A
    // ahead.
    for (index_t j = 0; j < p.nc; j += NR) {
        const float* bs = p.b + (j / NR) * p.kc * NR;
        const index_t n_valid = p.nc - j < NR ? p.nc - j : NR;
        for (index_t i = 0; i < p.mc; i += mr) {
            const float* as = p.a + (i / mr) * p.a_panel_stride;
            const index_t m_valid = p.mc - i < mr ? p.mc - i : mr;
            float* cs = p.c + i * p.ldc + j;
            const float* bias = p.bias ? p.bias + i : nullptr;
            if (j == 0)
                tile<NV, true>(p.kc, as, bs, cs, p.ldc, m_valid, n_valid, p, bias);
            else
                tile<NV, false>(p.kc, as, bs, cs, p.ldc, m_valid, n_valid, p, bias);
        }
    }
}

template <class Arch>
void gemm_kernels<Arch>::gemv(const gemv_args& p) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = static_cast<index_t>(B::size);
    const index_t kv = p.k - p.k % (2 * W);  // vectorised part of each row
    auto finish = [&](index_t i, float s) {
        if (p.bias) s += p.bias[i];
        s = s < p.lo ? p.lo : s;
        p.y[i] = s > p.hi ? p.hi : s;
    };
    index_t i = 0;
    for (; i + 4 <= p.m; i += 4) {
        const float* r0 = p.a + i * p.lda;
        const float* r1 = r0 + p.lda;
        const float* r2 = r1 + p.lda;
        const float* r3 = r2 + p.lda;
        B s00(0.f), s01(0.f), s10(0.f), s11(0.f), s20(0.f), s21(0.f), s30(0.f), s31(0.f);
        for (index_t k = 0; k < kv; k += 2 * W) {
            const B x0 = B::load_unaligned(p.x + k), x1 = B::load_unaligned(p.x + k + W);
            s00 = simd::fma(B::load_unaligned(r0 + k), x0, s00);
            s01 = simd::fma(B::load_unaligned(r0 + k + W), x1, s01);
            s10 = simd::fma(B::load_unaligned(r1 + k), x0, s10);
            s11 = simd::fma(B::load_unaligned(r1 + k + W), x1, s11);
            s20 = simd::fma(B::load_unaligned(r2 + k), x0, s20);
            s21 = simd::fma(B::load_unaligned(r2 + k + W), x1, s21);
            s30 = simd::fma(B::load_unaligned(r3 + k), x0, s30);
            s31 = simd::fma(B::load_unaligned(r3 + k + W), x1, s31);
        }
        float t0 = simd::reduce_add(s00 + s01), t1 = simd::reduce_add(s10 + s11);
        float t2 = simd::reduce_add(s20 + s21), t3 = simd::reduce_add(s30 + s31);
        for (index_t k = kv; k < p.k; ++k) {
            const float xk = p.x[k];
            t0 += r0[k] * xk;
            t1 += r1[k] * xk;
            t2 += r2[k] * xk;
            t3 += r3[k] * xk;
        }
        finish(i, t0);
        finish(i + 1, t1);
        finish(i + 2, t2);
        finish(i + 3, t3);
    }
    for (; i < p.m; ++i) {
        const float* r0 = p.a + i * p.lda;
        B s0(0.f), s1(0.f);
        for (index_t k = 0; k < kv; k += 2 * W) {
            s0 = simd::fma(B::load_unaligned(r0 + k), B::load_unaligned(p.x + k), s0);
            s1 = simd::fma(B::load_unaligned(r0 + k + W), B::load_unaligned(p.x + k + W), s1);
        }
        float t = simd::reduce_add(s0 + s1);
        for (index_t k = kv; k < p.k; ++k) t += r0[k] * p.x[k];
        finish(i, t);
    }
}

} // namespace dense
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::dense::gemm_kernels)
