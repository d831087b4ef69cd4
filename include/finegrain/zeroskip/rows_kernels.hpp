// SPDX-License-Identifier: BSD-3-Clause
// Input-major "row streaming" kernels: the zero-skip GEMV / small-batch GEMM, and the engine of
// the integer polarized GEMV/GEMM and per-fragment partial sums.
//
// Weights are stored input-major (row r = input r's weights for every output, ldw apart), so an
// input that is zero in every sample skips its whole row. Per call a plan lists the rows that
// run ("entries") and cuts them into groups of at most max_group entries; for integer polarized
// weights a group spans at most two fragments: entries [first, split) take the signs at
// sign_offset, entries [split, end) those at sign_offset2 (so m = 4 still runs 8-row groups).
//
// rows_kernels<Arch>::f32
//   Computes: for every group g and column c in [col_begin, col_end), every sample s < batch:
//             y[out_offset[g] + s*ldy + c] += sum_{e in g} x[e*batch + s] * w[rows[e]*ldw + c]
//   Streams:  each group's rows are read once, as contiguous pieces of col_end - col_begin
//             columns. Batch 1: y stays in L1 and every weight row is one long stream, 8 rows
//             at once, or 4 when the 8 are adjacent rows; no software prefetch (the hardware
//             streamers keep 16 KB rows coming; prefetching the rows two groups ahead cost
//             15-30 % on a Zen 3 guest, on a Zen 5 one 5 % at 0 % zeros and 30 % at 90 %).
//             Batch > 1: the plan's column
//             tiles cut the rows into pieces of a few KB, too short for the streamers, so each
//             step also prefetches the same columns of the rows prefetch_groups ahead (Zen 5,
//             fc7 from DRAM, 0 % zeros: batch 16 7.6 -> 2.9 ms, batch 4 2.9 -> 2.0, batch 64
//             19.7 -> 10.3).
//   Tile:     batch > 1: up to 6 samples x 2 vectors of columns in registers per pass over a
//             group's rows (y loaded and stored once per group; from f32_merge_min_batch on,
//             once per two full groups).
//   Preconds: col_begin, col_end multiples of col_step; rows padded to col_end; groups hold
//             1..max_group entries. Numerics: fp32 FMA in entry order (tolerance as ref::gemm).
//
// rows_kernels<Arch>::pairs (uint8 inputs x 8-bit weights: int16 products, madd)
//   Computes: the same in int32 with entries taken in pairs: x[p*batch + s] = x1 | x2 << 16 is
//             the pair (entries 2p, 2p+1) of sample s (both parts of a group have an even entry
//             count; the plan pads with x = 0), weights widened to int16. Signs (uint8 weights
//             only; null: none): where bit (sign_offset[g] + c) (second part: sign_offset2[g] + c)
//             of `signs` is set, the stored weight v is the offset code of a negative weight,
//             w = v - 255 (the plan stores 255 - |w|); the int16 weights of each part get the
//             offset once per chunk (exact: v - 255 fits int16). Plans run batch 1 without signs
//             (offset codes at batch 1: sign_correction).
//   Streams:  as f32 at batch > 1; batch 1 also prefetches the rows of the group
//             prefetch_groups ahead, one 64-byte line per 64 columns: 4 KB int8 rows are too
//             short for the hardware streamers alone (without it: fc7 b1 cold, 0 % zeros,
//             0.89-0.92 -> 1.03-1.06 ms).
//   Layout:   every 2L-column chunk of a weight row is stored permuted by
//             simd::dot2_output_of_position<Arch> (pack_pairs does it).
//   Numerics: exact while every partial result fits int32 (two's complement wraps, so the
//             final value is exact whenever it fits int32; plans check the worst case).
//
// rows_kernels<Arch>::quads (uint8 inputs x int8 weights on AVX-512 VNNI: vpdpbusd)
//   Computes: as pairs without signs, entries taken in quads: x[q*batch + s] = the four uint8
//             inputs of entries 4q..4q+3 of sample s, one per byte (groups hold whole quads; the
//             plan pads with x = 0). Per 64 columns the quad's four rows are interleaved bytewise
//             in registers (8 unpacks) into four vectors of 16 (w0, w1, w2, w3) int32 lanes; one
//             vpdpbusd per vector and sample adds the four products to y. Full groups that
//             follow each other run vnni::merged_groups at a time (one y round trip per 16 rows).
//   Streams:  as pairs (batch 1: one line of every row prefetch_groups ahead per 64 columns).
//   Layout:   every 64-column block of a weight row is stored permuted by
//             simd::quad_column_of_position<Arch> (pack_quads does it).
//   Numerics: exact int32 (vpdpbusd wraps, it does not saturate). Other archs (never chosen by
//             the plans, which run pairs there): the scalar loop on the natural layout.
//
// rows_kernels<Arch>::quad_blocks (the same products; batch-1 plans that run every row)
//   Layout:   rows in blocks of 16 (quad_block_offset): per 64 columns a block holds 1 KB, quad
//             j's four vectors of (w0, w1, w2, w3) lanes at 256 j, in column order, so a pass
//             over a block reads one contiguous stream with no unpacks.
//   Computes / Numerics: as quads (the plan lists every row in order, so a pass is a block).
//
// rows_kernels<Arch>::quad_panels (the same products; plans at batch > 1 that run every row)
//   Computes: y[s*ldy + c] += sum_k w[k][c] x_k,s over every row k in order (the list is all
//             rows, padded to whole quads with x = 0: quads = its entries / 4), c in [col_begin,
//             col_end), s < batch.
//   Tile:     panel_samples samples x 64 columns in registers (24 accumulators): per quad 4
//             weight loads, one broadcast per sample, 24 vpdpbusd; y is loaded and stored once
//             per tile. Panels outer, sample tiles inner: a panel (quads x 256 bytes) comes from
//             memory once, as one stream, then from L2.
//   Layout:   quad_panel_offset: per 64 columns, all quads in order, 256 bytes each.
//   Numerics: as quads. Other archs (never chosen by the plans): the plain loop.
//
// rows_kernels<Arch>::sign_correction (offset-coded weights, w = v - 255 n: batch 1, or every
// sample of any batch when the codes run biased on the VNNI quads)
//   Computes: y[c] = start - code_offset * sum_j n(j, c) X_j for c in [col_begin, col_end), where the
//             "pieces" j (<= 32 consecutive inputs of one fragment, so X_j <= 8160) carry the
//             fragment's sign bit n(j, c) and X_j is the sum of the piece's inputs. Run before
//             pairs (which adds sum_k v x_k to y; quads: sum_k (v - 128) x_k, with start =
//             128 sum_k x_k), it makes y = sum_k w x_k. Per step s (pieces
//             8s..8s+7) and column, the stored byte holds the sign bits of pieces 8s..8s+3 (low
//             nibble) and 8s+4..8s+7 (high nibble); tables[64s..64s+64) hold, for each nibble, the
//             16 sums of X over the pieces its bits select (low bytes, then high bytes; built per
//             call). One lookup16 per table byte and 32 columns: ~15 vector ops per 8 pieces and
//             B columns instead of a sign step per fragment and 2L columns in the row loop.
//   Layout:   block-major: block b of B = nibble_block<Arch>() columns, step s at
//             nibbles + (b*steps + s)*B, byte p = column simd::nibble_column_of_position<Arch>(p)
//             of the block (pack_sign_nibbles does it).
//   Numerics: a step adds <= 2 * 4 * 8160 = 65280 to uint16 lanes; every steps_per_widen steps
//             (the plan's bound: steps_per_widen * the largest step sum <= 65535) they are added
//             to int32 sums; sum_j n X_j <= sum_k x_k, so code_offset * that fits int32 whenever
//             the plan's K * max x * 255 check holds. Exact.
//
// rows_kernels<Arch>::wide (uint16 inputs or 16-bit weights: int32 products)
//   Computes: as pairs, one entry at a time, x[e*batch + s] a plain int32 value; natural layout
//             (signs: batch 1 negates the running sum as pairs does, batch > 1 the int32
//             weights of each part once per chunk). Streams as f32.
//
// rows_kernels<Arch>::write_out (the epilogue of batch > 1: accumulators are sample-major)
//   Computes: out[o*ldo + s] = clamp(acc[s*ld_acc + o] + bias[o]) for o in [col_begin, col_end),
//             s < batch (fp32; bias and clamp when set), or the plain copy (int32).
//   Tile:     avx512: 16 outputs x 4 samples per step, 4 vector loads and an in-lane 4 x 4
//             transpose into 16 16-byte stores (simd::store_transposed); the other archs, the
//             last batch % 4 samples and col_end % 16 outputs: scalar (the strided scalar loop
//             took ~40 us of a 0.44 ms fc7 batch-16 call at 90 % zeros).
//
// The scalar arch runs plain loops (the reference order, uint32 wrap-around arithmetic).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"
#include "finegrain/simd/int_ops.hpp"
#include "finegrain/simd/transpose_store.hpp"

