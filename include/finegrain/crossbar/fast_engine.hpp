// SPDX-License-Identifier: BSD-3-Clause
// crossbar::fast_engine: the crossbar MVM on the SIMD kernels (crossbar/kernels.hpp), bit-exact
// with ref::crossbar_mvm for ideal devices and for every static non-ideality (programming
// variation, stuck-at faults: effective levels are fixed point, so both add the same integers).
// Read noise is per read and only the reference models it: unsupported_reason() says so.
//
//   crossbar::fast_engine engine(programmed);   // packs the levels for the best kernel, once
//   engine.mvm(x, y);                           // no allocation; one call at a time per engine
//   engine.mvm(x, skip, y);                     // the same with x's skip_stats already computed
//
// The weight side of the kernel - per fragment and row group, the sums of every subset of the
// group's levels - is built once here when it fits table_budget, else per MVM.
// Per MVM: the input side (which cycles each fragment runs, from skip_stats, and each row
// group's input pattern per cycle) is prepared in scalar code, the kernel computes every weight column's signed sum
// of ADC codes, and the unit-column terms (flip encoding, offset bias) are added here from the
// unit columns' own conversions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/crossbar/kernels.hpp"
#include "finegrain/crossbar/mapping.hpp"
#include "finegrain/crossbar/skip_stats.hpp"
#include "finegrain/simd/dispatch.hpp"

namespace finegrain {
namespace crossbar {

class fast_engine {
public:
    /// Null when the fast path can run p, else why not.
    static const char* unsupported_reason(const programmed_weights& p) noexcept
    {
        if (p.config.device.read_sigma > 0.0) return "read noise is modelled by the reference engine only";
        std::int64_t top = 0;  // largest |effective level|
        for (std::int32_t e : p.levels) top = e > top ? e : -std::int64_t(e) > top ? -std::int64_t(e) : top;
        for (std::int32_t e : p.unit_levels) top = e > top ? e : -std::int64_t(e) > top ? -std::int64_t(e) : top;
        const std::int64_t dac_max = (1 << p.config.dac_bits) - 1;
        const int shift = p.fraction_bits + p.config.adc_shift();
        if (p.geo.fragment_rows * dac_max * top + (std::int64_t(1) << shift) >= (std::int64_t(1) << 31))
            return "column sums exceed 31 bits";
        return nullptr;
    }

