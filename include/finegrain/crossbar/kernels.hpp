// SPDX-License-Identifier: BSD-3-Clause
// The crossbar model's SIMD kernels, templated on the architecture tag.
//
// crossbar_kernels<Arch>::column_sums_u8 / _u16 / _i32 / _u8_split
//   Computes: for every column c of [col_begin, col_end) of a programmed layer and every input
//             cycle t, the ADC codes of all fragments, signed and summed:
//               out[c] += sum_f sum_{t runs in f} sign(f, c) adc(P(f, t, c)) 2^(t d)
//             P(f, t, c) = sum_r v(t, r) e(r, c) is the fragment's analog column sum (v = input
//             slice, e = effective level, fixed point), adc(P) = min(max((P + round) >> shift, 0), max).
//             This is the same per-(input slice, weight slice, fragment) sum, conversion and
//             shift-and-add as ref::crossbar_mvm, bit for bit; the plan adds the flip and offset
//             terms (unit columns) and the slice shifts 2^(s c).
//   Method:   rows are taken in groups of g (g d <= 4 input bits). Per fragment and column block
//             the kernel tabulates, per group, the sums of every subset-with-multiplicity of the
//             group's levels (2^(g d) entries, one add each), so one cycle of a group costs one
//             vector add: P = sum over groups of table[group][pattern(f, t, group)]. The sign is
//             applied as (code ^ mask) - mask (mask = all ones to negate); codes are summed per
//             cycle in narrow lanes (modular) and widened to int32 every `flush_every` fragments,
//             before |sum| could leave the narrow signed range.
//   Lanes:    u8 when every P + round fits 8 bits (FORMS: 8 rows x 3 levels); u8_split when each
//             half of the fragment's row groups (the first split_groups, the rest) fits 8 bits:
//             byte tables read as uint16 lanes of two columns, the halves separated into even
//             and odd columns and added in uint16 before the ADC (ISAAC: 2 x 64 rows x 3); u16
//             when P fits 16 bits; i32 otherwise and for fixed-point (non-ideal) levels.
//   Blocks:   u8/u16/i32 take columns in blocks of block_columns (tables of ~8 KB), so a cycle's
//             table rows are found once per block and then streamed over its vectors;
//             u8_split takes one vector (2 W uint16 columns) per block.
//   Layouts:  levels [f][group][g][columns] (rows past the fragment are 0); negate [f][columns];
//             patterns [f][i][group] for the i-th cycle fragment f runs, cycles [f][16], runs [f].
//             columns is a multiple of the widest vector (64 bytes); blocks are whole vectors.
//   Scratch:  tables: groups * 2^(g d) * block lanes; accumulators: 16 * block lanes (u8_split:
//             16 * 2 W uint16); wide: 16 * max(block, 64) int32.
//   Preconds: validated by crossbar::fast_engine (g d <= 4, bounds above, cycles <= 16).
//
// crossbar_kernels<Arch>::exact_gemv
//   Computes: y[n] = sum_k w[n][k] x[k] exactly (the crossbar's ideal target and the digital
//             baseline), int16 weights, inputs as low and high bytes (x = lo + 256 hi, hi may be
//             absent for inputs < 256), int32 partial sums per byte, int64 result.
//   Layout:   w packed [block][k/2][NB][2] int16 (NB = 4 vectors of int32 lanes; block stride
//             k_stride pairs), k padded to even with zeros; x_lo / x_hi as int32 words holding the
//             pair (x[2j], x[2j+1]) of low / high bytes.
//   Numerics: |w| <= 32767, k * 255 * 32767 < 2^31 per byte half (k < 257); beyond that the
//             plan splits k into chunks. The scalar tag runs the same arithmetic lane by lane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"
#include "finegrain/simd/int_ops.hpp"

