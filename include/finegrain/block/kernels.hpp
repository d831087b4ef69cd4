// SPDX-License-Identifier: BSD-3-Clause
// Block-sparse fp32 kernels, templated on the architecture tag. One SpMM serves FC layers
// (batch >= 2), 1x1 convolutions (NCHW) and block-punched 3x3 convolutions (on a padded input);
// one SpMV serves FC at batch 1.
//
// bsr_kernels<Arch>::spmm
//   Computes: for block rows [row_begin, row_end) and pixels n in [n_begin, n_end):
//             Y[i][n] = clamp(bias[i] + sum_b sum_j W_b[i][j] * X_b[j][n], lo, hi), rows i < m only,
//             where block b of the row starts at X + col[b] * col_stride and its j-th input row is
//             row_step further per j (j < c; rows past `k_limit` skipped, see below).
//   Layouts:  BSR (block/format.hpp): row_ptr, col (any uint32 "column unit"), values r*c per
//             block, column-major inside the block. X, Y: rows of pixels, the pixel dimension
//             contiguous (NCHW planes, or k x n / m x n row-major matrices); Y row stride ldy.
//   Tile:     RT block rows x NV pixel vectors of accumulators (spmm_rows/spmm_vectors below);
//             per block: c*NV activation loads, RT*c weight broadcasts, RT*c*NV FMAs. Blocks
//             taller than RT run as r/RT row passes, back to back on each tile (the later
//             passes read the tile's X rows from L1). Leftover vectors take tiles of NV/2
//             vectors while NV > 5, then one vector fewer per step down to 1; a last partial
//             vector is computed at n_end - lanes (overlapping, rewriting the same values) when
//             the range holds >= lanes pixels, else lane by lane. Tiles of < 6 accumulators on
//             rows of >= spmm_split_min_blocks 1-column blocks rotate over 2 or 4 accumulator
//             sets (FMA latency). Blocks of r = lanes or 2 lanes rows
//             on rows of >= spmm_channel_tail_min_blocks blocks compute the pixels past the last
//             full vector in channel tiles instead: the vector over the block's r rows (r/lanes
//             weight vectors per block column, loaded from the values) times each pixel's X
//             value broadcast, up to (registers - 2) / (2 r/lanes) pixels per tile, 1, 2 or 4
//             accumulator sets so that >= 8 FMA chains run; bias and clamp on the vectors, Y
//             rows < m written through a stack tile (the tail's 1..lanes-1 pixels per row:
//             1 FMA per block column and pixel instead of r/RT passes of RT vector FMAs).
//             1-column blocks of r = lanes/2 or lanes/4 rows on rows of >=
//             spmm_group_tail_min_blocks blocks with 1 or 2 pixels left run group tiles: G =
//             lanes/r consecutive blocks per weight vector, X parts built by one multiply and G-1
//             FMAs per pixel (group_tile).
//   Preconds: r, c in {1,2,4,8,16}; row_ptr/col/values valid (validated at pack time); every
//             X row read (col*col_stride + j*row_step + n, n < n_end) in bounds for
//             col*c + j < k_limit; n_end - n_begin >= lanes or n_begin = 0 (so the overlapping
//             vector stays inside the caller's range).
//   Memory:   reads X only inside [n_begin, n_end) (or [n_end - lanes, n_end)); writes only
//             Y rows < m, pixels in the range. Nothing over-reads. With
//             prefetch_blocks = d > 0 (c = 1): reads col up to d entries past the row's last block
//             (the caller pads col) and prefetches the X rows of the block d ahead (prefetches
//             never fault). With stream_values: prefetches values and col up to
//             spmm_values_prefetch_floats (and as many blocks) ahead, never reads them. With seg
//             (1x1 blocks, spmm_segments): Y holds partial sums between
//             input-row chunks (so Y must not overlap X); the final values are the same bits.
//   Numerics: fp32 FMA, blocks in stored order, j ascending inside a block (split narrow
//             tiles and channel tiles: block b into set (b - first) mod S, sets summed pairwise
//             at the end; group tiles: blocks Gq..Gq+G-1 into set q mod 4, the sets summed, then
//             the G parts, then the last < G blocks); bias added and clamp applied only when
//             bias is non-null / clamp is set.
//
// bsr_kernels<Arch>::spmv_u16 / spmv_u32
//   Computes: y[i] = clamp(bias[i] + sum_b sum_j W_b[i][j] * x[col[b]*c + j], lo, hi) for block rows
//             [row_begin, row_end), rows i < m; x entries at or past k are never read.
//   Layouts:  as spmm, with the block-column indices compacted to uint16 (any matrix with
//             <= 65536 block columns) or uint32: FC at batch 1 streams the weights from DRAM,
//             so bytes per nonzero decide the speed.
//   Paths:    r a multiple of the lanes: r/lanes weight vectors x broadcast x, two blocks in
//             flight; with `interleave` (c = 1, r = lanes or 2 lanes) the rows are cut into
//             spmv_streams equal parts and block row t of every part runs at once (4 values
//             and 4 index streams in flight: more DRAM pages open on one core), one partial
//             sum per row; r = 1 and c a multiple of the lanes: vector dot products; otherwise
//             scalar FMAs over blocks with up to 4 partial sums per row.
//   Numerics: fp32 FMA with partial sums reduced at the end of each block row (the interleaved
//             path: blocks in stored order into one sum).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "finegrain/core/config.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"