    /// table_budget: bytes of subset-sum tables the engine may keep built across MVMs (4 bytes
    /// per level for 4-row groups; the weights are stationary, so building them once saves
    /// ~40 % of an MVM); when the layer needs more, they are rebuilt per MVM in L1-sized blocks.
    explicit fast_engine(const programmed_weights& p, index_t table_budget = default_table_budget)
        : p_(&p), own_skip_(p.config, p.geo)
    {
        const char* why = unsupported_reason(p);
        detail::require(why == nullptr, "fast_engine", why ? why : "", "the fast path cannot run this layer");
        const crossbar_config& cfg = p.config;
        const geometry& g = p.geo;
        d_ = cfg.dac_bits;
        group_rows_ = d_ >= 3 ? 1 : 4 / d_;
        groups_ = (g.fragment_rows + group_rows_ - 1) / group_rows_;
        shift_ = p.fraction_bits + cfg.adc_shift();
        round_ = shift_ > 0 ? std::int32_t(1) << (shift_ - 1) : 0;
        amax_ = std::int32_t(cfg.adc_max_code());

        // Lane width: the narrowest whose sums, rounding offset and signed code sums fit.
        std::int64_t top = 0;
        bool negative = false;
        for (std::int32_t e : p.levels) {
            top = e > top ? e : top;
            negative |= e < 0;
        }
        const std::int64_t p_max = g.fragment_rows * ((1 << d_) - 1) * top + round_;
        // u8 lanes: signed byte sums flushed every 127 / amax fragments into int16 sums,
        // which must hold every fragment's codes.
        if (!negative && p_max <= 255 && amax_ <= 127 && g.fragments * amax_ <= 32767) {
            lane_bytes_ = 1;
            flush_every_ = 127 / amax_;
        } else if (!negative && split_fits(g.fragment_rows, top) && p_max <= 65535 && amax_ <= 32767) {
            // Two sub-fragments of byte sums, added in uint16 before the ADC (ISAAC's 128 rows of
            // 2-bit cells: 64 x 3 = 192 per half): twice the columns per vector of uint16 tables.
            lane_bytes_ = 1;
            split_groups_ = (groups_ + 1) / 2;
            flush_every_ = 32767 / amax_;
        } else if (!negative && p_max <= 65535 && amax_ <= 32767) {
            lane_bytes_ = 2;
            flush_every_ = 32767 / amax_;
        } else {
            lane_bytes_ = 4;
            flush_every_ = g.fragments;
        }
        arch_ = simd::with_best_arch([&](auto arch) {
            using K = crossbar_kernels<decltype(arch)>;
            kernel_ = split_groups_ ? &K::column_sums_u8_split
                    : lane_bytes_ == 1 ? &K::column_sums_u8 : lane_bytes_ == 2 ? &K::column_sums_u16 : &K::column_sums_i32;
            lanes_ = split_groups_ ? 2 * K::template lanes<std::uint16_t>()
                     : lane_bytes_ == 1 ? K::template lanes<std::uint8_t>()
                     : lane_bytes_ == 2 ? K::template lanes<std::uint16_t>() : K::template lanes<std::int32_t>();
        });
        columns_ = (g.columns + 63) / 64 * 64;
        pack();

        // Column blocks whose tables take about 8 KB (at least one vector; split: one vector).
        const index_t entries = index_t(1) << (group_rows_ * d_);
        const index_t table_bytes = groups_ * entries * lane_bytes_;
        block_columns_ = split_groups_ ? lanes_ : (8192 / table_bytes) / lanes_ * lanes_;
        block_columns_ = block_columns_ < lanes_ ? lanes_ : block_columns_ > columns_ ? columns_ : block_columns_;
        // tables + [16] accumulators (64-byte vectors; split: 128 bytes of uint16 per cycle)
        scratch_ = aligned_buffer<std::uint8_t>(split_groups_ ? groups_ * entries * 64 + 16 * 128
                                                              : (table_bytes + 16 * lane_bytes_) * block_columns_);
        wide_ = aligned_buffer<std::int32_t>(16 * (block_columns_ > 64 ? block_columns_ : 64));
        if (g.fragments * table_bytes * columns_ <= table_budget) {
            if (lane_bytes_ == 1) prebuild_as<std::uint8_t>();
            else if (lane_bytes_ == 2) prebuild_as<std::uint16_t>();
            else prebuild_as<std::int32_t>();
        }
        column_totals_ = aligned_buffer<std::int64_t>(columns_);
        patterns_ = aligned_buffer<std::uint8_t>(g.fragments * 16 * groups_);
        cycles_ = aligned_buffer<std::int8_t>(g.fragments * 16);
        runs_ = aligned_buffer<std::uint8_t>(g.fragments);
        unit_values_ = aligned_buffer<std::int64_t>(g.unit_columns ? g.fragments * g.crossbars_per_row_tile() : 0);
        name_ = std::string(split_groups_ ? "u8x2" : lane_bytes_ == 1 ? "u8" : lane_bytes_ == 2 ? "u16" : "i32") + "_crossbar_columns_" +
                std::to_string(group_rows_) + "x" + std::to_string(lanes_) + "__" + simd::to_string(arch_);
    }

    /// Kernel name, e.g. "u8_crossbar_columns_4x32__avx2": lane type (u8x2: byte sums of two
    /// sub-fragments added in uint16), rows per table group x columns per vector.
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }

    /// y (N values) = the crossbar's output for x (K values < 2^input_bits; not checked here:
    /// crossbar_layer validates). One call at a time per engine.
    void mvm(const std::uint16_t* x, std::int64_t* y) const
    {
        own_skip_.compute(x);
        mvm(x, own_skip_, y);
    }

