// SPDX-License-Identifier: BSD-3-Clause
// Pattern-sparse 3x3 convolution kernels, templated on the architecture tag.
//
// Design (the plan in pattern/plan.hpp sets the stage):
//   * Flat, aligned tap planes. The plan copies each image once into zero-padded planes, one
//     per (row phase a < S_h, column tap dx < 3): plane (a, dx) holds padded-input pixel
//     (S_h*r + a, S_w*x + dx) at [r * P + x], with the pitch P = OW rounded up to the lanes.
//     Output pixel (y, x) lives at flat position q = y * P + x and its tap (dy, dx) reads plane
//     (dy % S_h, dx) at q + (dy / S_h) * P. So a whole output image is one 1-D loop over q with
//     a constant offset per tap: no bounds checks, no row remainders, and every tap load is
//     aligned (no cache-line splits). Stride 2 is deinterleaved by the copy. Columns
//     x in [OW, P) of each flat row are wasted (the plan drops them).
//   * Vectorised over output pixels: a register tile is NF filters x V vectors of consecutive
//     flat outputs. NF > 1 groups filters that share their whole kernel list (same input
//     channels, same patterns, as grouped projection produces): each input vector is loaded
//     once and feeds NF filters (filter-level load-redundancy elimination).
//   * One loop over the kernels, no per-kernel branching: each kernel carries its k tap
//     offsets (channel planes + pattern tap, laid out by the plan), so the pattern costs no
//     branch (runs of equal pattern, ~9 kernels long at 8x, mispredicted at their ends).
//     K = 4 (the optimised default) is a compile-time tap count; other k (1..9) take a runtime
//     tap loop.
//   * Channel blocking: the plan calls the kernel once per (filter block, channel block, pixel
//     tile), so the tile's input planes of one channel block stay in L1 while every filter
//     block streams over them; the accumulators round-trip through the flat output between
//     channel blocks.
//
//   * Kernel-level LRE (row tiles): when every pattern of the library has a vertical tap pair
//     (taps (dy, dx) and (dy + S_h, dx): the same plane, one flat row P apart), a register tile
//     is R output rows x V vectors of one filter, and one load of input row i of the pair's
//     plane feeds output row i through the first tap and output row i - 1 through the second:
//     R + 1 loads instead of 2R for the pair, 3R + 1 loads per 4R FMAs per vector column
//     (PatDNN's 8 four-entry patterns all have such a pair in the centre column).
//
// conv3x3_kernels<Arch>::select(nf, v, k) returns the tile function for NF = nf, V = v and
// k taps (K = 4 specialised, any other k generic), or null when that tile is not compiled.
// select_rows(r, v) returns the row-tile function (K = 4, NF = 1) for R = r, V = v (3x3, 5x2,
// 8x1), or null.
//
// tile function
//   Computes: for q in [0, vectors * L) (L = lanes) and f < NF:
//               out[f][q] (+)= sum over kernels j, taps t of w[j][t][f] * input[tap_offsets[j][t] + q]
//             then, with `epilogue`, out = clamp(out + bias[f], lo, hi).
//   Layouts:  input = tap planes at the tile's first position; output rows of NF filters,
//             output_stride floats apart, at the tile's first position, 32/64-byte aligned;
//             weights per kernel k x NF floats ([t][f]).
//   Tile:     NF x V vectors of accumulators in registers.
//   Preconds: every input read lies inside the plan's buffer (the plan pads planes for the
//             over-reads of the wasted positions). The last vectors % V vectors run as a
//             tile of that many vectors.
//   Numerics: fp32 FMA, kernels accumulated in stored order; within c*K*eps*|in|*|w| of ref.
//
// row-tile function (select_rows)
//   Computes: for each run n < a.run_count (one filter's kept kernels of one channel block,
//             conv3x3_filter_run): the tile function's sum for NF = 1 and k = 4 over
//             a.vectors = rows * a.row_vectors flat vectors (whole flat rows of P = row_vectors * L
//             floats) into the flat output row a.output + run.row * output_stride, accumulating
//             when run.flags has run_accumulate, adding bias[run.row] (a.bias, or 0 when null)
//             and clamping when it has run_epilogue; the run's kernels are tap_offsets / weights
//             + 4 * run.first on, with the pair taps 0 and 1 one row apart (tap_offsets[1] =
//             tap_offsets[0] + P; tap 1's stored offset is not read). a.kernels, a.accumulate,
//             a.epilogue are not read.
//   Order:    a.block_major: for each R x V block of the tile, every run (filter) in turn, so
//             the block's input (R + 1 rows x V vectors of each plane of the channel block) stays
//             in L1 while the filters stream over it; else filter-major: each run over the whole
//             tile in turn (its kernels' weights stay in L1). One call per (tile, channel block).
//   Layouts:  as the tile function, but the output needs no alignment (the plan may pass the
//             NCHW output itself); tap_offsets and weights per kernel in the order pair
//             (upper, lower), then the other two taps.
//   Tile:     R rows x V vectors in registers (8-10 accumulators + 4 weights + 1 input); rows
//             cut into bands by split_into_bands (a remainder shares the last R + rem rows with
//             one full band, split evenly), the last row_vectors % V columns of each band as
//             blocks of that many vectors.
//   Preconds: as the tile function; reads reach R + 1 rows below the band's first row.
//   Numerics: fp32 FMA, kernels in stored order, each kernel's taps in the stored (pair first)
//             order; within c*K*eps*|in|*|w| of ref.
#pragma once