namespace finegrain {
namespace zeroskip {

/// The rows a call runs, in groups. Group g holds entries [g ? end[g-1] : first, end[g]).
/// (A slice of a longer list: first = the slice's first entry; end and the offsets start at it.)
struct row_groups {
    index_t count = 0;
    index_t first = 0;
    const index_t* end = nullptr;
    const std::int32_t* rows = nullptr;        // weight row of each entry
    const index_t* out_offset = nullptr;       // per group: added to y (partial sums), or null = 0
    const index_t* sign_offset = nullptr;      // integer kernels: per group, bit of output 0 in `signs`
    const index_t* split = nullptr;            // integer kernels: per group, first entry of its second fragment
    const index_t* sign_offset2 = nullptr;     // integer kernels: per group, sign_offset of its second fragment
};

struct f32_rows_args {
    row_groups groups;
    const float* x = nullptr;  // x[e*batch + s]
    index_t batch = 1;
    const float* w = nullptr;
    index_t ldw = 0;
    float* y = nullptr;
    index_t ldy = 0;
    index_t col_begin = 0, col_end = 0;
};

template <class W>
struct int_rows_args {
    row_groups groups;
    const std::int32_t* x = nullptr;  // pairs: x[p*batch + s] = x1 | x2 << 16; wide: x[e*batch + s]
    index_t batch = 1;
    const W* w = nullptr;
    index_t ldw = 0;
    const std::uint64_t* signs = nullptr;  // null: no signs
    std::int32_t* y = nullptr;
    index_t ldy = 0;
    index_t col_begin = 0, col_end = 0;
};

template <class T>
struct write_out_args {
    const T* acc = nullptr;  // acc[s*ld_acc + o]
    index_t ld_acc = 0;
    index_t batch = 1;
    index_t col_begin = 0, col_end = 0;
    const float* bias = nullptr;  // fp32 only: per output, or null
    bool clamp = false;           // fp32 only
    float lo = 0.0f, hi = 0.0f;
    T* out = nullptr;  // out[o*ldo + s]
    index_t ldo = 0;
};

struct sign_correction_args {
    const std::uint8_t* nibbles = nullptr;  // block-major sign nibbles (pack_sign_nibbles)
    const std::uint8_t* tables = nullptr;   // per step: 64 bytes (two 16-entry uint16 tables, low bytes first)
    index_t steps = 0, steps_per_widen = 1;
    std::int32_t code_offset = 255;
    std::int32_t start = 0;  // added to every column
    std::int32_t* y = nullptr;
    index_t col_begin = 0, col_end = 0;
};

/// Entries per group; column ranges are multiples of col_step (every arch's chunk divides it).
constexpr index_t max_group = 8;
constexpr index_t col_step = 64;

/// Quad-block layout (rows_kernels::quad_blocks): the byte of weight row `row`, column `col`, for
/// rows `ld` bytes long: blocks of 16 rows, per 64 columns 1 KB: quad (row % 16) / 4 at 256 bytes
/// each, its 4 vectors of 16 columns at 64 bytes, 4 bytes (the quad's rows) per column.
constexpr index_t quad_block_offset(index_t row, index_t col, index_t ld) noexcept
{
    return row / 16 * 16 * ld + col / 64 * 1024 + (row % 16) / 4 * 256 + (col % 64) / 16 * 64 + (col % 16) * 4 + row % 4;
}
/// Quad-panel layout (rows_kernels::quad_panels) of `quads` quads of rows (rows padded with zeros
/// to whole quads): panels of 64 columns, quads x 256 bytes each; quad row / 4 at 256 bytes, its 4
/// vectors of 16 columns at 64 bytes, 4 bytes (the quad's rows) per column.
constexpr index_t quad_panel_offset(index_t row, index_t col, index_t quads) noexcept
{
    return col / 64 * quads * 256 + row / 4 * 256 + (col % 64) / 16 * 64 + (col % 16) * 4 + row % 4;
}
/// Samples per register tile of quad_panels (x 4 vectors of 16 columns: 24 accumulators).
constexpr index_t panel_samples = 6;
/// The group whose rows are prefetched while a group streams (1 = the next): batch-1 integer
/// pairs and every kernel at batch > 1.
constexpr index_t prefetch_groups = 2;
/// fp32 from this batch on: two full groups in a row run as one pass (16 rows, one y round trip).
/// Zen 5, fc7 from DRAM, 0 / 70 / 90 % shared zeros: batch 16 0.68 / 2.04-2.14 / 5.15-5.22 ->
/// 0.73 / 2.20-2.23 / 5.34-5.45 x our dense GEMM; batch 8 gained at 0 % (0.89 -> 0.96) but lost
/// 7-10 % at 70 / 90 %, so it keeps 8-row passes.
constexpr index_t f32_merge_min_batch = 16;

/// The groups from gi (its first entry e) that run as one pass: up to `limit` full groups in a
/// row, else the one group.
inline index_t pass_groups(const row_groups& g, index_t gi, index_t e, index_t limit) noexcept
{
    index_t n = 1;
    if (g.end[gi] - e == max_group)
        while (n < limit && gi + n < g.count && g.end[gi + n] - g.end[gi + n - 1] == max_group) ++n;
    return n;
}

template <class Arch>
struct rows_kernels {
    static void f32(const f32_rows_args& a) noexcept;
    /// Lists the non-zero values of x[0..n): rows[e] = k, values[e] = x[k] in k order; returns
    /// the count. rows and values hold n + 1 entries (the scalar tail writes one past the count).
    static index_t nonzero(const float* x, index_t n, std::int32_t* rows, float* values) noexcept;
    /// The same for uint8 x (values as int32).
    static index_t nonzero(const std::uint8_t* x, index_t n, std::int32_t* rows, std::int32_t* values) noexcept;
    static void pairs(const int_rows_args<std::uint8_t>& a) noexcept;
    static void pairs(const int_rows_args<std::int8_t>& a) noexcept;
    static void quads(const int_rows_args<std::int8_t>& a) noexcept;
    /// quads() on weights laid out by quad_block_offset (every row runs: plans without skipping).
    static void quad_blocks(const int_rows_args<std::int8_t>& a) noexcept;
    /// quads() on weights laid out by quad_panel_offset (every row runs), register-tiled over samples.
    static void quad_panels(const int_rows_args<std::int8_t>& a) noexcept;
    /// quad_panels' inputs: out[q*batch + s] = x(4q, s) | x(4q+1, s) << 8 | x(4q+2, s) << 16 |
    /// x(4q+3, s) << 24 for x(k, s) = x[k*ldx + s], k < rows (rows past it read as 0).
    static void pack_input_quads(const std::uint8_t* x, index_t ldx, index_t rows, index_t batch, std::int32_t* out) noexcept;
    static void wide(const int_rows_args<std::uint8_t>& a) noexcept;
    static void wide(const int_rows_args<std::int8_t>& a) noexcept;
    static void wide(const int_rows_args<std::uint16_t>& a) noexcept;
    /// Copies `rows` input-major rows of `cols` (a multiple of col_step) 8-bit weights, permuting
    /// each chunk for pairs(); src and dst rows are ld apart.
    static void pack_pairs(index_t rows, index_t cols, const std::uint8_t* src, std::uint8_t* dst, index_t ld) noexcept;
    /// The same for quads(): each 64-column block permuted by simd::quad_column_of_position<Arch>.
    static void pack_quads(index_t rows, index_t cols, const std::uint8_t* src, std::uint8_t* dst, index_t ld) noexcept;
    static void sign_correction(const sign_correction_args& a) noexcept;
    static void write_out(const write_out_args<float>& a) noexcept;
    static void write_out(const write_out_args<std::int32_t>& a) noexcept;
    /// src: steps rows of `cols` (a multiple of col_step) nibble bytes; dst: sign_correction's layout.
    static void pack_sign_nibbles(index_t steps, index_t cols, const std::uint8_t* src, std::uint8_t* dst) noexcept;

private:
    template <class T>
    static void write_out_any(const write_out_args<T>& a) noexcept;
    template <class X, class V>
    static index_t list_nonzero(const X* x, index_t n, std::int32_t* rows, V* values) noexcept;
    /// next[0..max_group): the rows of the group prefetch_groups after gi (padded with its last
    /// row; near the end: the last group's).
    template <class Wt>
    static void rows_ahead(const row_groups& g, const Wt* w, index_t ldw, index_t gi, const Wt** next) noexcept;
    /// Prefetches the 64-byte lines that start in columns [c, c + count) of the N rows.
    template <int N = max_group, class Wt>
    FINEGRAIN_ALWAYS_INLINE static void prefetch_lines(const Wt* const* rows, index_t c, index_t count) noexcept;
    template <int R>
    static void f32_group(const float* const* w, const float* x, const f32_rows_args& a, float* y,
                          const float* const* next) noexcept;
    template <int R, int SB>
    FINEGRAIN_ALWAYS_INLINE static void f32_samples(const float* const* w, const float* x, const f32_rows_args& a, float* y,
                                                    index_t c, index_t s) noexcept;
    template <int P, class Wt>
    static void pairs_group(const Wt* const* w, const Wt* const* next, const std::int32_t* x, const int_rows_args<Wt>& a,
                            std::int32_t* y, index_t sign_bit, index_t split, index_t sign_bit2) noexcept;
    /// Inlined into pairs_any, where the row pointers are a local array the y stores cannot alias
    /// (an out-of-line call reloads the 8 row pointers every chunk: dense s8 warm ~5 % slower).
    template <int P, class Wt>
    FINEGRAIN_ALWAYS_INLINE static void pairs_row(const Wt* const* w, const Wt* const* next, const std::int32_t* x,
                                                  const int_rows_args<Wt>& a, std::int32_t* y) noexcept;
    template <int R, class Wt>
    static void wide_group(const Wt* const* w, const Wt* const* next, const std::int32_t* x, const int_rows_args<Wt>& a,
                           std::int32_t* y, index_t sign_bit, index_t split, index_t sign_bit2) noexcept;
    template <class Wt>
    static void pairs_any(const int_rows_args<Wt>& a) noexcept;
    template <class Wt>
    static void wide_any(const int_rows_args<Wt>& a) noexcept;
    template <bool Packed>
    static void quads_any(const int_rows_args<std::int8_t>& a) noexcept;
    template <class Wt>
    static void scalar_int(const int_rows_args<Wt>& a, index_t width) noexcept;
};

// ---- fp32 ---------------------------------------------------------------------------------------

template <class Arch>
template <class Wt>
void rows_kernels<Arch>::rows_ahead(const row_groups& g, const Wt* w, index_t ldw, index_t gi, const Wt** next) noexcept
{
    const index_t gp = gi + prefetch_groups < g.count ? gi + prefetch_groups : g.count - 1;
    const index_t n0 = gp > 0 ? g.end[gp - 1] : g.first, n1 = g.end[gp];
    for (index_t i = 0; i < max_group; ++i) next[i] = w + static_cast<index_t>(g.rows[n0 + i < n1 ? n0 + i : n1 - 1]) * ldw;
}

template <class Arch>
template <int N, class Wt>
FINEGRAIN_ALWAYS_INLINE void rows_kernels<Arch>::prefetch_lines(const Wt* const* rows, index_t c, index_t count) noexcept
{
    constexpr index_t line = 64 / static_cast<index_t>(sizeof(Wt));
    const index_t first = (c + line - 1) / line * line;
#pragma GCC unroll 16
    for (int r = 0; r < N; ++r)
        for (index_t l = first; l < c + count; l += line) __builtin_prefetch(rows[r] + l, 0, 1);
}

template <class Arch>
template <int R>
void rows_kernels<Arch>::f32_group(const float* const* w, const float* x, const f32_rows_args& a, float* y,
                                   const float* const* next) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t V = static_cast<index_t>(simd::lanes_of<float, Arch>());
    if (a.batch == 1) {
        // Local copies of the row pointers and bounds: stores to y cannot alias them, so they stay
        // in registers (reloading them every step cost ~10 % of a DRAM-bound call: fc6 90 %).
        const float* wr[R];
        B xr[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) wr[r] = w[r], xr[r] = B(x[r]);
        const index_t c0 = a.col_begin, c1 = a.col_end;
        for (index_t c = c0; c < c1; c += 2 * V) {
            B acc0 = B::load_unaligned(y + c), acc1 = B::load_unaligned(y + c + V);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                acc0 = simd::fma(xr[r], B::load_unaligned(wr[r] + c), acc0);
                acc1 = simd::fma(xr[r], B::load_unaligned(wr[r] + c + V), acc1);
            }
            acc0.store_unaligned(y + c);
            acc1.store_unaligned(y + c + V);
        }
        return;
    }
    // Batch > 1: blocks of up to 6 samples x 2 vectors of columns stay in registers while the
    // pass's rows (a group, or two: f32_merge_min_batch) go by (per row 2 weight loads + SB
    // broadcasts feed 2 SB FMAs; one y round trip per pass).
    constexpr int A = R > max_group ? R : max_group;
    const float *wr[R], *ahead[A];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) wr[r] = w[r];