    /// The same, with `skip` (built for this engine's config and geometry) holding x's
    /// statistics: skip.compute(x) was called (the layer shares them with its counters).
    void mvm(const std::uint16_t* x, const skip_stats& skip, std::int64_t* y) const
    {
        const programmed_weights& p = *p_;
        const crossbar_config& cfg = p.config;
        const geometry& g = p.geo;
        detail::require(skip.inputs() == g.inputs && skip.fragments() == g.fragments, "skip", skip.inputs(),
                        "must be built for this engine's geometry (inputs, fragment rows)");
        prepare_inputs(x, skip);
        std::memset(column_totals_.data(), 0, sizeof(std::int64_t) * std::size_t(columns_));
        column_sum_args a;
        a.fragments = g.fragments;
        a.groups = groups_;
        a.group_rows = group_rows_;
        a.dac_bits = d_;
        a.columns = columns_;
        a.col_begin = 0;
        a.col_end = columns_;
        a.levels = levels_.data();
        a.negate = negate_.data();
        a.patterns = patterns_.data();
        a.cycles = cycles_.data();
        a.runs = runs_.data();
        a.adc_round = round_;
        a.adc_shift = shift_;
        a.adc_max = amax_;
        a.flush_every = flush_every_;
        a.split_groups = split_groups_;
        a.block_columns = block_columns_;
        a.input_cycles = cfg.input_cycles();
        a.prebuilt = prebuilt_.size() ? prebuilt_.data() : nullptr;
        a.out = column_totals_.data();
        a.scratch = scratch_.data();
        a.wide = wide_.data();
        kernel_(a);

        const int k = cfg.adc_shift(), cb = cfg.cell_bits;
        for (index_t n = 0; n < g.outputs; ++n) y[n] = 0;
        for (int arr = 0; arr < g.arrays; ++arr)
            for (index_t n = 0; n < g.outputs; ++n)
                for (int s = 0; s < g.slices; ++s)
                    y[n] += column_totals_[g.column_of(arr, n, s)] * (std::int64_t(1) << (k + s * cb));  // may be negative: no <<
        if (!g.unit_columns) return;
        unit_values(x);
        const index_t X = g.crossbars_per_row_tile();
        if (cfg.flip_encoding)
            for (int arr = 0; arr < g.arrays; ++arr)
                for (index_t n = 0; n < g.outputs; ++n) {
                    const index_t xb = arr * g.column_tiles + n / g.outputs_per_crossbar;
                    const std::int32_t* coef = flip_coefficients_.data() + (arr * g.outputs + n) * g.fragments;
                    std::int64_t sum = 0;
                    for (index_t f = 0; f < g.fragments; ++f) sum += coef[f] * unit_values_[f * X + xb];
                    y[n] += sum;
                }
        if (cfg.map == mapping::offset) {
            const std::int64_t bias = std::int64_t(1) << (cfg.weight_bits - 1);
            for (index_t n = 0; n < g.outputs; ++n) {
                const index_t xb = n / g.outputs_per_crossbar;
                std::int64_t sum = 0;
                for (index_t f = 0; f < g.fragments; ++f) sum += unit_values_[f * X + xb];
                y[n] -= bias * sum;
            }
        }
    }

    /// Default for the constructor's table_budget: 4 MB (the 1152 x 128 FC layer's tables take 2.4 MB).
    static constexpr index_t default_table_budget = index_t(4) << 20;

    /// Whether the engine keeps every fragment's tables built (table_budget allowed it).
    bool tables_prebuilt() const noexcept { return prebuilt_.size() > 0; }

private:
    // Whether byte sums of each half of a fragment (in whole row groups) fit 255.
    bool split_fits(index_t fragment_rows, std::int64_t top) const noexcept
    {
        const index_t half_rows = (groups_ + 1) / 2 * group_rows_;
        return groups_ >= 2 && (half_rows < fragment_rows ? half_rows : fragment_rows) * ((1 << d_) - 1) * top <= 255;
    }