#include <cstdint>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"

namespace finegrain {
namespace pattern {

// One filter block's kept kernels in one channel block (built at plan time): row tiles take a
// range of runs (filter blocks of one filter), flat tiles are called once per run.
enum conv3x3_run_flags : std::int32_t { run_accumulate = 1, run_epilogue = 2 };
struct conv3x3_filter_run {
    std::int32_t first = 0;    // first kernel (row tiles: tap_offsets / weights + 4 * first)
    std::int32_t kernels = 0;  // kept kernels (0: an all-pruned filter's act(bias) pass)
    std::int32_t row = 0;      // filter block (row tiles, NF = 1: output row output + row * output_stride, bias index)
    std::int32_t flags = 0;    // run_accumulate: add to the output; run_epilogue: bias + clamp
};

struct conv3x3_tile_args {
    const float* input = nullptr;   // tap planes, at the tile's first flat output position
    float* output = nullptr;        // flat output row of the block's first filter, at the tile start
    index_t output_stride = 0;      // floats between the flat rows of consecutive filters
    index_t vectors = 0;            // vectors of lanes to compute
    index_t row_vectors = 0;        // row-tile kernels: vectors per flat row (P / lanes); vectors is a multiple
    index_t kernels = 0;                            // kept kernels of the block in this channel block
    const std::int32_t* tap_offsets = nullptr;      // per kernel, k taps: channel's planes + tap offset inside them
    const float* weights = nullptr;                 // per kernel: k taps x NF filters
    index_t k = 0;                                  // taps per pattern
    bool accumulate = false;  // add to the output (later channel blocks) instead of starting at 0
    bool epilogue = false;    // last channel block: add bias, clamp
    const float* bias = nullptr;  // NF values (row tiles: one per output row), or null
    float lo = 0, hi = 0;
    const conv3x3_filter_run* runs = nullptr;  // row tiles: the filters of this channel block
    index_t run_count = 0;
    bool block_major = false;  // row tiles: every run per R x V block (else each run over the whole tile)
};

using conv3x3_tile_fn = void (*)(const conv3x3_tile_args&) noexcept;

/// How the row-tile function cuts `rows` rows into bands of at most r: `full` bands of r, then
/// `upper` and `lower` rows (0 = none). A remainder rem (0 < rem < r) shares the last r + rem
/// rows with one full band, split evenly (6 = 3 + 3, 8 = 4 + 4 with r = 5): a band of 1-2 rows
/// holds 2-4 accumulators, and their 4-FMA chains per kernel then bound its speed. The plan's
/// cost model uses the same cut.
struct band_split {
    index_t full = 0, upper = 0, lower = 0;
};
constexpr band_split split_into_bands(index_t rows, index_t r) noexcept
{
    const index_t rem = rows % r, full = (rows > r && rem > 0 ? rows - r - rem : rows - rem) / r, tail = rows - full * r;
    return tail > r ? band_split{full, (tail + 1) / 2, tail / 2} : band_split{full, tail, 0};
}

template <class Arch>
struct conv3x3_kernels {
    /// The tile function for nf filters x v vectors with k taps, or null if not compiled.
    static conv3x3_tile_fn select(int nf, int v, int k) noexcept;
    /// The row-tile function (r rows x v vectors of each run's filter, 4 taps whose first two
    /// are a vertical pair), or null if not compiled.
    static conv3x3_tile_fn select_rows(int r, int v) noexcept;

private:
    template <int NF, int V, int K>
    static void tile(const conv3x3_tile_args& a) noexcept;
    template <int NF, int V, int K>
    static void tiles(const conv3x3_tile_args& a, index_t v_begin, index_t v_end) noexcept;
    template <int NF, int R, int K>
    static void remainder(const conv3x3_tile_args& a, index_t v_begin, index_t r) noexcept;
    template <int NF, int V, class B>
    static void accumulate_tap(B (&acc)[NF][V], const float* x, const float* w) noexcept;
    template <int NF, int V>
    static conv3x3_tile_fn pick(int k) noexcept;
    template <int R, int V>
    static void row_tiles(const conv3x3_tile_args& a) noexcept;
    template <int R, int V>
    static void row_band(const conv3x3_tile_args& a, index_t v0, index_t rows) noexcept;
    template <int R, int V>
    static void row_band_columns(const conv3x3_tile_args& a, index_t v0, index_t columns) noexcept;
    template <int R, int V>
    static void row_block(const conv3x3_tile_args& a, index_t v0) noexcept;
    template <class B>
    static B in_register(B x) noexcept;
    static const float* in_register(const float* p) noexcept;
};

// p, computed into a register: each load of a kernel's tap rows then addresses p + i * P + v * L
// (base + index * scale + displacement) instead of recomputing in + offset per load.
template <class Arch>
FINEGRAIN_ALWAYS_INLINE const float* conv3x3_kernels<Arch>::in_register(const float* p) noexcept
{
#if defined(__GNUC__)
    __asm__("" : "+r"(p));
#endif
    return p;
}

// x, pinned to a register: on x86 the compiler may otherwise fold a shared load into each
// FMA that uses it as a memory operand (two loads of the pair's row instead of one).
template <class Arch>
template <class B>
FINEGRAIN_ALWAYS_INLINE B conv3x3_kernels<Arch>::in_register(B x) noexcept
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    if constexpr (Arch::id == simd::arch_id::sse4_2 || Arch::id == simd::arch_id::avx2 || Arch::id == simd::arch_id::avx512) {
        typename B::register_type r = x;
        __asm__("" : "+x"(r));
        return B(r);
    }
#endif
    return x;
}

template <class Arch>
template <int NF, int V, class B>
FINEGRAIN_ALWAYS_INLINE void conv3x3_kernels<Arch>::accumulate_tap(B (&acc)[NF][V], const float* FINEGRAIN_RESTRICT x,
                                                                   const float* FINEGRAIN_RESTRICT w) noexcept
{
    constexpr index_t L = static_cast<index_t>(B::size);
    if constexpr (NF == 1) {
        const B wb(w[0]);
#pragma GCC unroll 16
        for (index_t v = 0; v < V; ++v) acc[0][v] = simd::fma(wb, B::load_aligned(x + v * L), acc[0][v]);
    } else {
        B wb[NF];
#pragma GCC unroll 8
        for (index_t f = 0; f < NF; ++f) wb[f] = B(w[f]);
#pragma GCC unroll 16
        for (index_t v = 0; v < V; ++v) {
            const B xv = B::load_aligned(x + v * L);
#pragma GCC unroll 8
            for (index_t f = 0; f < NF; ++f) acc[f][v] = simd::fma(wb[f], xv, acc[f][v]);
        }
    }
}

template <class Arch>
template <int NF, int V, int K>
void conv3x3_kernels<Arch>::tile(const conv3x3_tile_args& a) noexcept
{
    const index_t full = a.vectors / V * V;
    tiles<NF, V, K>(a, 0, full);
    if (full < a.vectors) remainder<NF, V - 1, K>(a, full, a.vectors - full);
}

// The last r < V vectors: the tile of exactly r vectors.
template <class Arch>
template <int NF, int R, int K>
void conv3x3_kernels<Arch>::remainder(const conv3x3_tile_args& a, index_t v_begin, index_t r) noexcept
{
    if constexpr (R >= 1) {
        if (r == R)
            tiles<NF, R, K>(a, v_begin, v_begin + R);
        else
            remainder<NF, R - 1, K>(a, v_begin, r);
    }
}

template <class Arch>
template <int NF, int V, int K>
void conv3x3_kernels<Arch>::tiles(const conv3x3_tile_args& a, index_t v_begin, index_t v_end) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t L = static_cast<index_t>(B::size);
    const index_t k = K > 0 ? K : a.k;
    for (index_t v0 = v_begin; v0 < v_end; v0 += V) {
        float* out = a.output + v0 * L;
        B acc[NF][V];
#pragma GCC unroll 8
        for (index_t f = 0; f < NF; ++f)
#pragma GCC unroll 16
            for (index_t v = 0; v < V; ++v)
                acc[f][v] = a.accumulate ? B::load_aligned(out + f * a.output_stride + v * L) : B(0.0f);

        const float* in = a.input + v0 * L;
        const std::int32_t* taps = a.tap_offsets;
        const float* w = a.weights;
        for (index_t j = 0; j < a.kernels; ++j) {
            if constexpr (K > 0) {
#pragma GCC unroll 9
                for (index_t t = 0; t < K; ++t) accumulate_tap<NF, V>(acc, in + taps[t], w + t * NF);
            } else {
                for (index_t t = 0; t < k; ++t) accumulate_tap<NF, V>(acc, in + taps[t], w + t * NF);
            }
            taps += k;
            w += k * NF;
        }

        if (a.epilogue) {
            const B lo(a.lo), hi(a.hi);
#pragma GCC unroll 8
            for (index_t f = 0; f < NF; ++f) {
                const B bias(a.bias ? a.bias[f] : 0.0f);
#pragma GCC unroll 16
                for (index_t v = 0; v < V; ++v) acc[f][v] = simd::clamp(acc[f][v] + bias, lo, hi);
            }
        }
#pragma GCC unroll 8
        for (index_t f = 0; f < NF; ++f)
#pragma GCC unroll 16
            for (index_t v = 0; v < V; ++v) acc[f][v].store_aligned(out + f * a.output_stride + v * L);
    }
}