namespace finegrain {
namespace crossbar {

struct column_sum_args {
    index_t fragments = 0;
    index_t groups = 0;          ///< row groups per fragment
    int group_rows = 0;          ///< g
    int dac_bits = 1;            ///< d
    index_t columns = 0;         ///< row length of levels / negate (padded)
    index_t col_begin = 0, col_end = 0;
    const void* levels = nullptr;   ///< lane type of the kernel
    const void* negate = nullptr;   ///< lane type of the kernel: 0 or all ones
    const std::uint8_t* patterns = nullptr;
    const std::int8_t* cycles = nullptr;
    const std::uint8_t* runs = nullptr;
    std::int32_t adc_round = 0;
    int adc_shift = 0;
    std::int32_t adc_max = 0;
    index_t flush_every = 1;
    index_t split_groups = 0;      ///< column_sums_u8_split: row groups of the first sub-fragment
    index_t block_columns = 0;     ///< column_sums_u8/u16/i32: columns per table block (a multiple of W)
    int input_cycles = 16;         ///< cycles an input takes (every t in cycles is below it), <= 16
    const void* prebuilt = nullptr;  ///< lane type: every block's and fragment's tables, [c0 / block][f][group][entry][block], or null
    std::int64_t* out = nullptr;   ///< [columns], added to
    void* scratch = nullptr;       ///< lane type; (groups << (g d)) * W + 16 * W lanes
    std::int32_t* wide = nullptr;  ///< 16 * W
};

struct exact_gemv_args {
    index_t k_pairs = 0;             ///< pairs of k in this call
    index_t k_stride = 0;            ///< pairs of k between consecutive blocks of w
    index_t blocks = 0;
    const std::int16_t* w = nullptr;
    const std::int32_t* x_lo = nullptr;
    const std::int32_t* x_hi = nullptr;  ///< null for inputs < 256
    std::int64_t* y = nullptr;           ///< blocks * block_outputs, added to
};

template <class Arch>
struct crossbar_kernels {
    /// Outputs per exact_gemv block.
    static constexpr index_t gemv_block = 4 * static_cast<index_t>(simd::lanes_of<std::int32_t, Arch>());
    /// Lanes of one column block, per lane type.
    template <class L>
    static constexpr index_t lanes() noexcept
    {
        return static_cast<index_t>(simd::lanes_of<L, Arch>());
    }