#pragma GCC unroll 16
    for (int r = 0; r < A; ++r) ahead[r] = next[r];
    for (index_t c = a.col_begin; c < a.col_end; c += 2 * V) {
        prefetch_lines<A>(ahead, c, 2 * V);
        index_t s = 0;
        for (; s + 6 <= a.batch; s += 6) f32_samples<R, 6>(wr, x, a, y, c, s);
        switch (a.batch - s) {
        case 5: f32_samples<R, 5>(wr, x, a, y, c, s); break;
        case 4: f32_samples<R, 4>(wr, x, a, y, c, s); break;
        case 3: f32_samples<R, 3>(wr, x, a, y, c, s); break;
        case 2: f32_samples<R, 2>(wr, x, a, y, c, s); break;
        case 1: f32_samples<R, 1>(wr, x, a, y, c, s); break;
        default: break;
        }
    }
}

// Samples [s, s + SB) x columns [c, c + 2V): y += the group's rows, in row order.
template <class Arch>
template <int R, int SB>
FINEGRAIN_ALWAYS_INLINE void rows_kernels<Arch>::f32_samples(const float* const* w, const float* x, const f32_rows_args& a,
                                                             float* y, index_t c, index_t s) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t V = static_cast<index_t>(simd::lanes_of<float, Arch>());
    B acc[SB][2];
#pragma GCC unroll 6
    for (int i = 0; i < SB; ++i) {
        const float* ys = y + (s + i) * a.ldy + c;
        acc[i][0] = B::load_unaligned(ys);
        acc[i][1] = B::load_unaligned(ys + V);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        const B w0 = B::load_unaligned(w[r] + c), w1 = B::load_unaligned(w[r] + c + V);
        const float* xr = x + r * a.batch + s;
#pragma GCC unroll 6
        for (int i = 0; i < SB; ++i) {
            const B xb(xr[i]);
            acc[i][0] = simd::fma(xb, w0, acc[i][0]);
            acc[i][1] = simd::fma(xb, w1, acc[i][1]);
        }
    }