namespace finegrain {
namespace block {

/// Vector registers the SpMM tile may plan with (scalar: 16 scalar registers).
template <class Arch>
constexpr index_t spmm_registers() noexcept
{
    return (Arch::id == simd::arch_id::avx512 || Arch::id == simd::arch_id::neon64) ? 32 : 16;
}
/// Block rows held in registers at once: 4 on 16-register ISAs (4 rows x 3 vectors = 7 loads
/// per 12 FMAs; an 8-row tile would leave room for 1 vector, 9 loads per 8 FMAs), 8 on
/// 32-register ones (8 x 3). Taller blocks run as several row passes over the same blocks.
template <class Arch>
constexpr index_t spmm_rows(index_t r) noexcept
{
    return r < (spmm_registers<Arch>() == 32 ? 8 : 4) ? r : (spmm_registers<Arch>() == 32 ? 8 : 4);
}
/// Pixel vectors per tile for `rt` rows: rt*NV accumulators + NV loads + 1 broadcast fit the file.
template <class Arch>
constexpr index_t spmm_vectors(index_t rt) noexcept
{
    if (spmm_registers<Arch>() == 32) return rt >= 16 ? 1 : rt >= 8 ? 3 : rt >= 4 ? 5 : rt >= 2 ? 8 : 16;
    return rt >= 8 ? 1 : rt >= 4 ? 3 : rt >= 2 ? 5 : 12;
}

/// SpMM, blocks taller than the register tile: the later row passes on a tile prefetch X again when
/// the row's tile-wide X slice exceeds this (it no longer sits in L1 after the first pass).
constexpr index_t spmm_pass_l1_bytes = 16 * 1024;

/// SpMM over values of at least this many bytes (FC weights, read from L3 or DRAM every call):
/// the tiles prefetch the values spmm_values_prefetch_floats ahead and the column indices as
/// many blocks ahead. Zen 5, fc7 batch 16 cold, 90 %: 8x1 0.68 -> 0.40 ms, 4x1 0.85 -> 0.40, 1x1
/// 1.28 -> 0.88; the 1x1 conv layers (weights in L2) lost 1-3 % with it, so they go without.
constexpr index_t spmm_stream_values_bytes = index_t(2) << 20;
constexpr index_t spmm_values_prefetch_floats = 4096;

/// SpMM, narrow tiles (< 6 accumulators, a row's leftover vectors): rows of at least this many
/// blocks rotate over 2 or 4 accumulator sets (measured, 1x1 blocks at 70 %: 7x7 layers with
/// K >= 160 +7-14 %; on rows of 2-20 blocks the split lost 3-7 %: out-of-order execution
/// overlaps a short chain with the next row's work).
constexpr index_t spmm_split_min_blocks = 40;

/// SpMM, blocks of lanes or 2 lanes rows: on rows of at least this many blocks the pixels past the
/// last full vector (fewer than lanes) run as channel tiles (channel_tail). Measured, 8x1 on AVX2,
/// 7x7 layers (49 pixels): rows of 96-614 blocks +3-14 % at 30/70/90 %; rows of 16-48 blocks lost
/// 4-15 % (tile set-up and the transposed store outweigh the saved FMAs).
constexpr index_t spmm_channel_tail_min_blocks = 64;
/// The same for group tiles (1-column blocks of lanes/2 or lanes/4 rows, 1 or 2 pixels left).
/// Measured on Zen 5, 7x7 layers, against 64: 4x1 @90 mbv2_exp_7 (16 blocks a row) 4.16 -> 4.47,
/// mbv2_last (32) 4.90 -> 5.85, 8x1 6.20 -> 7.82.
constexpr index_t spmm_group_tail_min_blocks = 16;

/// SpMV on 1-column blocks of lanes or 2 lanes rows: block-row parts streamed at once
/// (measured on VGG fc6 8x1 @90 %, 43.7 MB from DRAM: 1 stream 14 GB/s, 2: 17, 4: 19, 8: 16.5).
constexpr int spmv_streams = 4;

struct spmm_args {
    index_t r = 1, c = 1;                  // block shape
    index_t row_begin = 0, row_end = 0;    // block rows to compute
    index_t m = 0;                         // matrix rows: Y rows >= m are not stored
    index_t k_limit = 0;                   // block input rows col*c + j >= k_limit are skipped
    const std::uint32_t* row_ptr = nullptr;
    const std::uint32_t* col = nullptr;    // per block: column unit, X offset = col * col_stride
    const float* values = nullptr;
    index_t col_stride = 0;                // X elements per column unit
    index_t row_step = 0;                  // X elements between the c input rows of a block
    const float* x = nullptr;              // X at pixel 0
    index_t n_begin = 0, n_end = 0;        // pixel range
    float* y = nullptr;                    // Y row 0 at pixel 0
    index_t ldy = 0;
    const float* bias = nullptr;           // m values or null
    float lo = 0, hi = 0;                  // clamp bounds
    bool clamp = true;                     // false: stored unclamped (activation::none)
    index_t prefetch_blocks = 0;           // c = 1: prefetch X rows this many blocks ahead
    bool stream_values = false;            // prefetch values and column indices ahead (spmm_stream_values_bytes)
    // Input-row segments (1x1 blocks only, null = off; see spmm_segments): per block row
    // seg_chunks + 1 block indices, seg[rb * (seg_chunks + 1) + q] = first block of input-row
    // chunk q, the last entry = row_ptr[rb + 1].
    const std::uint32_t* seg = nullptr;
    index_t seg_chunks = 1;
    index_t seg_rows = 1;                  // block rows per group
    bool seg_half = false;                 // segment tiles of half the pixel vectors
};

struct spmv_args {
    index_t r = 1, c = 1;
    index_t row_begin = 0, row_end = 0;
    index_t m = 0, k = 0;                  // matrix rows and columns
    const std::uint32_t* row_ptr = nullptr;
    const void* col = nullptr;             // uint16_t or uint32_t block-column indices
    const float* values = nullptr;
    const float* x = nullptr;              // k values
    float* y = nullptr;                    // m values
    const float* bias = nullptr;
    float lo = 0, hi = 0;
    bool interleave = false;               // r = lanes or 2 lanes, c = 1: spmv_streams block-row parts at once
};

template <class Arch>
struct bsr_kernels {
    static constexpr index_t lanes = static_cast<index_t>(simd::lanes_of<float, Arch>());