template <class Arch>
template <int NF, int V>
conv3x3_tile_fn conv3x3_kernels<Arch>::pick(int k) noexcept
{
    return k == 4 ? &tile<NF, V, 4> : &tile<NF, V, 0>;
}

// Row tiles with kernel-level LRE (see the contract atop this file, "row-tile function").
template <class Arch>
template <int R, int V>
void conv3x3_kernels<Arch>::row_tiles(const conv3x3_tile_args& a) noexcept
{
    const index_t pv = a.row_vectors, rows = a.vectors / pv;
    const index_t passes = a.block_major ? 1 : a.run_count;
    for (index_t n = 0; n < passes; ++n) {  // filter-major: one run per pass over the tile
        conv3x3_tile_args p = a;
        if (!a.block_major) {
            p.runs = a.runs + n;
            p.run_count = 1;
        }
        const band_split split = split_into_bands(rows, R);
        index_t y = 0;
        for (index_t i = 0; i < split.full; ++i, y += R) row_band<R, V>(p, y * pv, R);
        if (split.upper) row_band<R, V>(p, y * pv, split.upper);
        if (split.lower) row_band<R, V>(p, (y + split.upper) * pv, split.lower);
    }
}

// A band of exactly `rows` (<= R) rows: R x V blocks across the row, then the last columns.
template <class Arch>
template <int R, int V>
void conv3x3_kernels<Arch>::row_band(const conv3x3_tile_args& a, index_t v0, index_t rows) noexcept
{
    if constexpr (R >= 1) {
        if (rows != R) {
            row_band<R - 1, V>(a, v0, rows);
            return;
        }
        const index_t pv = a.row_vectors;
        index_t c = 0;
        for (; c + V <= pv; c += V) row_block<R, V>(a, v0 + c);
        if (c < pv) row_band_columns<R, V - 1>(a, v0 + c, pv - c);
    }
}