#pragma GCC unroll 6
    for (int i = 0; i < SB; ++i) {
        float* ys = y + (s + i) * a.ldy + c;
        acc[i][0].store_unaligned(ys);
        acc[i][1].store_unaligned(ys + V);
    }
}

template <class Arch>
void rows_kernels<Arch>::f32(const f32_rows_args& a) noexcept
{
    const row_groups& g = a.groups;
    index_t e = g.first;
    for (index_t gi = 0; gi < g.count; ++gi) {
        // Batch >= f32_merge_min_batch: two full groups in a row run as one pass of 16 rows.
        const bool merged = a.batch >= f32_merge_min_batch && !g.out_offset && pass_groups(g, gi, e, 2) == 2;
        const index_t e1 = g.end[merged ? gi + 1 : gi];
        const float* w[2 * max_group];
        for (index_t i = e; i < e1; ++i) w[i - e] = a.w + static_cast<index_t>(g.rows[i]) * a.ldw;
        const float* next[2 * max_group];  // prefetched at batch > 1 only: the next pass's rows
        rows_ahead(g, a.w, a.ldw, gi, next);
        if (merged) rows_ahead(g, a.w, a.ldw, gi + 1, next + max_group);
        const float* x = a.x + e * a.batch;
        float* y = a.y + (g.out_offset ? g.out_offset[gi] : 0);
        if (merged) {
            f32_group<2 * max_group>(w, x, a, y, next);
            ++gi;
            e = e1;
            continue;
        }
        switch (e1 - e) {
        case 1: f32_group<1>(w, x, a, y, next); break;
        case 2: f32_group<2>(w, x, a, y, next); break;
        case 3: f32_group<3>(w, x, a, y, next); break;
        case 4: f32_group<4>(w, x, a, y, next); break;
        case 5: f32_group<5>(w, x, a, y, next); break;
        case 6: f32_group<6>(w, x, a, y, next); break;
        case 7: f32_group<7>(w, x, a, y, next); break;
        case 8:
            // Batch 1, 8 adjacent rows (dense stretches of x): two 4-row passes. 4 streams per
            // pass kept up with the DRAM better than 8 on a Zen 5 guest (fc6/fc7 cold, 0 % zeros:
            // 0.91-0.93 -> 0.98-1.04 of our dense GEMV); scattered rows stay 8 at a time (4-row
            // passes there cost 5-10 % at 90 % zeros).
            if (a.batch == 1 && g.rows[e + 7] - g.rows[e] == 7) {
                f32_group<4>(w, x, a, y, next);
                f32_group<4>(w + 4, x + 4, a, y, next);
            } else {
                f32_group<8>(w, x, a, y, next);
            }
            break;
        default: break;
        }
        e = e1;
    }
}

// x86: one lane mask per vector (float: lanes_of<float>, uint8: nonzero_bytes_width bytes),
// one step per non-zero; other archs and the tail: the branch-free scalar loop.
template <class Arch>
template <class X, class V>
index_t rows_kernels<Arch>::list_nonzero(const X* x, index_t n, std::int32_t* rows, V* values) noexcept
{
    constexpr bool bytes = std::is_same<X, std::uint8_t>::value;
    index_t e = 0, k = 0;
    if constexpr (Arch::id == simd::arch_id::sse4_2 || Arch::id == simd::arch_id::avx2 || Arch::id == simd::arch_id::avx512) {
        constexpr index_t W = bytes ? simd::nonzero_bytes_width<Arch>() : static_cast<index_t>(simd::lanes_of<float, Arch>());
        for (; k + W <= n; k += W) {
            std::uint32_t m;
            if constexpr (bytes)
                m = simd::nonzero_bytes<Arch>(x + k);
            else
                m = simd::nonzero_lanes<Arch>(x + k);
            for (; m != 0; m &= m - 1) {
                const index_t j = k + __builtin_ctz(m);
                rows[e] = static_cast<std::int32_t>(j);
                values[e] = x[j];
                ++e;
            }
        }
    }
    for (; k < n; ++k) {  // branch-free: overwritten when zero
        rows[e] = static_cast<std::int32_t>(k);
        values[e] = x[k];
        e += x[k] != X(0) ? 1 : 0;
    }
    return e;
}

template <class Arch>
index_t rows_kernels<Arch>::nonzero(const float* x, index_t n, std::int32_t* rows, float* values) noexcept
{
    return list_nonzero(x, n, rows, values);
}

template <class Arch>
index_t rows_kernels<Arch>::nonzero(const std::uint8_t* x, index_t n, std::int32_t* rows, std::int32_t* values) noexcept
{
    return list_nonzero(x, n, rows, values);
}

// ---- integer, scalar arch -------------------------------------------------------------------------

template <class Arch>
template <class Wt>
void rows_kernels<Arch>::scalar_int(const int_rows_args<Wt>& a, index_t width) noexcept
{
    const bool paired = width == 2;  // pairs: offset codes for negative outputs; wide: signed sums
    const unsigned bits = width == 4 ? 8u : 16u;
    const row_groups& g = a.groups;
    index_t e = g.first;
    for (index_t gi = 0; gi < g.count; ++gi) {
        const index_t e1 = g.end[gi];
        std::int32_t* y = a.y + (g.out_offset ? g.out_offset[gi] : 0);
        for (index_t s = 0; s < a.batch; ++s)
            for (index_t c = a.col_begin; c < a.col_end; ++c) {
                std::uint32_t sum = 0;
                for (index_t i = e; i < e1; ++i) {
                    bool negative = false;
                    if (a.signs) {
                        const index_t bit = (i < g.split[gi] ? g.sign_offset[gi] : g.sign_offset2[gi]) + c;
                        negative = ((a.signs[bit >> 6] >> (bit & 63)) & 1u) != 0;
                    }
                    const std::uint32_t xv = static_cast<std::uint32_t>(a.x[(i / width) * a.batch + s]);
                    const std::uint32_t xi = width == 1 ? xv : (xv >> (bits * unsigned(i % width))) & ((1u << bits) - 1u);
                    const std::int32_t wv = static_cast<std::int32_t>(a.w[static_cast<index_t>(g.rows[i]) * a.ldw + c]);
                    const std::uint32_t product = xi * static_cast<std::uint32_t>(paired && negative ? wv - 255 : wv);
                    sum += negative && !paired ? 0u - product : product;
                }
                std::int32_t& out = y[s * a.ldy + c];
                out = static_cast<std::int32_t>(static_cast<std::uint32_t>(out) + sum);
            }
        e = e1;
    }
}

// ---- integer pairs (int16 products) ----------------------------------------------------------------

// Batch 1, no signs.
template <class Arch>
template <int P, class Wt>
FINEGRAIN_ALWAYS_INLINE void rows_kernels<Arch>::pairs_row(const Wt* const* w, const Wt* const* next, const std::int32_t* x, const int_rows_args<Wt>& a,
                                   std::int32_t* y) noexcept
{
    using I16 = simd::batch<std::int16_t, Arch>;
    using I32 = simd::batch<std::int32_t, Arch>;
    constexpr index_t L = static_cast<index_t>(simd::lanes_of<std::int32_t, Arch>());
    I32 xp[P];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) xp[p] = I32(x[p]);
    for (index_t c = a.col_begin; c < a.col_end; c += 2 * L) {
        if (c % 64 == 0)  // a 64-byte line of every next row per 64 columns
#pragma GCC unroll 8
            for (int r = 0; r < max_group; ++r) __builtin_prefetch(next[r] + c, 0, 2);
        I32 lo(0), hi(0);
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) {
            I16 plo, phi;
            simd::interleave_i16<Arch>(simd::load_widen_i16<Arch>(w[2 * p] + c), simd::load_widen_i16<Arch>(w[2 * p + 1] + c), plo, phi);
            lo = lo + simd::dot2<Arch>(plo, xp[p]);
            hi = hi + simd::dot2<Arch>(phi, xp[p]);
        }
        (I32::load_unaligned(y + c) + lo).store_unaligned(y + c);
        (I32::load_unaligned(y + c + L) + hi).store_unaligned(y + c + L);
    }
}