    static void spmm(const spmm_args& p) noexcept;
    static void spmv_u16(const spmv_args& p) noexcept;
    static void spmv_u32(const spmv_args& p) noexcept;

private:
    template <int RT, bool C1, bool Passes = false>
    static void spmm_rows_of(const spmm_args& p, index_t n_start) noexcept;
    template <int RT, bool C1, bool Passes, int NV>
    static void spmm_vectors_of(const spmm_args& p, index_t rb, index_t& n) noexcept;
    template <int NV>
    static void spmm_segments(const spmm_args& p) noexcept;
    template <class B, int RT, int NV, bool C1, bool Passes>
    static void tile(const spmm_args& p, index_t rb, index_t n0) noexcept;
    template <class B, int RT, int NV, bool C1, bool LoadY, bool Finish, int S = 1>
    static void tile_blocks(const spmm_args& p, index_t rb, index_t row_off, index_t n0, index_t b0, index_t b1,
                            index_t prefetch) noexcept;
    template <int G, int P>
    static void group_tile(const spmm_args& p, index_t rb, index_t n0) noexcept;
    template <int RV>
    static void channel_tail(const spmm_args& p, index_t rb, index_t n) noexcept;
    template <int RV, int P>
    static void channel_tile_of(const spmm_args& p, index_t rb, index_t n0, index_t pixels) noexcept;
    template <int RV, int P, int S>
    static void channel_tile(const spmm_args& p, index_t rb, index_t n0) noexcept;

    template <class Index>
    static void spmv(const spmv_args& p) noexcept;
    template <class Index, int RV>
    static void spmv_vector_rows(const spmv_args& p) noexcept;
    template <class Index, int RV, int S>
    static void spmv_interleaved_rows(const spmv_args& p) noexcept;
    template <class Index>
    static void spmv_dot(const spmv_args& p) noexcept;
    template <class Index, int R>
    static void spmv_scalar_rows(const spmv_args& p) noexcept;
    static void spmv_store(const spmv_args& p, index_t row, index_t rows, const float* acc) noexcept;
};

// ---- SpMM -------------------------------------------------------------------------------------

template <class Arch>
template <class B, int RT, int NV, bool C1, bool Passes>
void bsr_kernels<Arch>::tile(const spmm_args& p, index_t rb, index_t n0) noexcept
{
    const index_t b0 = p.row_ptr[rb], b1 = p.row_ptr[rb + 1];
    if constexpr (!Passes) {  // r = RT
        // Narrow tiles (a row's leftover vectors: RT * NV < 6 accumulators) on long rows: the
        // FMA latency chain outgrows what out-of-order execution overlaps (1x1 blocks, one vector:
        // 4 cycles per block), so 1-column blocks rotate over S accumulator sets.
        constexpr int S = !C1 || RT * NV >= 6 ? 1 : RT * NV >= 3 ? 2 : 4;
        if (S > 1 && b1 - b0 >= spmm_split_min_blocks)
            tile_blocks<B, RT, NV, C1, false, true, S>(p, rb, 0, n0, b0, b1, p.prefetch_blocks);
        else
            tile_blocks<B, RT, NV, C1, false, true>(p, rb, 0, n0, b0, b1, p.prefetch_blocks);
    } else {
        // Blocks taller than RT (8x1 / 16x1 on 16-register ISAs) run their RT-row passes back to
        // back on the same tile: the first pass brings the tile's X rows into L1, the later ones
        // read them there (and prefetch only when the row's tile-wide X slice exceeds
        // spmm_pass_l1_bytes).
        const index_t later_prefetch =
            (b1 - b0) * NV * index_t(B::size) * index_t(sizeof(float)) > spmm_pass_l1_bytes ? p.prefetch_blocks : 0;
        for (index_t off = 0; off < p.r && rb * p.r + off < p.m; off += RT)
            tile_blocks<B, RT, NV, C1, false, true>(p, rb, off, n0, b0, b1,
                                                    off == 0 ? p.prefetch_blocks : later_prefetch);
    }
}

// Blocks [b0, b1) of block row rb on one tile. LoadY: start from the partial sums stored in Y
// (rows < m) instead of zero; Finish: add bias, clamp; else Y receives the raw partial sums.
template <class Arch>
template <class B, int RT, int NV, bool C1, bool LoadY, bool Finish, int S>
void bsr_kernels<Arch>::tile_blocks(const spmm_args& p, index_t rb, index_t row_off, index_t n0, index_t b0,
                                    index_t b1, index_t prefetch) noexcept
{
    constexpr index_t W = static_cast<index_t>(B::size);
    static_assert(S == 1 || S == 2 || S == 4, "accumulator sets");
    const index_t row0 = rb * p.r + row_off;
    B acc[RT][NV], more[S][RT][NV];
#pragma GCC unroll 16
    for (int i = 0; i < RT; ++i) {
        if (LoadY && row0 + i < p.m) {
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = B::load_unaligned(p.y + (row0 + i) * p.ldy + n0 + v * W);
        } else {
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = B(0.0f);
        }
    }

    const index_t r = p.r, c = p.c, rc = r * c;
    const std::uint32_t* FINEGRAIN_RESTRICT col = p.col;
    const float* FINEGRAIN_RESTRICT w = p.values + b0 * rc + row_off;
    const float* FINEGRAIN_RESTRICT x = p.x + n0;
    // (Written out at both loops: as a lambda GCC 12 kept it out of line and the gain was lost.)
    const bool stream = p.stream_values;
    const index_t blocks_ahead = spmm_values_prefetch_floats / rc;
    index_t b = b0;
    if constexpr (S > 1) {  // S accumulator sets: block b + s into set s, summed at the end
#pragma GCC unroll 4
        for (int s = 1; s < S; ++s)
#pragma GCC unroll 16
            for (int i = 0; i < RT; ++i)
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v) more[s][i][v] = B(0.0f);
        for (; b + S <= b1; b += S, w += S * rc) {
            if (stream) {
                __builtin_prefetch(w + spmm_values_prefetch_floats, 0, 0);
                __builtin_prefetch(col + b + blocks_ahead, 0, 0);
            }
#pragma GCC unroll 4
            for (int s = 0; s < S; ++s) {
                const float* xb = x + static_cast<index_t>(col[b + s]) * p.col_stride;
                B xv[NV];
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v) xv[v] = B::load_unaligned(xb + v * W);
#pragma GCC unroll 16
                for (int i = 0; i < RT; ++i) {
                    const B wi(w[s * rc + i]);
#pragma GCC unroll 16
                    for (int v = 0; v < NV; ++v) {
                        B& a = s == 0 ? acc[i][v] : more[s][i][v];
                        a = simd::fma(wi, xv[v], a);
                    }
                }
            }
        }
#pragma GCC unroll 16
        for (int i = 0; i < RT; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) {
                if constexpr (S == 2) acc[i][v] = acc[i][v] + more[1][i][v];
                if constexpr (S == 4) acc[i][v] = (acc[i][v] + more[1][i][v]) + (more[2][i][v] + more[3][i][v]);
            }
    }
    for (; b < b1; ++b, w += rc) {
        if (stream) {
            __builtin_prefetch(w + spmm_values_prefetch_floats, 0, 0);
            __builtin_prefetch(col + b + blocks_ahead, 0, 0);
        }
        const index_t unit = static_cast<index_t>(col[b]);
        const float* xb = x + unit * p.col_stride;
        if (C1) {
            if (prefetch > 0) {  // X rows come from L2: start a later block's rows now
                const float* xf = x + static_cast<index_t>(col[b + prefetch]) * p.col_stride;
#pragma GCC unroll 16
                for (index_t q = 0; q < NV * W; q += 16) __builtin_prefetch(xf + q, 0, 3);
                __builtin_prefetch(xf + NV * W - 1, 0, 3);
            }
            B xv[NV];
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) xv[v] = B::load_unaligned(xb + v * W);
#pragma GCC unroll 16
            for (int i = 0; i < RT; ++i) {
                const B wi(w[i]);
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v) acc[i][v] = simd::fma(wi, xv[v], acc[i][v]);
            }
        } else {
            const index_t jn = unit * c + c > p.k_limit ? p.k_limit - unit * c : c;
            for (index_t j = 0; j < jn; ++j) {
                const float* xr = xb + j * p.row_step;
                const float* wj = w + j * r;
                B xv[NV];
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v) xv[v] = B::load_unaligned(xr + v * W);
#pragma GCC unroll 16
                for (int i = 0; i < RT; ++i) {
                    const B wi(wj[i]);
#pragma GCC unroll 16
                    for (int v = 0; v < NV; ++v) acc[i][v] = simd::fma(wi, xv[v], acc[i][v]);
                }
            }
        }
    }

    // Epilogue: bias and clamp only when there are some.
    const B lo(p.lo), hi(p.hi);