    template <class L>
    void pack_as(aligned_buffer<std::uint8_t>& levels, aligned_buffer<std::uint8_t>& negate) const
    {
        const programmed_weights& p = *p_;
        const geometry& g = p.geo;
        const index_t rows = groups_ * group_rows_;
        levels = aligned_buffer<std::uint8_t>(detail::checked_mul(g.fragments * rows, columns_ * index_t(sizeof(L)), "fast_engine levels"));
        negate = aligned_buffer<std::uint8_t>(g.fragments * columns_ * index_t(sizeof(L)));
        L* lv = reinterpret_cast<L*>(levels.data());
        L* ng = reinterpret_cast<L*>(negate.data());
        for (index_t f = 0; f < g.fragments; ++f) {
            for (index_t r = 0; r < g.rows_in_fragment(f); ++r)
                for (index_t c = 0; c < g.columns; ++c) lv[(f * rows + r) * columns_ + c] = static_cast<L>(p.level(f, r, c));
            for (index_t c = 0; c < g.columns; ++c) {
                const bool neg = p.sign(f, c) * (p.is_flipped(f, c) ? -1 : 1) < 0;
                ng[f * columns_ + c] = neg ? static_cast<L>(~L(0)) : L(0);
            }
        }
    }

    // Every column block's and fragment's tables, built once (the weights are stationary), in
    // the kernel's scratch layout: [block][f][group][entry][block_columns].
    template <class L>
    void prebuild_as()
    {
        const index_t entries = index_t(1) << (group_rows_ * d_), rows = groups_ * group_rows_, C = block_columns_;
        const index_t blocks = (columns_ + C - 1) / C, fragments = p_->geo.fragments;
        const unsigned mask = (1u << d_) - 1u;
        prebuilt_ = aligned_buffer<std::uint8_t>(blocks * fragments * groups_ * entries * C * index_t(sizeof(L)));
        const L* lv = reinterpret_cast<const L*>(levels_.data());
        L* tb = reinterpret_cast<L*>(prebuilt_.data());
        for (index_t b = 0; b < blocks; ++b)
            for (index_t f = 0; f < fragments; ++f)
                for (index_t gr = 0; gr < groups_; ++gr)
                    for (index_t e = 0; e < entries; ++e)
                        for (index_t j = 0; j < C && b * C + j < columns_; ++j) {
                            L sum = 0;
                            for (int r = 0; r < group_rows_; ++r)
                                sum = static_cast<L>(sum + L((unsigned(e) >> (r * d_)) & mask) *
                                                               lv[(f * rows + gr * group_rows_ + r) * columns_ + b * C + j]);
                            tb[(((b * fragments + f) * groups_ + gr) * entries + e) * C + j] = sum;
                        }
    }

    void pack()
    {
        const programmed_weights& p = *p_;
        const geometry& g = p.geo;
        if (lane_bytes_ == 1) pack_as<std::uint8_t>(levels_, negate_);
        else if (lane_bytes_ == 2) pack_as<std::uint16_t>(levels_, negate_);
        else pack_as<std::int32_t>(levels_, negate_);

        if (!p.config.flip_encoding) return;
        // Flipped column c adds sign * (2^c - 1) * U 2^(s c): per (array, output, fragment).
        const std::int32_t L = (1 << p.config.cell_bits) - 1;
        flip_coefficients_.assign(std::size_t(g.arrays * g.outputs * g.fragments), 0);
        for (int arr = 0; arr < g.arrays; ++arr)
            for (index_t n = 0; n < g.outputs; ++n)
                for (int s = 0; s < g.slices; ++s) {
                    const index_t c = g.column_of(arr, n, s);
                    for (index_t f = 0; f < g.fragments; ++f)
                        if (p.is_flipped(f, c))
                            flip_coefficients_[std::size_t((arr * g.outputs + n) * g.fragments + f)] +=
                                p.sign(f, c) * L * (std::int32_t(1) << (s * p.config.cell_bits));
                }
    }

    // Bit i of a 16-bit value moved to bit 4 i (64 bits).
    static std::uint64_t spread_bits_by_4(std::uint64_t x) noexcept
    {
        x = (x | x << 24) & 0x000000FF000000FFull;
        x = (x | x << 12) & 0x000F000F000F000Full;
        x = (x | x << 6) & 0x0303030303030303ull;
        return (x | x << 3) & 0x1111111111111111ull;
    }
    // 2-bit digit i of a 16-bit value moved to bits [4 i, 4 i + 2) (32 bits).
    static std::uint64_t spread_pairs_by_4(std::uint64_t x) noexcept
    {
        x = (x | x << 8) & 0x00FF00FFull;
        x = (x | x << 4) & 0x0F0F0F0Full;
        return (x | x << 2) & 0x33333333ull;
    }