template <class Arch>
template <int P, class Wt>
void rows_kernels<Arch>::pairs_group(const Wt* const* w, const Wt* const* next, const std::int32_t* x,
                                     const int_rows_args<Wt>& a, std::int32_t* y, index_t sign_bit, index_t split,
                                     index_t sign_bit2) noexcept
{
    using I16 = simd::batch<std::int16_t, Arch>;
    using I32 = simd::batch<std::int32_t, Arch>;
    constexpr index_t L = static_cast<index_t>(simd::lanes_of<std::int32_t, Arch>());
    const bool signed_group = a.signs != nullptr;
    const bool two_parts = signed_group && split < P;  // split: pairs of the first fragment
    auto word_at = [&](index_t bit) { return a.signs[bit >> 6] >> (bit & 63); };
    // Offsets of negative outputs: 255 in both int16 halves of their int32 lanes.
    auto offsets = [&](std::uint64_t word, I16& lo, I16& hi) {
        const I16 code(255);
        lo = simd::reinterpret<I16>(simd::lane_mask<Arch>(static_cast<std::uint32_t>(word))) & code;
        hi = simd::reinterpret<I16>(simd::lane_mask<Arch>(static_cast<std::uint32_t>(word >> L))) & code;
    };
    const Wt* ahead[max_group];
#pragma GCC unroll 8
    for (int r = 0; r < max_group; ++r) ahead[r] = next[r];
    for (index_t c = a.col_begin; c < a.col_end; c += 2 * L) {
        if (a.batch > 1) prefetch_lines(ahead, c, 2 * L);
        I16 plo[P], phi[P];
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p)
            simd::interleave_i16<Arch>(simd::load_widen_i16<Arch>(w[2 * p] + c), simd::load_widen_i16<Arch>(w[2 * p + 1] + c),
                                       plo[p], phi[p]);
        if (signed_group) {  // decode the weight pairs of negative outputs once, not every sample's sum
            I16 olo, ohi, olo2, ohi2;
            offsets(word_at(sign_bit + c), olo, ohi);
            if (two_parts) offsets(word_at(sign_bit2 + c), olo2, ohi2);
            else olo2 = olo, ohi2 = ohi;
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) {
                plo[p] = plo[p] - (p < split ? olo : olo2);
                phi[p] = phi[p] - (p < split ? ohi : ohi2);
            }
        }
        for (index_t s = 0; s < a.batch; ++s) {
            I32 lo(0), hi(0);
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) {
                const I32 xv(x[p * a.batch + s]);
                lo = lo + simd::dot2<Arch>(plo[p], xv);
                hi = hi + simd::dot2<Arch>(phi[p], xv);
            }
            std::int32_t* ys = y + s * a.ldy + c;
            (I32::load_unaligned(ys) + lo).store_unaligned(ys);
            (I32::load_unaligned(ys + L) + hi).store_unaligned(ys + L);
        }
    }
}

template <class Arch>
template <class Wt>
void rows_kernels<Arch>::pairs_any(const int_rows_args<Wt>& a) noexcept
{
    if constexpr (Arch::id == simd::arch_id::scalar) {
        scalar_int(a, 2);
    } else {
        const row_groups& g = a.groups;
        index_t e = g.first;
        for (index_t gi = 0; gi < g.count; ++gi) {
            const index_t e1 = g.end[gi];
            const Wt* w[max_group];
            for (index_t i = e; i < e1; ++i) w[i - e] = a.w + static_cast<index_t>(g.rows[i]) * a.ldw;
            const Wt* next[max_group];
            rows_ahead(g, a.w, a.ldw, gi, next);
            const std::int32_t* x = a.x + (e / 2) * a.batch;
            std::int32_t* y = a.y + (g.out_offset ? g.out_offset[gi] : 0);
            const index_t sb = a.signs ? g.sign_offset[gi] : 0, sb2 = a.signs ? g.sign_offset2[gi] : 0;
            const index_t split = a.signs ? (g.split[gi] - e) / 2 : max_group;  // pairs of the first fragment
            const bool row = a.batch == 1 && !a.signs;
            switch ((e1 - e) / 2) {
            case 1: row ? pairs_row<1>(w, next, x, a, y) : pairs_group<1>(w, next, x, a, y, sb, split, sb2); break;
            case 2: row ? pairs_row<2>(w, next, x, a, y) : pairs_group<2>(w, next, x, a, y, sb, split, sb2); break;
            case 3: row ? pairs_row<3>(w, next, x, a, y) : pairs_group<3>(w, next, x, a, y, sb, split, sb2); break;
            case 4: row ? pairs_row<4>(w, next, x, a, y) : pairs_group<4>(w, next, x, a, y, sb, split, sb2); break;
            default: break;
            }
            e = e1;
        }
    }
}

template <class Arch>
void rows_kernels<Arch>::pairs(const int_rows_args<std::uint8_t>& a) noexcept
{
    pairs_any(a);
}

template <class Arch>
void rows_kernels<Arch>::pairs(const int_rows_args<std::int8_t>& a) noexcept
{
    pairs_any(a);
}

template <class Arch>
void rows_kernels<Arch>::pack_pairs(index_t rows, index_t cols, const std::uint8_t* src, std::uint8_t* dst, index_t ld) noexcept
{
    constexpr index_t C = static_cast<index_t>(simd::lanes_of<std::int16_t, Arch>());  // chunk: 2L columns
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; c += C)
            for (index_t p = 0; p < C; ++p) dst[r * ld + c + p] = src[r * ld + c + simd::dot2_output_of_position<Arch>(p)];
}

// ---- batch > 1 epilogue ----------------------------------------------------------------------------

template <class Arch>
template <class T>
void rows_kernels<Arch>::write_out_any(const write_out_args<T>& a) noexcept
{
    constexpr bool real = std::is_same<T, float>::value;
    auto one = [&](index_t o, index_t s) {  // the scalar finish of output o, sample s
        T v = a.acc[s * a.ld_acc + o];
        if constexpr (real) {
            if (a.bias) v += a.bias[o];
            if (a.clamp) v = simd::clamp(simd::scalar_batch<float>(v), simd::scalar_batch<float>(a.lo), simd::scalar_batch<float>(a.hi)).v;
        }
        a.out[o * a.ldo + s] = v;
    };
    index_t o = a.col_begin;
    if constexpr (Arch::id == simd::arch_id::avx512) {
        using B = simd::batch<float, Arch>;
        constexpr index_t L = static_cast<index_t>(simd::lanes_of<float, Arch>());
        constexpr int P = 4;
        const B lo(a.lo), hi(a.hi);
        for (; o + L <= a.col_end; o += L) {
            const B bias = real && a.bias ? B::load_unaligned(reinterpret_cast<const float*>(a.bias) + o) : B(0.0f);
            float* dst[L];
            for (index_t f = 0; f < L; ++f) dst[f] = reinterpret_cast<float*>(a.out + (o + f) * a.ldo);
            index_t s = 0;
            for (; s + P <= a.batch; s += P) {
                B v[P];
#pragma GCC unroll 4
                for (int i = 0; i < P; ++i) {
                    v[i] = B::load_unaligned(reinterpret_cast<const float*>(a.acc + (s + i) * a.ld_acc + o));
                    if constexpr (real) {
                        if (a.bias) v[i] = v[i] + bias;
                        if (a.clamp) v[i] = simd::clamp(v[i], lo, hi);
                    }
                }
                simd::store_transposed<Arch, P>(v, dst);
#pragma GCC unroll 16
                for (index_t f = 0; f < L; ++f) dst[f] += P;
            }
            for (; s < a.batch; ++s)
                for (index_t f = 0; f < L; ++f) one(o + f, s);
        }
    }
    for (; o < a.col_end; ++o)
        for (index_t s = 0; s < a.batch; ++s) one(o, s);
}

template <class Arch>
void rows_kernels<Arch>::write_out(const write_out_args<float>& a) noexcept
{
    write_out_any(a);
}

template <class Arch>
void rows_kernels<Arch>::write_out(const write_out_args<std::int32_t>& a) noexcept
{
    write_out_any(a);
}