#pragma GCC unroll 16
    for (int i = 0; i < RT; ++i) {
        const index_t row = row0 + i;
        if (row >= p.m) break;
        if (Finish && p.bias) {
            const B bias(p.bias[row]);
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = acc[i][v] + bias;
        }
        if (Finish && p.clamp) {
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = simd::clamp(acc[i][v], lo, hi);
        }
        float* yr = p.y + row * p.ldy + n0;
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) acc[i][v].store_unaligned(yr + v * W);
    }
}

// Channel tile: P pixels from n0 of block row rb (r = RV * lanes rows), the vector over the rows:
// per block column one weight vector per RV times each pixel's X value broadcast, S accumulator
// sets (block b into set (b - first) mod S, summed at the end).
template <class Arch>
template <int RV, int P, int S>
void bsr_kernels<Arch>::channel_tile(const spmm_args& p, index_t rb, index_t n0) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = lanes, r = RV * W;
    B acc[S][P][RV];
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 16
        for (int t = 0; t < P; ++t)
#pragma GCC unroll 4
            for (int v = 0; v < RV; ++v) acc[s][t][v] = B(0.0f);

    const index_t c = p.c, b1 = p.row_ptr[rb + 1];
    const std::uint32_t* FINEGRAIN_RESTRICT col = p.col;
    index_t b = p.row_ptr[rb];
    const float* FINEGRAIN_RESTRICT w = p.values + b * c * r;
    const float* FINEGRAIN_RESTRICT x = p.x + n0;
    for (; b + S <= b1; b += S, w += S * c * r) {
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) {
            const index_t unit = static_cast<index_t>(col[b + s]);
            const index_t jn = unit * c + c > p.k_limit ? p.k_limit - unit * c : c;
            for (index_t j = 0; j < jn; ++j) {
                const float* xr = x + unit * p.col_stride + j * p.row_step;
                const float* wj = w + (s * c + j) * r;
#pragma GCC unroll 16
                for (int t = 0; t < P; ++t) {
                    const B xt(xr[t]);
#pragma GCC unroll 4
                    for (int v = 0; v < RV; ++v) acc[s][t][v] = simd::fma(B::load_unaligned(wj + v * W), xt, acc[s][t][v]);
                }
            }
        }
    }
    for (; b < b1; ++b, w += c * r) {
        const index_t unit = static_cast<index_t>(col[b]);
        const index_t jn = unit * c + c > p.k_limit ? p.k_limit - unit * c : c;
        for (index_t j = 0; j < jn; ++j) {
            const float* xr = x + unit * p.col_stride + j * p.row_step;
#pragma GCC unroll 16
            for (int t = 0; t < P; ++t) {
                const B xt(xr[t]);
#pragma GCC unroll 4
                for (int v = 0; v < RV; ++v) acc[0][t][v] = simd::fma(B::load_unaligned(w + j * r + v * W), xt, acc[0][t][v]);
            }
        }
    }

    // Sets summed, bias and clamp on the vectors, then out through a stack tile (lane i of pixel
    // t's vector v is row v * W + i).
    const index_t row0 = rb * r, rows = p.m - row0 < r ? p.m - row0 : r;
    alignas(64) float tile[P * r];
    B bias[RV];
    for (index_t i = 0; i < r; ++i) tile[i] = p.bias && i < rows ? p.bias[row0 + i] : 0.0f;  // row i's bias