    static void column_sums_u8(const column_sum_args& a) noexcept;
    static void column_sums_u16(const column_sum_args& a) noexcept;
    static void column_sums_i32(const column_sum_args& a) noexcept;
    static void column_sums_u8_split(const column_sum_args& a) noexcept;
    static void exact_gemv(const exact_gemv_args& a) noexcept;

private:
    /// One lane of L with the operations column_sums needs (the scalar tag's vector).
    template <class L>
    struct scalar_lane {
        static constexpr std::size_t size = 1;
        L v;
        scalar_lane(L x = 0) : v(x) {}  // NOLINT(google-explicit-constructor): broadcast, as xsimd
        static scalar_lane load_unaligned(const L* p) { return scalar_lane(*p); }
        void store_unaligned(L* p) const { *p = v; }
        friend scalar_lane operator+(scalar_lane a, scalar_lane b) { return scalar_lane(static_cast<L>(a.v + b.v)); }
        friend scalar_lane operator-(scalar_lane a, scalar_lane b) { return scalar_lane(static_cast<L>(a.v - b.v)); }
        friend scalar_lane operator^(scalar_lane a, scalar_lane b) { return scalar_lane(static_cast<L>(a.v ^ b.v)); }
        friend scalar_lane operator&(scalar_lane a, scalar_lane b) { return scalar_lane(static_cast<L>(a.v & b.v)); }
        friend scalar_lane operator|(scalar_lane a, scalar_lane b) { return scalar_lane(static_cast<L>(a.v | b.v)); }
        friend scalar_lane operator<<(scalar_lane a, int s) { return scalar_lane(static_cast<L>(a.v << s)); }
        friend scalar_lane operator>>(scalar_lane a, int s) { return scalar_lane(static_cast<L>(a.v >> s)); }
    };
    template <class L>
    using lane_vector = std::conditional_t<Arch::id == simd::arch_id::scalar, scalar_lane<L>, simd::batch<L, Arch>>;
    template <class V>
    static V lane_min(const V& a, const V& b) noexcept
    {
        if constexpr (Arch::id == simd::arch_id::scalar) return a.v < b.v ? a : b;
        else return simd::min(a, b);
    }
    template <class V>
    static V lane_max(const V& a, const V& b) noexcept
    {
        if constexpr (Arch::id == simd::arch_id::scalar) return a.v < b.v ? b : a;
        else return simd::max(a, b);
    }
    template <class L>
    static void column_sums(const column_sum_args& a) noexcept;
    /// The subset-sum tables of one fragment's groups for the lanes of one V at lv (levels rows
    /// of `columns` elements of V's lane type, or of bytes when V adds byte pairs in wider
    /// lanes); entry p of group gr at tables + (gr 2^(g d) + p) W.
    template <class V, class E>
    static void build_tables(const E* lv, index_t columns, index_t groups, int g, int d, E* tables, index_t W) noexcept
    {
        const V zero(0);
        const index_t entries = index_t(1) << (g * d), digit_max = (index_t(1) << d) - 1;
        for (index_t gr = 0; gr < groups; ++gr) {
            E* tb = tables + gr * entries * W;
            if (d == 1 && g == 4) {  // the common case in registers: 11 adds, 16 stores
                const V l0 = V::load_unaligned(lv + gr * 4 * columns), l1 = V::load_unaligned(lv + (gr * 4 + 1) * columns);
                const V l2 = V::load_unaligned(lv + (gr * 4 + 2) * columns), l3 = V::load_unaligned(lv + (gr * 4 + 3) * columns);
                const V e3 = l0 + l1, e5 = l0 + l2, e6 = l1 + l2, e7 = e3 + l2;
                const V e[8] = {zero, l0, l1, e3, l2, e5, e6, e7};
                for (int p = 0; p < 8; ++p) {
                    e[p].store_unaligned(tb + p * W);
                    (e[p] + l3).store_unaligned(tb + (p + 8) * W);
                }
                continue;
            }
            zero.store_unaligned(tb);
            for (int j = 0; j < g; ++j) {
                const V level = V::load_unaligned(lv + (gr * g + j) * columns);
                const index_t span = index_t(1) << (j * d);
                for (index_t v = 1; v <= digit_max; ++v)
                    for (index_t q = 0; q < span; ++q)
                        (V::load_unaligned(tb + (q + (v - 1) * span) * W) + level).store_unaligned(tb + (q + v * span) * W);
            }
        }
    }
};

template <class Arch>
template <class L>
void crossbar_kernels<Arch>::column_sums(const column_sum_args& a) noexcept
{
    using V = lane_vector<L>;
    using S = std::conditional_t<sizeof(L) == 1, std::int8_t, std::conditional_t<sizeof(L) == 2, std::int16_t, std::int32_t>>;
    constexpr index_t W = static_cast<index_t>(V::size);
    // Byte lanes are flushed into int16 lanes with vector shifts (SIMD archs).
    constexpr bool byte_pairs = sizeof(L) == 1 && Arch::id != simd::arch_id::scalar;
    // Everything the loops read, as locals: stores through L* (a char type for u8) would
    // otherwise force reloads of the argument block.
    const L* FINEGRAIN_RESTRICT levels = static_cast<const L*>(a.levels);
    const L* FINEGRAIN_RESTRICT negate = static_cast<const L*>(a.negate);
    const L* FINEGRAIN_RESTRICT prebuilt = static_cast<const L*>(a.prebuilt);
    L* FINEGRAIN_RESTRICT tables = static_cast<L*>(a.scratch);
    std::int32_t* FINEGRAIN_RESTRICT wide = a.wide;
    std::int64_t* FINEGRAIN_RESTRICT out = a.out;
    const std::uint8_t* FINEGRAIN_RESTRICT patterns = a.patterns;
    const std::int8_t* FINEGRAIN_RESTRICT cycle_list = a.cycles;
    const std::uint8_t* FINEGRAIN_RESTRICT runs_of = a.runs;
    const index_t fragments = a.fragments, groups = a.groups, columns = a.columns, flush_every = a.flush_every;
    const index_t col_begin = a.col_begin, col_end = a.col_end, C = a.block_columns;
    const int g = a.group_rows, d = a.dac_bits, shift = a.adc_shift, T = a.input_cycles;
    const index_t entries = index_t(1) << (g * d);
    L* FINEGRAIN_RESTRICT acc = tables + groups * entries * C;  // [16][C] narrow sums
    std::int16_t* FINEGRAIN_RESTRICT acc16 = reinterpret_cast<std::int16_t*>(wide);  // [16][C] (byte_pairs)
    const V round(static_cast<L>(a.adc_round)), top(static_cast<L>(a.adc_max)), zero(L(0));
    // One conversion of W columns: ADC, sign, shift-and-add into the cycle's narrow sums.
    const auto convert = [&](V sum, index_t j, const L* neg_row, L* acc_row) {
        V code = shift ? ((sum + round) >> shift) : sum;
        if (std::is_signed<L>::value) code = lane_max(code, zero);
        const V neg = V::load_unaligned(neg_row + j);
        code = (lane_min(code, top) ^ neg) - neg;
        (V::load_unaligned(acc_row + j) + code).store_unaligned(acc_row + j);
    };

    // Columns in blocks of C (the engine sizes the tables of a block to stay in L1): the input
    // side of a cycle (its table rows) is looked up once per block, not once per vector.
    for (index_t c0 = col_begin; c0 < col_end; c0 += C) {
        const index_t cols = col_end - c0 < C ? col_end - c0 : C;
        for (index_t i = 0; i < T * C; ++i) wide[i] = 0;
        for (index_t i = 0; i < T * C; ++i) acc[i] = 0;
        index_t pending = 0;
        for (index_t f = 0; f < fragments; ++f) {
            // Tables: entry p of a group = sum_j digit_j(p) level_j, built digit by digit so no
            // entry waits on the store just before it (or built once by the engine).
            const L* tab = tables;
            const index_t ts = C;  // elements between a table's entries
            if (prebuilt) {
                tab = prebuilt + (c0 / C * fragments + f) * groups * entries * C;
            } else {
                for (index_t j = 0; j < cols; j += W)
                    build_tables<V>(levels + f * groups * g * columns + c0 + j, columns, groups, g, d, tables + j, C);
            }
            const L* neg_row = negate + f * columns + c0;
            const std::uint8_t* pat = patterns + f * 16 * groups;
            const int runs = runs_of[f];
            for (int i = 0; i < runs; ++i) {
                const int t = cycle_list[f * 16 + i];
                const std::uint8_t* pt = pat + i * groups;
                L* acc_row = acc + t * C;
                const L* row0 = tab + index_t(pt[0]) * ts;
                if (groups == 1) {
                    for (index_t j = 0; j < cols; j += W) convert(V::load_unaligned(row0 + j), j, neg_row, acc_row);
                } else if (groups == 2) {  // FORMS m = 8 with 1-bit DACs
                    const L* row1 = tab + (entries + pt[1]) * ts;
                    for (index_t j = 0; j < cols; j += W)
                        convert(V::load_unaligned(row0 + j) + V::load_unaligned(row1 + j), j, neg_row, acc_row);
                } else {
                    for (index_t j = 0; j < cols; j += W) {
                        V sum = V::load_unaligned(row0 + j);
                        for (index_t gr = 1; gr < groups; ++gr)
                            sum = sum + V::load_unaligned(tab + (gr * entries + pt[gr]) * ts + j);
                        convert(sum, j, neg_row, acc_row);
                    }
                }
            }
            if (++pending == flush_every || f + 1 == fragments) {
                pending = 0;
                if constexpr (byte_pairs) {
                    // int8 lanes -> int16 lanes: even bytes (x << 8) >> 8, odd bytes x >> 8.
                    using V16 = simd::batch<std::int16_t, Arch>;
                    constexpr index_t H = W / 2;
                    for (int t = 0; t < T; ++t)
                        for (index_t j = 0; j < cols; j += W) {
                            const V16 x = V16::load_unaligned(reinterpret_cast<const std::int16_t*>(acc + t * C + j));
                            std::int16_t* e = acc16 + t * C + j;
                            (V16::load_unaligned(e) + ((x << 8) >> 8)).store_unaligned(e);
                            (V16::load_unaligned(e + H) + (x >> 8)).store_unaligned(e + H);
                            zero.store_unaligned(acc + t * C + j);
                        }
                } else {
                    for (index_t i = 0; i < T * C; ++i) {
                        wide[i] += static_cast<S>(acc[i]);
                        acc[i] = 0;
                    }
                }
            }
        }
        for (index_t c = 0; c < cols; ++c) {
            const index_t j = c / W * W, lane = c % W;
            std::int64_t total = 0;
            for (int t = 0; t < T; ++t) {
                const std::int64_t s = byte_pairs ? acc16[t * C + j + (lane % 2) * (W / 2) + lane / 2] : wide[t * C + c];
                total += s * (std::int64_t(1) << (t * d));  // s may be negative
            }
            out[c0 + c] += total;
        }
    }
}

template <class Arch>
void crossbar_kernels<Arch>::column_sums_u8_split(const column_sum_args& a) noexcept
{
    // Byte tables and byte levels, read as uint16 lanes that each hold two columns (even byte,
    // odd byte): a lane add is two byte adds as long as no byte sum passes 255, which the
    // engine guarantees per sub-fragment. The two sub-fragments' sums are separated into even
    // and odd columns in uint16 and added there, so the ADC sees the whole fragment's sum.
    using V = lane_vector<std::uint16_t>;
    constexpr index_t W = static_cast<index_t>(V::size);  // uint16 lanes; a block is 2 W columns
    constexpr index_t B = 2 * W;
    const std::uint8_t* FINEGRAIN_RESTRICT levels = static_cast<const std::uint8_t*>(a.levels);
    const std::uint8_t* FINEGRAIN_RESTRICT negate = static_cast<const std::uint8_t*>(a.negate);
    std::uint8_t* FINEGRAIN_RESTRICT tables = static_cast<std::uint8_t*>(a.scratch);
    std::int32_t* FINEGRAIN_RESTRICT wide = a.wide;
    std::int64_t* FINEGRAIN_RESTRICT out = a.out;
    const std::uint8_t* FINEGRAIN_RESTRICT patterns = a.patterns;
    const std::int8_t* FINEGRAIN_RESTRICT cycle_list = a.cycles;
    const std::uint8_t* FINEGRAIN_RESTRICT runs_of = a.runs;
    const index_t fragments = a.fragments, groups = a.groups, split = a.split_groups, columns = a.columns;
    const index_t flush_every = a.flush_every, col_begin = a.col_begin, col_end = a.col_end;
    const int g = a.group_rows, d = a.dac_bits, shift = a.adc_shift, T = a.input_cycles;
    const index_t entries = index_t(1) << (g * d);
    std::uint16_t* FINEGRAIN_RESTRICT acc = reinterpret_cast<std::uint16_t*>(tables + groups * entries * B);  // [16][even W | odd W]
    const V round(static_cast<std::uint16_t>(a.adc_round)), top(static_cast<std::uint16_t>(a.adc_max));
    const V low_byte(std::uint16_t(0x00FF)), high_byte(std::uint16_t(0xFF00));
    const std::uint8_t* FINEGRAIN_RESTRICT prebuilt = static_cast<const std::uint8_t*>(a.prebuilt);
    const std::uint8_t* tab_base = tables;
    const auto tab = [&](index_t gr, unsigned p) {
        return V::load_unaligned(reinterpret_cast<const std::uint16_t*>(tab_base + (gr * entries + p) * B));
    };

    for (index_t c0 = col_begin; c0 < col_end; c0 += B) {
        for (index_t i = 0; i < T * B; ++i) wide[i] = 0;
        for (index_t i = 0; i < T * B; ++i) acc[i] = 0;
        index_t pending = 0;
        for (index_t f = 0; f < fragments; ++f) {
            if (prebuilt) {
                tab_base = prebuilt + (c0 / B * fragments + f) * groups * entries * B;
            } else {
                build_tables<V>(reinterpret_cast<const std::uint16_t*>(levels + f * groups * g * columns + c0), columns / 2,
                                groups, g, d, reinterpret_cast<std::uint16_t*>(tables), W);
            }
            // negate bytes (0 or 0xFF) -> uint16 masks of the even and of the odd columns
            const V n = V::load_unaligned(reinterpret_cast<const std::uint16_t*>(negate + f * columns + c0));
            const V neg_even = (n << 8) | (n & low_byte), neg_odd = (n >> 8) | (n & high_byte);
            const std::uint8_t* pat = patterns + f * 16 * groups;
            const int runs = runs_of[f];
            for (int i = 0; i < runs; ++i) {
                const int t = cycle_list[f * 16 + i];
                const std::uint8_t* pt = pat + i * groups;
                V first(std::uint16_t(0)), second(std::uint16_t(0));
                for (index_t gr = 0; gr < split; ++gr) first = first + tab(gr, pt[gr]);
                for (index_t gr = split; gr < groups; ++gr) second = second + tab(gr, pt[gr]);
                const V sum_even = (first & low_byte) + (second & low_byte), sum_odd = (first >> 8) + (second >> 8);
                V code_even = shift ? ((sum_even + round) >> shift) : sum_even;
                V code_odd = shift ? ((sum_odd + round) >> shift) : sum_odd;
                code_even = (lane_min(code_even, top) ^ neg_even) - neg_even;
                code_odd = (lane_min(code_odd, top) ^ neg_odd) - neg_odd;
                std::uint16_t* at = acc + t * B;
                (V::load_unaligned(at) + code_even).store_unaligned(at);
                (V::load_unaligned(at + W) + code_odd).store_unaligned(at + W);
            }
            if (++pending == flush_every || f + 1 == fragments) {
                pending = 0;
                for (index_t i = 0; i < T * B; ++i) {
                    wide[i] += static_cast<std::int16_t>(acc[i]);
                    acc[i] = 0;
                }
            }
        }
        for (index_t lane = 0; lane < B; ++lane) {
            std::int64_t total = 0;
            for (int t = 0; t < T; ++t)
                total += std::int64_t(wide[t * B + (lane % 2) * W + lane / 2]) * (std::int64_t(1) << (t * d));  // may be negative
            out[c0 + lane] += total;
        }
    }
}

template <class Arch>
void crossbar_kernels<Arch>::column_sums_u8(const column_sum_args& a) noexcept
{
    column_sums<std::uint8_t>(a);
}
template <class Arch>
void crossbar_kernels<Arch>::column_sums_u16(const column_sum_args& a) noexcept
{
    column_sums<std::uint16_t>(a);
}
template <class Arch>
void crossbar_kernels<Arch>::column_sums_i32(const column_sum_args& a) noexcept
{
    column_sums<std::int32_t>(a);
}

template <class Arch>
void crossbar_kernels<Arch>::exact_gemv(const exact_gemv_args& a) noexcept
{
    constexpr index_t NB = gemv_block;
    if constexpr (Arch::id == simd::arch_id::scalar) {
        for (index_t b = 0; b < a.blocks; ++b) {
            const std::int16_t* w = a.w + b * a.k_stride * NB * 2;
            for (index_t o = 0; o < NB; ++o) {
                std::int32_t lo = 0, hi = 0;
                for (index_t j = 0; j < a.k_pairs; ++j) {
                    const std::int16_t* wp = w + (j * NB + o) * 2;
                    const std::int32_t xl = a.x_lo[j];
                    lo += wp[0] * std::int16_t(xl & 0xFFFF) + wp[1] * std::int16_t(xl >> 16);
                    if (a.x_hi) {
                        const std::int32_t xh = a.x_hi[j];
                        hi += wp[0] * std::int16_t(xh & 0xFFFF) + wp[1] * std::int16_t(xh >> 16);
                    }
                }
                a.y[b * NB + o] += std::int64_t(lo) + 256 * std::int64_t(hi);
            }
        }
    } else {
        using V16 = simd::batch<std::int16_t, Arch>;
        using V32 = simd::batch<std::int32_t, Arch>;
        constexpr index_t W16 = static_cast<index_t>(V16::size);
        constexpr index_t W32 = static_cast<index_t>(V32::size);
        for (index_t b = 0; b < a.blocks; ++b) {
            const std::int16_t* w = a.w + b * a.k_stride * NB * 2;
            V32 l0(0), l1(0), l2(0), l3(0), h0(0), h1(0), h2(0), h3(0);
            if (a.x_hi) {
                for (index_t j = 0; j < a.k_pairs; ++j) {
                    const V32 xl(a.x_lo[j]);
                    const V32 xh(a.x_hi[j]);
                    const std::int16_t* wp = w + j * NB * 2;
                    const V16 w0 = V16::load_unaligned(wp), w1 = V16::load_unaligned(wp + W16);
                    const V16 w2 = V16::load_unaligned(wp + 2 * W16), w3 = V16::load_unaligned(wp + 3 * W16);
                    l0 = l0 + simd::dot2<Arch>(w0, xl);
                    l1 = l1 + simd::dot2<Arch>(w1, xl);
                    l2 = l2 + simd::dot2<Arch>(w2, xl);
                    l3 = l3 + simd::dot2<Arch>(w3, xl);
                    h0 = h0 + simd::dot2<Arch>(w0, xh);
                    h1 = h1 + simd::dot2<Arch>(w1, xh);
                    h2 = h2 + simd::dot2<Arch>(w2, xh);
                    h3 = h3 + simd::dot2<Arch>(w3, xh);
                }
            } else {
                for (index_t j = 0; j < a.k_pairs; ++j) {
                    const V32 xl(a.x_lo[j]);
                    const std::int16_t* wp = w + j * NB * 2;
                    l0 = l0 + simd::dot2<Arch>(V16::load_unaligned(wp), xl);
                    l1 = l1 + simd::dot2<Arch>(V16::load_unaligned(wp + W16), xl);
                    l2 = l2 + simd::dot2<Arch>(V16::load_unaligned(wp + 2 * W16), xl);
                    l3 = l3 + simd::dot2<Arch>(V16::load_unaligned(wp + 3 * W16), xl);
                }
            }
            alignas(64) std::int32_t lo[NB], hi[NB];
            l0.store_aligned(lo);
            l1.store_aligned(lo + W32);
            l2.store_aligned(lo + 2 * W32);
            l3.store_aligned(lo + 3 * W32);
            h0.store_aligned(hi);
            h1.store_aligned(hi + W32);
            h2.store_aligned(hi + 2 * W32);
            h3.store_aligned(hi + 3 * W32);
            for (index_t o = 0; o < NB; ++o) a.y[b * NB + o] += std::int64_t(lo[o]) + 256 * std::int64_t(hi[o]);
        }
    }
}

} // namespace crossbar
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::crossbar::crossbar_kernels)