// ---- integer quads (AVX-512 VNNI) ---------------------------------------------------------------------

#if FINEGRAIN_X86_64
namespace vnni {

/// Full groups that follow each other run as one pass of this many (16 rows). Zen 5, fc7 int8
/// weights, 1 thread, against one group per pass: batch 16 0.59 -> 0.74 of oneDNN's VNNI
/// inner product, batch 1 from DRAM 0.68-0.72 -> 0.76-0.81; 4 groups at batch 1 lost 5-15 %
/// from DRAM, 3 at batch > 1 were no faster (weights are held in registers: 4 vectors a quad).
constexpr index_t merged_groups = 2;


/// The 64 columns at c of the quad of rows r[0..3] as 4 vectors of (w0, w1, w2, w3) lanes.
template <class Arch>
FINEGRAIN_ALWAYS_INLINE void load_quad(const std::int8_t* const* r, index_t c, simd::batch<std::int32_t, Arch> (&q)[4]) noexcept
{
    using U8 = simd::batch<std::uint8_t, Arch>;
    const U8 rows[4] = {U8::load_unaligned(reinterpret_cast<const std::uint8_t*>(r[0] + c)),
                        U8::load_unaligned(reinterpret_cast<const std::uint8_t*>(r[1] + c)),
                        U8::load_unaligned(reinterpret_cast<const std::uint8_t*>(r[2] + c)),
                        U8::load_unaligned(reinterpret_cast<const std::uint8_t*>(r[3] + c))};
    simd::interleave_u8x4<Arch>(rows, q);
}

/// Quad q of a pass over quad blocks (quad_block_offset): w[q] + 16 c, 4 vectors 64 bytes apart.
template <class Arch>
FINEGRAIN_ALWAYS_INLINE void load_quad_block(const std::int8_t* q, index_t c, simd::batch<std::int32_t, Arch> (&v)[4]) noexcept
{
    using I32 = simd::batch<std::int32_t, Arch>;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) v[i] = I32::load_unaligned(reinterpret_cast<const std::int32_t*>(q + 16 * c + 64 * i));
}

/// Q quads x columns [c0, c1) in 64-column steps, every sample (instantiated for avx512 only).
/// Packed: w[0..Q) are quads of a quad-block layout and next is not read (the plans run quad
/// blocks at batch 1: one stream the hardware streamers follow); else w[0..4Q) are rows and
/// next the A rows to prefetch.
template <class Arch, int Q, int A, bool Packed = false>
FINEGRAIN_TARGET_VNNI void quads_pass(const std::int8_t* const* w, const std::int8_t* const* next, const std::int32_t* x,
                                      index_t batch, std::int32_t* y, index_t ldy, index_t c0, index_t c1) noexcept
{
    using I32 = simd::batch<std::int32_t, Arch>;
    constexpr int W = Packed ? Q : 4 * Q;
    const std::int8_t* wr[W];  // local copies: the y stores cannot alias them
    const std::int8_t* ahead[A];
#pragma GCC unroll 32
    for (int r = 0; r < W; ++r) wr[r] = w[r];
    if constexpr (!Packed)
#pragma GCC unroll 32
        for (int r = 0; r < A; ++r) ahead[r] = next[r];
    auto load = [&](int q, index_t c, I32(&v)[4]) {
        if constexpr (Packed)
            load_quad_block<Arch>(wr[q], c, v);
        else
            load_quad<Arch>(wr + 4 * q, c, v);
    };
    if (batch == 1) {
        I32 xq[Q];
#pragma GCC unroll 8
        for (int q = 0; q < Q; ++q) xq[q] = I32(x[q]);
        for (index_t c = c0; c < c1; c += 64) {
            if constexpr (!Packed)
#pragma GCC unroll 32
                for (int r = 0; r < A; ++r) __builtin_prefetch(ahead[r] + c, 0, 2);
            I32 acc[4];
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) acc[v] = I32::load_unaligned(y + c + 16 * v);
#pragma GCC unroll 8
            for (int q = 0; q < Q; ++q) {
                I32 wq[4];
                load(q, c, wq);
#pragma GCC unroll 4
                for (int v = 0; v < 4; ++v) acc[v] = simd::dot4_u8s8<Arch>(acc[v], xq[q], wq[v]);
            }
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) acc[v].store_unaligned(y + c + 16 * v);
        }
        return;
    }
    for (index_t c = c0; c < c1; c += 64) {
        if constexpr (!Packed)
#pragma GCC unroll 32
            for (int r = 0; r < A; ++r) __builtin_prefetch(ahead[r] + c, 0, 1);
        I32 wq[Q][4];
#pragma GCC unroll 8
        for (int q = 0; q < Q; ++q) load(q, c, wq[q]);
        for (index_t s = 0; s < batch; ++s) {
            std::int32_t* ys = y + s * ldy + c;
            I32 acc[4];
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) acc[v] = I32::load_unaligned(ys + 16 * v);
#pragma GCC unroll 8
            for (int q = 0; q < Q; ++q) {
                const I32 xq(x[q * batch + s]);
#pragma GCC unroll 4
                for (int v = 0; v < 4; ++v) acc[v] = simd::dot4_u8s8<Arch>(acc[v], xq, wq[q][v]);
            }
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) acc[v].store_unaligned(ys + 16 * v);
        }
    }
}

/// MB samples x the 64 columns of one panel: y[s*ldy + 0..64) += the panel's products over
/// `quads` quads; x[q*batch + s] the quad of inputs of sample s.
template <class Arch, int MB>
FINEGRAIN_TARGET_VNNI void panel_tile(const std::int8_t* w, index_t quads, const std::int32_t* x, index_t batch, std::int32_t* y,
                                      index_t ldy) noexcept
{
    using I32 = simd::batch<std::int32_t, Arch>;
    I32 acc[MB][4];
#pragma GCC unroll 8
    for (int s = 0; s < MB; ++s)
#pragma GCC unroll 4
        for (int v = 0; v < 4; ++v) acc[s][v] = I32::load_unaligned(y + s * ldy + 16 * v);
    for (index_t q = 0; q < quads; ++q, w += 256, x += batch) {
        I32 wq[4];
        load_quad_block<Arch>(w, 0, wq);
#pragma GCC unroll 8
        for (int s = 0; s < MB; ++s) {
            const I32 xq(x[s]);
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) acc[s][v] = simd::dot4_u8s8<Arch>(acc[s][v], xq, wq[v]);
        }
    }
#pragma GCC unroll 8
    for (int s = 0; s < MB; ++s)
#pragma GCC unroll 4
        for (int v = 0; v < 4; ++v) acc[s][v].store_unaligned(y + s * ldy + 16 * v);
}

} // namespace vnni
#endif

template <class Arch>
void rows_kernels<Arch>::quad_panels(const int_rows_args<std::int8_t>& a) noexcept
{
    const index_t quads = (a.groups.count > 0 ? a.groups.end[a.groups.count - 1] : 0) / 4;
#if FINEGRAIN_X86_64
    if constexpr (Arch::id == simd::arch_id::avx512) {
        // Panels outer, sample tiles inner: the first tile reads the panel from memory (one
        // stream the hardware prefetchers follow: Zen 5, fc7 b16 from L3, prefetching 2 KB ahead
        // in software lost 2-7 %), the others from L2.
        for (index_t c = a.col_begin; c < a.col_end; c += 64) {
            const std::int8_t* w = a.w + quad_panel_offset(0, c, quads);
            for (index_t s = 0; s < a.batch; s += panel_samples) {
                const std::int32_t* x = a.x + s;
                std::int32_t* y = a.y + s * a.ldy + c;
                switch (std::min<index_t>(panel_samples, a.batch - s)) {
                case 1: vnni::panel_tile<Arch, 1>(w, quads, x, a.batch, y, a.ldy); break;
                case 2: vnni::panel_tile<Arch, 2>(w, quads, x, a.batch, y, a.ldy); break;
                case 3: vnni::panel_tile<Arch, 3>(w, quads, x, a.batch, y, a.ldy); break;
                case 4: vnni::panel_tile<Arch, 4>(w, quads, x, a.batch, y, a.ldy); break;
                case 5: vnni::panel_tile<Arch, 5>(w, quads, x, a.batch, y, a.ldy); break;
                default: vnni::panel_tile<Arch, 6>(w, quads, x, a.batch, y, a.ldy); break;
                }
            }
        }
        return;
    }
#endif
    // Other archs (never chosen by the plans): the plain loop on the quad-panel layout.
    for (index_t s = 0; s < a.batch; ++s)
        for (index_t c = a.col_begin; c < a.col_end; ++c) {
            std::uint32_t sum = 0;
            for (index_t r = 0; r < 4 * quads; ++r) {
                const std::uint32_t xi = (static_cast<std::uint32_t>(a.x[(r / 4) * a.batch + s]) >> (8 * unsigned(r % 4))) & 0xffu;
                sum += xi * static_cast<std::uint32_t>(std::int32_t(a.w[quad_panel_offset(r, c, quads)]));
            }
            std::int32_t& out = a.y[s * a.ldy + c];
            out = static_cast<std::int32_t>(static_cast<std::uint32_t>(out) + sum);
        }
}