#pragma GCC unroll 4
    for (int v = 0; v < RV; ++v) bias[v] = B::load_aligned(tile + v * W);
    const B lo(p.lo), hi(p.hi);
#pragma GCC unroll 16
    for (int t = 0; t < P; ++t)
#pragma GCC unroll 4
        for (int v = 0; v < RV; ++v) {
            B a = acc[0][t][v];
            if constexpr (S == 2) a = a + acc[1][t][v];
            if constexpr (S == 4) a = (a + acc[1][t][v]) + (acc[2][t][v] + acc[3][t][v]);
            if (p.bias) a = a + bias[v];
            if (p.clamp) a = simd::clamp(a, lo, hi);
            a.store_aligned(tile + t * r + v * W);
        }
    float* FINEGRAIN_RESTRICT y = p.y + row0 * p.ldy + n0;
    for (index_t i = 0; i < rows; ++i, y += p.ldy)
#pragma GCC unroll 16
        for (int t = 0; t < P; ++t) y[t] = tile[t * r + i];
}

/// W zeros, R ones, W zeros: the W floats from W - g*R are the lane mask of part g (lanes [gR, (g+1)R)).
template <index_t W, index_t R>
struct part_masks {
    static constexpr std::array<float, 2 * W + R> make() noexcept
    {
        std::array<float, 2 * W + R> t{};
        for (index_t i = W; i < W + R; ++i) t[std::size_t(i)] = 1.0f;
        return t;
    }
    alignas(64) static constexpr std::array<float, 2 * W + R> values = make();
};

// Group tile: P pixels from n0 of block row rb, 1-column blocks of r = lanes/G rows (G = 2 or
// 4). Blocks b..b+G-1 fill one weight vector (their values are consecutive): lanes [g r, (g+1) r)
// row i of block b+g, times X vectors with block b+g's pixel value in those lanes (one multiply
// and G-1 FMAs per pixel); 4 accumulator sets; the G parts are summed at the end and the last
// b1 - b < G blocks added, row by row.
template <class Arch>
template <int G, int P>
void bsr_kernels<Arch>::group_tile(const spmm_args& p, index_t rb, index_t n0) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = lanes, r = W / G;
    constexpr int S = 4;
    alignas(64) float tile[P * W];
    B part[G];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) part[g] = B::load_unaligned(part_masks<W, r>::values.data() + W - g * r);
    B acc[S][P];
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 4
        for (int t = 0; t < P; ++t) acc[s][t] = B(0.0f);

    const index_t b1 = p.row_ptr[rb + 1];
    const std::uint32_t* FINEGRAIN_RESTRICT col = p.col;
    index_t b = p.row_ptr[rb];
    const float* FINEGRAIN_RESTRICT w = p.values + b * r;
    const float* FINEGRAIN_RESTRICT x = p.x + n0;
    // Blocks first..first+G-1 into a[0..P) (written out at both loops: GCC 12 kept a lambda out
    // of line, the accumulators in memory).
#define FINEGRAIN_GROUP_STEP(first, wq, a)                                                        \
    {                                                                                             \
        const float* xg[G];                                                                       \
        _Pragma("GCC unroll 4") for (int g = 0; g < G; ++g) xg[g] =                               \
            x + static_cast<index_t>(col[(first) + g]) * p.col_stride;                            \
        const B wv = B::load_unaligned(wq);                                                       \
        _Pragma("GCC unroll 4") for (int t = 0; t < P; ++t)                                       \
        {                                                                                         \
            B xv = B(xg[0][t]) * part[0];                                                         \
            _Pragma("GCC unroll 4") for (int g = 1; g < G; ++g) xv = simd::fma(B(xg[g][t]), part[g], xv); \
            (a)[t] = simd::fma(wv, xv, (a)[t]);                                                   \
        }                                                                                         \
    }
    for (; b + G * S <= b1; b += G * S, w += G * S * r)
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) FINEGRAIN_GROUP_STEP(b + G * s, w + G * s * r, acc[s])
    for (; b + G <= b1; b += G, w += G * r) FINEGRAIN_GROUP_STEP(b, w, acc[0])
#undef FINEGRAIN_GROUP_STEP
#pragma GCC unroll 4
    for (int t = 0; t < P; ++t)
        ((acc[0][t] + acc[1][t]) + (acc[2][t] + acc[3][t])).store_aligned(tile + t * W);
    // The G parts, the last < G blocks, bias and clamp per row and pixel in scalar code: the
    // narrow loads of the tile forward from its stores (shifted vector loads stalled on them:
    // rows of ~100 blocks lost 15 % to the overlapping vector tile).
    const index_t row0 = rb * r, rows = p.m - row0 < r ? p.m - row0 : r;
    float* FINEGRAIN_RESTRICT y = p.y + row0 * p.ldy + n0;
    for (index_t i = 0; i < rows; ++i, y += p.ldy)
#pragma GCC unroll 4
        for (int t = 0; t < P; ++t) {
            float v = tile[t * W + i];
#pragma GCC unroll 4
            for (int g = 1; g < G; ++g) v += tile[t * W + g * r + i];
            for (index_t e = b; e < b1; ++e) v += p.values[e * r + i] * x[static_cast<index_t>(col[e]) * p.col_stride + t];
            if (p.bias) v += p.bias[row0 + i];
            if (p.clamp) v = simd::clamp(simd::scalar_batch<float>(v), simd::scalar_batch<float>(p.lo), simd::scalar_batch<float>(p.hi)).v;
            y[t] = v;
        }
}