template <class Arch>
template <int R, int V>
void conv3x3_kernels<Arch>::row_band_columns(const conv3x3_tile_args& a, index_t v0, index_t columns) noexcept
{
    if constexpr (V >= 1) {
        if (columns == V)
            row_block<R, V>(a, v0);
        else
            row_band_columns<R, V - 1>(a, v0, columns);
    }
}

// Every run (filter) over the R x V block at flat vector v0 of the tile.
template <class Arch>
template <int R, int V>
void conv3x3_kernels<Arch>::row_block(const conv3x3_tile_args& a, index_t v0) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t L = static_cast<index_t>(B::size);
    const index_t P = a.row_vectors * L;
    const float* in = a.input + v0 * L;
    const B lo(a.lo), hi(a.hi);
    for (index_t n = 0; n < a.run_count; ++n) {
        const conv3x3_filter_run& run = a.runs[n];
        float* out = a.output + index_t(run.row) * a.output_stride + v0 * L;
        B acc[R][V];
        if (run.flags & run_accumulate) {
#pragma GCC unroll 16
            for (index_t r = 0; r < R; ++r)
#pragma GCC unroll 16
                for (index_t v = 0; v < V; ++v) acc[r][v] = B::load_unaligned(out + r * P + v * L);
        } else {
#pragma GCC unroll 16
            for (index_t r = 0; r < R; ++r)
#pragma GCC unroll 16
                for (index_t v = 0; v < V; ++v) acc[r][v] = B(0.0f);
        }

        const std::int32_t* taps = a.tap_offsets + 4 * index_t(run.first);
        const float* w = a.weights + 4 * index_t(run.first);
        for (index_t j = 0; j < run.kernels; ++j, taps += 4, w += 4) {
            // Taps 0 and 1: the vertical pair (tap 1 reads one row below tap 0): input row i of
            // the pair's plane feeds output row i through tap 0 and output row i - 1 through tap 1.
            const float* x0 = in_register(in + taps[0]);
            const float* x2 = in_register(in + taps[2]);
            const float* x3 = in_register(in + taps[3]);
            const B w0(w[0]), w1(w[1]), w2(w[2]), w3(w[3]);
#pragma GCC unroll 16
            for (index_t v = 0; v < V; ++v) {
#pragma GCC unroll 16
                for (index_t i = 0; i <= R; ++i) {
                    const B x = in_register(B::load_aligned(x0 + i * P + v * L));
                    if (i < R) acc[i][v] = simd::fma(w0, x, acc[i][v]);
                    if (i > 0) acc[i - 1][v] = simd::fma(w1, x, acc[i - 1][v]);
                }
#pragma GCC unroll 16
                for (index_t r = 0; r < R; ++r) {
                    acc[r][v] = simd::fma(w2, B::load_aligned(x2 + r * P + v * L), acc[r][v]);
                    acc[r][v] = simd::fma(w3, B::load_aligned(x3 + r * P + v * L), acc[r][v]);
                }
            }
        }

        if (run.flags & run_epilogue) {
            const B bias(a.bias ? a.bias[run.row] : 0.0f);
#pragma GCC unroll 16
            for (index_t r = 0; r < R; ++r)
#pragma GCC unroll 16
                for (index_t v = 0; v < V; ++v) acc[r][v] = simd::clamp(acc[r][v] + bias, lo, hi);
        }
#pragma GCC unroll 16
        for (index_t r = 0; r < R; ++r)
#pragma GCC unroll 16
            for (index_t v = 0; v < V; ++v) acc[r][v].store_unaligned(out + r * P + v * L);
    }
}

template <class Arch>
conv3x3_tile_fn conv3x3_kernels<Arch>::select_rows(int r, int v) noexcept
{
    switch (r * 100 + v) {
    case 303: return &row_tiles<3, 3>;
    case 502: return &row_tiles<5, 2>;
    case 801: return &row_tiles<8, 1>;
    default: return nullptr;
    }
}

template <class Arch>
conv3x3_tile_fn conv3x3_kernels<Arch>::select(int nf, int v, int k) noexcept
{
    if (k < 1 || k > 9) return nullptr;
    switch (nf * 100 + v) {
    case 104: return pick<1, 4>(k);
    case 106: return pick<1, 6>(k);
    case 107: return pick<1, 7>(k);
    case 108: return pick<1, 8>(k);
    case 109: return pick<1, 9>(k);
    case 110: return pick<1, 10>(k);
    case 112: return pick<1, 12>(k);
    case 204: return pick<2, 4>(k);
    case 206: return pick<2, 6>(k);
    case 402: return pick<4, 2>(k);
    case 403: return pick<4, 3>(k);
    default: return nullptr;
    }
}

} // namespace pattern
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::pattern::conv3x3_kernels)