template <class Arch>
void rows_kernels<Arch>::pack_input_quads(const std::uint8_t* x, index_t ldx, index_t rows, index_t batch, std::int32_t* out) noexcept
{
    for (index_t k = 0; k < rows; k += 4, out += batch) {
        index_t s = 0;
#if FINEGRAIN_X86_64
        if constexpr (Arch::id == simd::arch_id::avx512)
            if (k + 4 <= rows)
                for (; s + 16 <= batch; s += 16)
                    simd::interleave_u8x4_x16<Arch>(x + k * ldx + s, x + (k + 1) * ldx + s, x + (k + 2) * ldx + s, x + (k + 3) * ldx + s, out + s);
#endif
        for (; s < batch; ++s) {
            std::uint32_t v = 0;
            for (index_t i = std::min<index_t>(4, rows - k); i-- > 0;) v = (v << 8) | x[(k + i) * ldx + s];
            out[s] = static_cast<std::int32_t>(v);
        }
    }
}

template <class Arch>
void rows_kernels<Arch>::quads(const int_rows_args<std::int8_t>& a) noexcept
{
    quads_any<false>(a);
}

template <class Arch>
void rows_kernels<Arch>::quad_blocks(const int_rows_args<std::int8_t>& a) noexcept
{
    quads_any<true>(a);
}

template <class Arch>
template <bool Packed>
void rows_kernels<Arch>::quads_any(const int_rows_args<std::int8_t>& a) noexcept
{
#if FINEGRAIN_X86_64
    if constexpr (Arch::id == simd::arch_id::avx512) {
        constexpr index_t G = vnni::merged_groups;
        const row_groups& g = a.groups;
        index_t e = g.first;
        for (index_t gi = 0; gi < g.count;) {
            const index_t n = pass_groups(g, gi, e, G), e1 = g.end[gi + n - 1];
            // Rows: the pass's rows, and the next pass's (at least prefetch_groups ahead). Quad
            // blocks: the pass's quads.
            const std::int8_t* w[G * max_group];
            const std::int8_t* next[G * max_group];
            if constexpr (Packed) {
                for (index_t i = e; i < e1; i += 4) w[(i - e) / 4] = a.w + quad_block_offset(g.rows[i], 0, a.ldw);
            } else {
                for (index_t i = e; i < e1; ++i) w[i - e] = a.w + static_cast<index_t>(g.rows[i]) * a.ldw;
                const index_t skip = n > prefetch_groups ? n - prefetch_groups : 0;
                for (index_t j = 0; j < n; ++j) rows_ahead(g, a.w, a.ldw, gi + skip + j, next + j * max_group);
            }
            const std::int32_t* x = a.x + (e / 4) * a.batch;
            switch ((e1 - e) / 4) {
            case 1: vnni::quads_pass<Arch, 1, max_group, Packed>(w, next, x, a.batch, a.y, a.ldy, a.col_begin, a.col_end); break;
            case 2: vnni::quads_pass<Arch, 2, max_group, Packed>(w, next, x, a.batch, a.y, a.ldy, a.col_begin, a.col_end); break;
            case 4: vnni::quads_pass<Arch, 4, 2 * max_group, Packed>(w, next, x, a.batch, a.y, a.ldy, a.col_begin, a.col_end); break;
            default: break;
            }
            gi += n;
            e = e1;
        }
        return;
    }
#endif
    if constexpr (!Packed) {
        scalar_int(a, 4);
    } else {  // other archs (never chosen by the plans): the plain loop on the quad-block layout
        const row_groups& g = a.groups;
        index_t e = g.first;
        for (index_t gi = 0; gi < g.count; ++gi) {
            const index_t e1 = g.end[gi];
            for (index_t s = 0; s < a.batch; ++s)
                for (index_t c = a.col_begin; c < a.col_end; ++c) {
                    std::uint32_t sum = 0;
                    for (index_t i = e; i < e1; ++i) {
                        const std::uint32_t xv = static_cast<std::uint32_t>(a.x[(i / 4) * a.batch + s]);
                        const std::uint32_t xi = (xv >> (8 * unsigned(i % 4))) & 0xffu;
                        const index_t row = static_cast<index_t>(g.rows[i]) / 4 * 4 + i % 4;  // pads: x is 0
                        sum += xi * static_cast<std::uint32_t>(std::int32_t(a.w[quad_block_offset(row, c, a.ldw)]));
                    }
                    std::int32_t& out = a.y[s * a.ldy + c];
                    out = static_cast<std::int32_t>(static_cast<std::uint32_t>(out) + sum);
                }
            e = e1;
        }
    }
}

template <class Arch>
void rows_kernels<Arch>::pack_quads(index_t rows, index_t cols, const std::uint8_t* src, std::uint8_t* dst, index_t ld) noexcept
{
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; c += 64)
            for (index_t p = 0; p < 64; ++p) dst[r * ld + c + p] = src[r * ld + c + simd::quad_column_of_position<Arch>(p)];
}

// ---- sign correction of offset codes (batch 1) ------------------------------------------------------