// A channel tile of `pixels` (1..P) pixels; tiles of fewer than 8 accumulator vectors (FMA latency
// x 2 ports) rotate over 2 or 4 sets (the rows are long: spmm_channel_tail_min_blocks).
template <class Arch>
template <int RV, int P>
void bsr_kernels<Arch>::channel_tile_of(const spmm_args& p, index_t rb, index_t n0, index_t pixels) noexcept
{
    if (pixels == P) {
        channel_tile<RV, P, (RV * P >= 8 ? 1 : RV * P >= 4 ? 2 : 4)>(p, rb, n0);
    } else if constexpr (P > 1) {
        channel_tile_of<RV, P - 1>(p, rb, n0, pixels);
    }
}

// The pixels [n, n_end) (fewer than lanes) of block row rb in channel tiles, for blocks of lanes
// (RV = 1) or 2 lanes (RV = 2) rows: one FMA per block column and pixel, no idle lanes.
template <class Arch>
template <int RV>
void bsr_kernels<Arch>::channel_tail(const spmm_args& p, index_t rb, index_t n) noexcept
{
    constexpr index_t P = (spmm_registers<Arch>() - 2) / (2 * RV) < lanes - 1 ? (spmm_registers<Arch>() - 2) / (2 * RV)
                                                                               : lanes - 1;
    for (; n < p.n_end; n += P) {
        const index_t pixels = p.n_end - n < P ? p.n_end - n : P;
        channel_tile_of<RV, int(P)>(p, rb, n, pixels);
    }
}

template <class Arch>
template <int RT, bool C1, bool Passes, int NV>
void bsr_kernels<Arch>::spmm_vectors_of(const spmm_args& p, index_t rb, index_t& n) noexcept
{
    using B = simd::batch<float, Arch>;
    for (; n + NV * lanes <= p.n_end; n += NV * lanes) tile<B, RT, NV, C1, Passes>(p, rb, n);
    // Leftover vectors: halve the tile down to 5 or fewer vectors, then one fewer at a time (a
    // 7x7 layer's 49 pixels on the avx512 4 x 80 tile: one 48-pixel pass instead of 32 + 16, 4x1
    // blocks on Zen 5 +17-27 %).
    if constexpr (NV > 1) spmm_vectors_of<RT, C1, Passes, (NV > 5 ? NV / 2 : NV - 1)>(p, rb, n);
}

template <class Arch>
template <int RT, bool C1, bool Passes>
void bsr_kernels<Arch>::spmm_rows_of(const spmm_args& p, index_t n_start) noexcept
{
    constexpr int NV = static_cast<int>(spmm_vectors<Arch>(RT));
    for (index_t rb = p.row_begin; rb < p.row_end; ++rb) {
        index_t n = n_start;
        spmm_vectors_of<RT, C1, Passes, NV>(p, rb, n);
        if (n < p.n_end) {
            if constexpr (lanes > 1) {  // the last pixels with vectors over the rows
                const index_t blocks = index_t(p.row_ptr[rb + 1] - p.row_ptr[rb]);
                if (blocks >= spmm_channel_tail_min_blocks && (p.r == lanes || p.r == 2 * lanes)) {
                    p.r == lanes ? channel_tail<1>(p, rb, n) : channel_tail<2>(p, rb, n);
                    continue;
                }
                if (blocks >= spmm_group_tail_min_blocks) {
                    if (C1 && p.n_end - n <= 2 && (2 * p.r == lanes || 4 * p.r == lanes)) {
                        const bool one = p.n_end - n == 1;
                        if (2 * p.r == lanes)
                            one ? group_tile<2, 1>(p, rb, n) : group_tile<2, 2>(p, rb, n);
                        else
                            one ? group_tile<4, 1>(p, rb, n) : group_tile<4, 2>(p, rb, n);
                        continue;
                    }
                }
            }
            if (p.n_end - p.n_begin >= lanes) {  // one overlapping vector ends the range
                tile<simd::batch<float, Arch>, RT, 1, C1, Passes>(p, rb, p.n_end - lanes);
            } else {
                for (; n < p.n_end; ++n) tile<simd::scalar_batch<float>, RT, 1, C1, Passes>(p, rb, n);
            }
        }
    }
}

// 1x1 blocks, input-row segments: for each group of seg_rows rows, each full tile (NV vectors: the
// register tile's, or half of it with seg_half), each input-row chunk q, each row of the group:
// the blocks of chunk q, accumulated through Y and finished (bias, clamp) on the last chunk. The chunk's X slice (about 24 KB) stays in L1 while the
// group's rows read it, and the group's Y tile (about 16 KB) stays there between chunks; in the
// row-by-row order every FMA's X vector comes from L2. Pixels past the last full tile run the
// row-by-row order (their overlapping vector recomputes whole sums, never partial ones). The
// sums are the row-by-row order's, bit for bit: the same FMAs in the same order, the partial
// sums stored and reloaded as fp32.
template <class Arch>
template <int NV>
void bsr_kernels<Arch>::spmm_segments(const spmm_args& p) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t T = NV * lanes;
    const index_t q_end = p.seg_chunks, stride = q_end + 1;
    const index_t n_full = p.n_begin + (p.n_end - p.n_begin) / T * T;
    for (index_t g0 = p.row_begin; g0 < p.row_end; g0 += p.seg_rows) {
        const index_t g1 = g0 + p.seg_rows < p.row_end ? g0 + p.seg_rows : p.row_end;
        for (index_t n = p.n_begin; n < n_full; n += T)
            for (index_t q = 0; q < q_end; ++q)
                for (index_t rb = g0; rb < g1; ++rb) {
                    const std::uint32_t* s = p.seg + rb * stride + q;
                    if (q == 0)
                        tile_blocks<B, 1, NV, true, false, false>(p, rb, 0, n, s[0], s[1], 0);
                    else if (q + 1 < q_end)
                        tile_blocks<B, 1, NV, true, true, false>(p, rb, 0, n, s[0], s[1], 0);
                    else
                        tile_blocks<B, 1, NV, true, true, true>(p, rb, 0, n, s[0], s[1], 0);
                }
    }
    if (n_full < p.n_end) spmm_rows_of<1, true>(p, n_full);
}