    // Cycles each fragment runs and each row group's input pattern per cycle. A group's g x d
    // pattern bits of cycle t are gathered once per group for all cycles: digit t of row j of
    // the group goes to bit 4 t + j d of one word (g d = 4 for d = 1, 2, 4; g = 1 for d = 3).
    void prepare_inputs(const std::uint16_t* x, const skip_stats& skip) const
    {
        const programmed_weights& p = *p_;
        const geometry& g = p.geo;
        const unsigned mask = (1u << d_) - 1u;
        int cycles[16];
        for (index_t f = 0; f < g.fragments; ++f) {
            const index_t rows = g.rows_in_fragment(f);
            const std::uint16_t* xf = x + f * g.fragment_rows;
            const int runs = skip.cycles(f, xf, rows, cycles);
            runs_[f] = std::uint8_t(runs);
            for (int i = 0; i < runs; ++i) cycles_[f * 16 + i] = std::int8_t(cycles[i]);
            std::uint8_t* pat = patterns_.data() + f * 16 * groups_;
            for (index_t gr = 0; gr < groups_; ++gr) {
                if (group_rows_ == 1) {
                    const unsigned v = gr < rows ? xf[gr] : 0u;
                    for (int i = 0; i < runs; ++i) pat[i * groups_ + gr] = std::uint8_t((v >> (cycles[i] * d_)) & mask);
                    continue;
                }
                std::uint64_t bits = 0;
                for (int j = 0; j < group_rows_; ++j) {
                    const index_t r = gr * group_rows_ + j;
                    const std::uint64_t v = r < rows ? xf[r] : 0u;
                    bits |= (d_ == 1 ? spread_bits_by_4(v) : spread_pairs_by_4(v)) << (j * d_);
                }
                for (int i = 0; i < runs; ++i) pat[i * groups_ + gr] = std::uint8_t((bits >> (4 * cycles[i])) & 15u);
            }
        }
    }

    // unit_values_[f][crossbar] = sum over the cycles f runs of adc(unit column) 2^(t d) 2^k.
    void unit_values(const std::uint16_t* x) const
    {
        const programmed_weights& p = *p_;
        const geometry& g = p.geo;
        const index_t X = g.crossbars_per_row_tile();
        const unsigned mask = (1u << d_) - 1u;
        const int k = p.config.adc_shift();
        for (index_t f = 0; f < g.fragments; ++f) {
            const index_t rows = g.rows_in_fragment(f);
            const std::uint16_t* xf = x + f * g.fragment_rows;
            for (index_t xb = 0; xb < X; ++xb) {
                std::int64_t total = 0;
                for (int i = 0; i < runs_[f]; ++i) {
                    const int t = cycles_[f * 16 + i];
                    std::int64_t sum = 0;
                    for (index_t r = 0; r < rows; ++r) sum += std::int64_t((unsigned(xf[r]) >> (t * d_)) & mask) * p.unit_level(f, r, xb);
                    std::int64_t code = (sum + round_) >> shift_;
                    code = code < 0 ? 0 : code > amax_ ? amax_ : code;
                    total += (code << k) << (t * d_);
                }
                unit_values_[f * X + xb] = total;
            }
        }
    }

    const programmed_weights* p_;
    mutable skip_stats own_skip_;  // x's statistics for mvm(x, y)
    int d_ = 1, group_rows_ = 4, shift_ = 0, lane_bytes_ = 1;
    index_t groups_ = 0, columns_ = 0, lanes_ = 1, flush_every_ = 1, split_groups_ = 0, block_columns_ = 0;
    std::int32_t round_ = 0, amax_ = 0;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*kernel_)(const column_sum_args&) noexcept = nullptr;
    std::string name_;
    aligned_buffer<std::uint8_t> levels_, negate_, prebuilt_;
    std::vector<std::int32_t> flip_coefficients_;  // [array][output][fragment]
    mutable aligned_buffer<std::uint8_t> scratch_, patterns_, runs_;
    mutable aligned_buffer<std::int8_t> cycles_;
    mutable aligned_buffer<std::int32_t> wide_;
    mutable aligned_buffer<std::int64_t> column_totals_, unit_values_;
};

} // namespace crossbar
} // namespace finegrain