template <class Arch>
void rows_kernels<Arch>::sign_correction(const sign_correction_args& a) noexcept
{
    constexpr index_t B = simd::nibble_block<Arch>();
    const std::uint32_t offset = static_cast<std::uint32_t>(a.code_offset);
    if constexpr (Arch::id == simd::arch_id::scalar) {
        auto entry = [&](const std::uint8_t* t, unsigned i) { return std::uint32_t(t[i]) | std::uint32_t(t[16 + i]) << 8; };
        for (index_t c = a.col_begin; c < a.col_end; ++c) {
            const index_t b = c / B, p = c % B;  // scalar: nibble_column_of_position is the identity
            std::uint32_t sum = 0;
            for (index_t s = 0; s < a.steps; ++s) {
                const unsigned v = a.nibbles[(b * a.steps + s) * B + p];
                sum += entry(a.tables + 64 * s, v & 15u) + entry(a.tables + 64 * s + 32, v >> 4);
            }
            a.y[c] = static_cast<std::int32_t>(static_cast<std::uint32_t>(a.start) - offset * sum);
        }
    } else {
        using U8 = simd::batch<std::uint8_t, Arch>;
        using U16 = simd::batch<std::uint16_t, Arch>;
        using I32 = simd::batch<std::int32_t, Arch>;
        constexpr index_t L = static_cast<index_t>(simd::lanes_of<std::int32_t, Arch>());
        static_assert(B == 4 * L, "a block is four int32 results");
        const U8 nibble(15);
        const U16 zero(0);
        auto wide = [](const U8& low, const U8& high, bool first) {  // uint16 entries from their two bytes
            return simd::reinterpret<U16>(first ? simd::zip_lo(low, high) : simd::zip_hi(low, high));
        };
        for (index_t c = a.col_begin; c < a.col_end; c += B) {
            const std::uint8_t* nb = a.nibbles + (c / B) * a.steps * B;
            I32 z0(0), z1(0), z2(0), z3(0);
            for (index_t s0 = 0; s0 < a.steps; s0 += a.steps_per_widen) {
                const index_t s1 = s0 + a.steps_per_widen < a.steps ? s0 + a.steps_per_widen : a.steps;
                U16 acc_lo(0), acc_hi(0);
                for (index_t s = s0; s < s1; ++s) {
                    const U8 v = U8::load_unaligned(nb + s * B);
                    const U8 i0 = v & nibble, i1 = simd::reinterpret<U8>(simd::reinterpret<U16>(v) >> 4) & nibble;
                    const std::uint8_t* t = a.tables + 64 * s;
                    const U8 l0 = simd::lookup16<Arch>(simd::table16<Arch>(t), i0);
                    const U8 h0 = simd::lookup16<Arch>(simd::table16<Arch>(t + 16), i0);
                    const U8 l1 = simd::lookup16<Arch>(simd::table16<Arch>(t + 32), i1);
                    const U8 h1 = simd::lookup16<Arch>(simd::table16<Arch>(t + 48), i1);
                    acc_lo += wide(l0, h0, true) + wide(l1, h1, true);
                    acc_hi += wide(l0, h0, false) + wide(l1, h1, false);
                }
                z0 += simd::reinterpret<I32>(simd::zip_lo(acc_lo, zero));
                z1 += simd::reinterpret<I32>(simd::zip_hi(acc_lo, zero));
                z2 += simd::reinterpret<I32>(simd::zip_lo(acc_hi, zero));
                z3 += simd::reinterpret<I32>(simd::zip_hi(acc_hi, zero));
            }
            const I32 k(static_cast<std::int32_t>(offset)), start(a.start);
            (start - z0 * k).store_unaligned(a.y + c);
            (start - z1 * k).store_unaligned(a.y + c + L);
            (start - z2 * k).store_unaligned(a.y + c + 2 * L);
            (start - z3 * k).store_unaligned(a.y + c + 3 * L);
        }
    }
}

template <class Arch>
void rows_kernels<Arch>::pack_sign_nibbles(index_t steps, index_t cols, const std::uint8_t* src, std::uint8_t* dst) noexcept
{
    constexpr index_t B = simd::nibble_block<Arch>();
    for (index_t b = 0; b < cols / B; ++b)
        for (index_t s = 0; s < steps; ++s)
            for (index_t p = 0; p < B; ++p)
                dst[(b * steps + s) * B + p] = src[s * cols + b * B + simd::nibble_column_of_position<Arch>(p)];
}

// ---- integer wide (int32 products) -----------------------------------------------------------------

template <class Arch>
template <int R, class Wt>
void rows_kernels<Arch>::wide_group(const Wt* const* w, const Wt* const* next, const std::int32_t* x,
                                    const int_rows_args<Wt>& a, std::int32_t* y, index_t sign_bit, index_t split,
                                    index_t sign_bit2) noexcept
{
    using I32 = simd::batch<std::int32_t, Arch>;
    constexpr index_t L = static_cast<index_t>(simd::lanes_of<std::int32_t, Arch>());
    const bool two_parts = a.signs && split < R;  // split: entries of the first fragment
    auto masks = [&](index_t bit, I32& lo, I32& hi) {
        const std::uint64_t word = a.signs[bit >> 6] >> (bit & 63);
        lo = simd::lane_mask<Arch>(static_cast<std::uint32_t>(word));
        hi = simd::lane_mask<Arch>(static_cast<std::uint32_t>(word >> L));
    };
    const Wt* ahead[max_group];
#pragma GCC unroll 8
    for (int r = 0; r < max_group; ++r) ahead[r] = next[r];
    for (index_t c = a.col_begin; c < a.col_end; c += 2 * L) {
        if (a.batch > 1) prefetch_lines(ahead, c, 2 * L);
        I32 mlo(0), mhi(0), mlo2(0), mhi2(0);
        if (a.signs) {
            masks(sign_bit + c, mlo, mhi);
            if (two_parts) masks(sign_bit2 + c, mlo2, mhi2);
            else mlo2 = mlo, mhi2 = mhi;
        }
        // Batch > 1: the weights of negative outputs are negated once, not every sample's sum.
        const bool negate_weights = a.signs && a.batch > 1;
        I32 wlo[R], whi[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            wlo[r] = simd::load_widen_i32<Arch>(w[r] + c);
            whi[r] = simd::load_widen_i32<Arch>(w[r] + c + L);
            if (negate_weights) {
                wlo[r] = simd::apply_sign_mask<Arch>(wlo[r], r < split ? mlo : mlo2);
                whi[r] = simd::apply_sign_mask<Arch>(whi[r], r < split ? mhi : mhi2);
            }
        }
        for (index_t s = 0; s < a.batch; ++s) {
            I32 lo(0), hi(0);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                if (two_parts && !negate_weights && r == split) {  // lo = s1*s2*A, so s2*(lo + B) = s1*A + s2*B
                    lo = simd::apply_sign_mask<Arch>(lo, mlo ^ mlo2);
                    hi = simd::apply_sign_mask<Arch>(hi, mhi ^ mhi2);
                }
                const I32 xv(x[r * a.batch + s]);
                lo = lo + wlo[r] * xv;
                hi = hi + whi[r] * xv;
            }
            if (a.signs && !negate_weights) {
                lo = simd::apply_sign_mask<Arch>(lo, mlo2);
                hi = simd::apply_sign_mask<Arch>(hi, mhi2);
            }
            std::int32_t* ys = y + s * a.ldy + c;
            (I32::load_unaligned(ys) + lo).store_unaligned(ys);
            (I32::load_unaligned(ys + L) + hi).store_unaligned(ys + L);
        }
    }
}

template <class Arch>
template <class Wt>
void rows_kernels<Arch>::wide_any(const int_rows_args<Wt>& a) noexcept
{
    if constexpr (Arch::id == simd::arch_id::scalar) {
        scalar_int(a, 1);
    } else {
        const row_groups& g = a.groups;
        index_t e = g.first;
        for (index_t gi = 0; gi < g.count; ++gi) {
            const index_t e1 = g.end[gi];
            const Wt* w[max_group];
            for (index_t i = e; i < e1; ++i) w[i - e] = a.w + static_cast<index_t>(g.rows[i]) * a.ldw;
            const Wt* next[max_group];
            rows_ahead(g, a.w, a.ldw, gi, next);
            const std::int32_t* x = a.x + e * a.batch;
            std::int32_t* y = a.y + (g.out_offset ? g.out_offset[gi] : 0);
            const index_t sb = a.signs ? g.sign_offset[gi] : 0, sb2 = a.signs ? g.sign_offset2[gi] : 0;
            const index_t split = a.signs ? g.split[gi] - e : max_group;  // entries of the first fragment
            switch (e1 - e) {
            case 1: wide_group<1>(w, next, x, a, y, sb, split, sb2); break;
            case 2: wide_group<2>(w, next, x, a, y, sb, split, sb2); break;
            case 3: wide_group<3>(w, next, x, a, y, sb, split, sb2); break;
            case 4: wide_group<4>(w, next, x, a, y, sb, split, sb2); break;
            case 5: wide_group<5>(w, next, x, a, y, sb, split, sb2); break;
            case 6: wide_group<6>(w, next, x, a, y, sb, split, sb2); break;
            case 7: wide_group<7>(w, next, x, a, y, sb, split, sb2); break;
            case 8: wide_group<8>(w, next, x, a, y, sb, split, sb2); break;
            default: break;
            }
            e = e1;
        }
    }
}

template <class Arch>
void rows_kernels<Arch>::wide(const int_rows_args<std::uint8_t>& a) noexcept
{
    wide_any(a);
}
template <class Arch>
void rows_kernels<Arch>::wide(const int_rows_args<std::int8_t>& a) noexcept
{
    wide_any(a);
}
template <class Arch>
void rows_kernels<Arch>::wide(const int_rows_args<std::uint16_t>& a) noexcept
{
    wide_any(a);
}

} // namespace zeroskip
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::zeroskip::rows_kernels)