template <class Arch>
void bsr_kernels<Arch>::spmm(const spmm_args& p) noexcept
{
    FINEGRAIN_ASSERT(p.n_end > p.n_begin && p.row_end >= p.row_begin);
    const bool c1 = p.c == 1;
    constexpr int max_rt = static_cast<int>(spmm_rows<Arch>(16));
    const index_t n0 = p.n_begin;
    if (p.seg && p.r == 1 && c1) {
        constexpr int nv = static_cast<int>(spmm_vectors<Arch>(1));
        p.seg_half ? spmm_segments<nv / 2>(p) : spmm_segments<nv>(p);
        return;
    }
    switch (p.r) {
    case 1: c1 ? spmm_rows_of<1, true>(p, n0) : spmm_rows_of<1, false>(p, n0); break;
    case 2: c1 ? spmm_rows_of<2, true>(p, n0) : spmm_rows_of<2, false>(p, n0); break;
    case 4: c1 ? spmm_rows_of<4, true>(p, n0) : spmm_rows_of<4, false>(p, n0); break;
    default:  // 8, 16
        if (p.r == max_rt)
            c1 ? spmm_rows_of<max_rt, true>(p, n0) : spmm_rows_of<max_rt, false>(p, n0);
        else  // passes of max_rt rows on each tile
            c1 ? spmm_rows_of<max_rt, true, true>(p, n0) : spmm_rows_of<max_rt, false, true>(p, n0);
        break;
    }
}

// ---- SpMV -------------------------------------------------------------------------------------

template <class Arch>
void bsr_kernels<Arch>::spmv_store(const spmv_args& p, index_t row, index_t rows, const float* acc) noexcept
{
    for (index_t i = 0; i < rows && row + i < p.m; ++i) {
        float s = acc[i] + (p.bias ? p.bias[row + i] : 0.0f);
        s = s < p.lo ? p.lo : s;
        p.y[row + i] = s > p.hi ? p.hi : s;
    }
}

template <class Arch>
template <class Index, int RV>
void bsr_kernels<Arch>::spmv_vector_rows(const spmv_args& p) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = lanes;
    const index_t c = p.c, r = RV * W, rc = r * c;
    const Index* FINEGRAIN_RESTRICT col = static_cast<const Index*>(p.col);
    for (index_t rb = p.row_begin; rb < p.row_end; ++rb) {
        B a0[RV], a1[RV];
#pragma GCC unroll 16
        for (int v = 0; v < RV; ++v) a0[v] = a1[v] = B(0.0f);
        index_t b = p.row_ptr[rb];
        const index_t b1 = p.row_ptr[rb + 1];
        const float* FINEGRAIN_RESTRICT w = p.values + b * rc;
        if (c == 1) {
            for (; b + 2 <= b1; b += 2, w += 2 * r) {
                const B x0(p.x[col[b]]), x1(p.x[col[b + 1]]);
#pragma GCC unroll 16
                for (int v = 0; v < RV; ++v) {
                    a0[v] = simd::fma(B::load_unaligned(w + v * W), x0, a0[v]);
                    a1[v] = simd::fma(B::load_unaligned(w + r + v * W), x1, a1[v]);
                }
            }
        }
        for (; b < b1; ++b, w += rc) {
            const index_t k0 = static_cast<index_t>(col[b]) * c;
            const index_t jn = k0 + c > p.k ? p.k - k0 : c;
            for (index_t j = 0; j < jn; ++j) {
                const B xj(p.x[k0 + j]);
#pragma GCC unroll 16
                for (int v = 0; v < RV; ++v) a0[v] = simd::fma(B::load_unaligned(w + j * r + v * W), xj, a0[v]);
            }
        }
        alignas(64) float acc[RV * W];
#pragma GCC unroll 16
        for (int v = 0; v < RV; ++v) (a0[v] + a1[v]).store_aligned(acc + v * W);
        spmv_store(p, rb * r, r, acc);
    }
}

template <class Arch>
template <class Index, int RV, int S>
void bsr_kernels<Arch>::spmv_interleaved_rows(const spmv_args& p) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = lanes, r = RV * W;
    const Index* FINEGRAIN_RESTRICT col = static_cast<const Index*>(p.col);
    const index_t part = (p.row_end - p.row_begin + S - 1) / S;  // block rows per stream
    for (index_t t = 0; t < part; ++t) {
        index_t b[S], len[S], rb[S];
        const float* w[S];
        B acc[S][RV];
        index_t common = 0;
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) {
            rb[s] = p.row_begin + s * part + t;
            const bool live = rb[s] < p.row_end;
            b[s] = live ? index_t(p.row_ptr[rb[s]]) : 0;
            len[s] = live ? index_t(p.row_ptr[rb[s] + 1]) - b[s] : 0;
            w[s] = p.values + b[s] * r;
            common = s == 0 || len[s] < common ? len[s] : common;
#pragma GCC unroll 16
            for (int v = 0; v < RV; ++v) acc[s][v] = B(0.0f);
        }
        for (index_t i = 0; i < common; ++i) {
#pragma GCC unroll 4
            for (int s = 0; s < S; ++s) {
                const B xs(p.x[col[b[s] + i]]);
#pragma GCC unroll 16
                for (int v = 0; v < RV; ++v) acc[s][v] = simd::fma(B::load_unaligned(w[s] + i * r + v * W), xs, acc[s][v]);
            }
        }
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) {
            for (index_t i = common; i < len[s]; ++i) {
                const B xs(p.x[col[b[s] + i]]);
#pragma GCC unroll 16
                for (int v = 0; v < RV; ++v) acc[s][v] = simd::fma(B::load_unaligned(w[s] + i * r + v * W), xs, acc[s][v]);
            }
            if (rb[s] < p.row_end) {
                alignas(64) float out[RV * W];
#pragma GCC unroll 16
                for (int v = 0; v < RV; ++v) acc[s][v].store_aligned(out + v * W);
                spmv_store(p, rb[s] * r, r, out);
            }
        }
    }
}

