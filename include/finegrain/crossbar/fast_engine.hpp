// SPDX-License-Identifier: BSD-3-Clause
// crossbar::fast_engine: the crossbar MVM on the SIMD kernels (crossbar/kernels.hpp), bit-exact
// with ref::crossbar_mvm for ideal devices and for every static non-ideality (programming
// variation, stuck-at faults: effective levels are fixed point, so both add the same integers).
// Read noise is per read and only the reference models it: unsupported_reason() says so.
//
//   crossbar::fast_engine engine(programmed);   // packs the levels for the best kernel, once
//   engine.mvm(x, y);                           // no allocation; one call at a time per engine
//
// Per MVM: the input side (which cycles each fragment runs and each row group's input pattern
// per cycle) is prepared in scalar code, the kernel computes every weight column's signed sum
// of ADC codes, and the unit-column terms (flip encoding, offset bias) are added here from the
// unit columns' own conversions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/crossbar/counters.hpp"
#include "finegrain/crossbar/kernels.hpp"
#include "finegrain/crossbar/mapping.hpp"
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

    explicit fast_engine(const programmed_weights& p) : p_(&p)
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
        } else if (!negative && p_max <= 65535 && amax_ <= 32767) {
            lane_bytes_ = 2;
            flush_every_ = 32767 / amax_;
        } else {
            lane_bytes_ = 4;
            flush_every_ = g.fragments;
        }
        arch_ = simd::with_best_arch([&](auto arch) {
            using K = crossbar_kernels<decltype(arch)>;
            kernel_ = lane_bytes_ == 1 ? &K::column_sums_u8 : lane_bytes_ == 2 ? &K::column_sums_u16 : &K::column_sums_i32;
            lanes_ = lane_bytes_ == 1 ? K::template lanes<std::uint8_t>()
                                      : lane_bytes_ == 2 ? K::template lanes<std::uint16_t>() : K::template lanes<std::int32_t>();
        });
        columns_ = (g.columns + 63) / 64 * 64;
        pack();

        const index_t entries = index_t(1) << (group_rows_ * d_);
        scratch_ = aligned_buffer<std::uint8_t>((groups_ * entries + 16) * 64);
        wide_ = aligned_buffer<std::int32_t>(16 * 64);
        column_totals_ = aligned_buffer<std::int64_t>(columns_);
        patterns_ = aligned_buffer<std::uint8_t>(g.fragments * 16 * groups_);
        cycles_ = aligned_buffer<std::int8_t>(g.fragments * 16);
        runs_ = aligned_buffer<std::uint8_t>(g.fragments);
        unit_values_ = aligned_buffer<std::int64_t>(g.unit_columns ? g.fragments * g.crossbars_per_row_tile() : 0);
        name_ = std::string(lane_bytes_ == 1 ? "u8" : lane_bytes_ == 2 ? "u16" : "i32") + "_crossbar_columns_" +
                std::to_string(group_rows_) + "x" + std::to_string(lanes_) + "__" + simd::to_string(arch_);
    }

    /// Kernel name, e.g. "u8_crossbar_columns_4x32__avx2": lane type, rows per table group x lanes.
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }

    /// y (N values) = the crossbar's output for x (K values < 2^input_bits; not checked here:
    /// crossbar_layer validates). One call at a time per engine.
    void mvm(const std::uint16_t* x, std::int64_t* y) const
    {
        const programmed_weights& p = *p_;
        const crossbar_config& cfg = p.config;
        const geometry& g = p.geo;
        prepare_inputs(x);
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

private:
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

    // Cycles each fragment runs and each row group's input pattern per cycle.
    void prepare_inputs(const std::uint16_t* x) const
    {
        const programmed_weights& p = *p_;
        const geometry& g = p.geo;
        const unsigned mask = (1u << d_) - 1u;
        int cycles[16];
        for (index_t f = 0; f < g.fragments; ++f) {
            const index_t rows = g.rows_in_fragment(f);
            const std::uint16_t* xf = x + f * g.fragment_rows;
            const int runs = fragment_cycles(p.config, xf, rows, cycles);
            runs_[f] = std::uint8_t(runs);
            std::uint8_t* pat = patterns_.data() + f * 16 * groups_;
            for (int i = 0; i < runs; ++i) {
                const int t = cycles[i];
                cycles_[f * 16 + i] = std::int8_t(t);
                for (index_t gr = 0; gr < groups_; ++gr) {
                    unsigned pattern = 0;
                    for (int j = 0; j < group_rows_; ++j) {
                        const index_t r = gr * group_rows_ + j;
                        if (r < rows) pattern |= ((unsigned(xf[r]) >> (t * d_)) & mask) << (j * d_);
                    }
                    pat[i * groups_ + gr] = std::uint8_t(pattern);
                }
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
    int d_ = 1, group_rows_ = 4, shift_ = 0, lane_bytes_ = 1;
    index_t groups_ = 0, columns_ = 0, lanes_ = 1, flush_every_ = 1;
    std::int32_t round_ = 0, amax_ = 0;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*kernel_)(const column_sum_args&) noexcept = nullptr;
    std::string name_;
    aligned_buffer<std::uint8_t> levels_, negate_;
    std::vector<std::int32_t> flip_coefficients_;  // [array][output][fragment]
    mutable aligned_buffer<std::uint8_t> scratch_, patterns_, runs_;
    mutable aligned_buffer<std::int8_t> cycles_;
    mutable aligned_buffer<std::int32_t> wide_;
    mutable aligned_buffer<std::int64_t> column_totals_, unit_values_;
};

} // namespace crossbar
} // namespace finegrain