template <class Arch>
template <class Index>
void bsr_kernels<Arch>::spmv_dot(const spmv_args& p) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t W = lanes;
    const index_t c = p.c;
    const Index* FINEGRAIN_RESTRICT col = static_cast<const Index*>(p.col);
    for (index_t rb = p.row_begin; rb < p.row_end; ++rb) {
        B a0(0.0f), a1(0.0f);
        float tail = 0.0f;
        const index_t b1 = p.row_ptr[rb + 1];
        for (index_t b = p.row_ptr[rb]; b < b1; ++b) {
            const float* w = p.values + b * c;
            const index_t k0 = static_cast<index_t>(col[b]) * c;
            if (k0 + c <= p.k) {
                for (index_t j = 0; j < c; j += 2 * W) {
                    a0 = simd::fma(B::load_unaligned(w + j), B::load_unaligned(p.x + k0 + j), a0);
                    if (j + W < c) a1 = simd::fma(B::load_unaligned(w + j + W), B::load_unaligned(p.x + k0 + j + W), a1);
                }
            } else {
                for (index_t j = 0; k0 + j < p.k; ++j) tail += w[j] * p.x[k0 + j];
            }
        }
        const float s = simd::reduce_add(a0 + a1) + tail;
        spmv_store(p, rb, 1, &s);
    }
}

template <class Arch>
template <class Index, int R>
void bsr_kernels<Arch>::spmv_scalar_rows(const spmv_args& p) noexcept
{
    constexpr int U = R >= 4 ? 1 : 4 / R;  // independent partial sums per row
    const index_t c = p.c, rc = R * c;
    const Index* FINEGRAIN_RESTRICT col = static_cast<const Index*>(p.col);
    for (index_t rb = p.row_begin; rb < p.row_end; ++rb) {
        float acc[U][R];
#pragma GCC unroll 16
        for (int u = 0; u < U; ++u)
#pragma GCC unroll 16
            for (int i = 0; i < R; ++i) acc[u][i] = 0.0f;
        index_t b = p.row_ptr[rb];
        const index_t b1 = p.row_ptr[rb + 1];
        const float* FINEGRAIN_RESTRICT w = p.values + b * rc;
        if (c == 1) {
            for (; b + U <= b1; b += U, w += U * R) {
#pragma GCC unroll 16
                for (int u = 0; u < U; ++u) {
                    const float xk = p.x[col[b + u]];
#pragma GCC unroll 16
                    for (int i = 0; i < R; ++i) acc[u][i] += w[u * R + i] * xk;
                }
            }
        }
        for (; b < b1; ++b, w += rc) {
            const index_t k0 = static_cast<index_t>(col[b]) * c;
            const index_t jn = k0 + c > p.k ? p.k - k0 : c;
            for (index_t j = 0; j < jn; ++j) {
                const float xk = p.x[k0 + j];
#pragma GCC unroll 16
                for (int i = 0; i < R; ++i) acc[0][i] += w[j * R + i] * xk;
            }
        }
        float sum[R];
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) {
            sum[i] = acc[0][i];
#pragma GCC unroll 16
            for (int u = 1; u < U; ++u) sum[i] += acc[u][i];
        }
        spmv_store(p, rb * R, R, sum);
    }
}

template <class Arch>
template <class Index>
void bsr_kernels<Arch>::spmv(const spmv_args& p) noexcept
{
    constexpr index_t W = lanes;
    if (p.interleave && p.c == 1) {
        if (p.r == W) {
            spmv_interleaved_rows<Index, 1, spmv_streams>(p);
            return;
        }
        if constexpr (2 * W <= 16) {
            if (p.r == 2 * W) {
                spmv_interleaved_rows<Index, 2, spmv_streams>(p);
                return;
            }
        }
    }
    if (p.r >= W) {  // r and W are powers of two: r / W weight vectors per block column
        switch (p.r / W) {
        case 1: spmv_vector_rows<Index, 1>(p); return;
        case 2: if constexpr (2 * W <= 16) spmv_vector_rows<Index, 2>(p); return;
        case 4: if constexpr (4 * W <= 16) spmv_vector_rows<Index, 4>(p); return;
        case 8: if constexpr (8 * W <= 16) spmv_vector_rows<Index, 8>(p); return;
        default: if constexpr (16 * W <= 16) spmv_vector_rows<Index, 16>(p); return;
        }
    }
    if (p.r == 1 && p.c % W == 0) {
        spmv_dot<Index>(p);
        return;
    }
    switch (p.r) {  // r < W
    case 1: spmv_scalar_rows<Index, 1>(p); return;
    case 2: if constexpr (W > 2) spmv_scalar_rows<Index, 2>(p); return;
    case 4: if constexpr (W > 4) spmv_scalar_rows<Index, 4>(p); return;
    default: if constexpr (W > 8) spmv_scalar_rows<Index, 8>(p); return;
    }
}

template <class Arch>
void bsr_kernels<Arch>::spmv_u16(const spmv_args& p) noexcept
{
    spmv<std::uint16_t>(p);
}

template <class Arch>
void bsr_kernels<Arch>::spmv_u32(const spmv_args& p) noexcept
{
    spmv<std::uint32_t>(p);
}

} // namespace block
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::block::bsr_kernels)
