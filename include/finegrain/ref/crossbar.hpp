// SPDX-License-Identifier: BSD-3-Clause
// The scalar reference model of a crossbar MVM: every step of the analog computation, one
// conversion at a time, in plain loops. It is the oracle of the fast path (crossbar/kernels.hpp)
// and the only engine that models read noise.
//
// For input x (K unsigned values < 2^input_bits) and programmed weights p:
//   for every fragment f and every input cycle t it runs (crossbar_fragment_cycles):
//     v_r   = input slice t of row r = (x_r >> t d) & (2^d - 1)               (the DAC)
//     for every crossbar of the row tile with a unit column:  U = adc(sum_r v_r u_r)
//     for every weight column c = (array a, output n, slice s):
//       P     = sum_r v_r e_rc (+ read noise)       (the analog column sum, e = effective level)
//       code  = adc(P) = clamp(floor(P / 2^k + 1/2), 0, 2^adc_bits - 1)   (k = config.adc_shift())
//       value = code 2^k, or, for a flipped column, (2^c - 1) U 2^k - code 2^k
//       y_n  += sign(f, c) value 2^(t d + s c)                             (shift-and-add, sign)
//     offset mapping: y_n -= 2^(B-1) U 2^k 2^(t d)                         (bias via the unit column)
// With ideal devices and an ADC that never clips (adc_bits >= exact_adc_bits(), or the
// full-precision range) y = W x exactly, for every mapping.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "finegrain/core/error.hpp"
#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/device.hpp"
#include "finegrain/crossbar/mapping.hpp"
#include "finegrain/crossbar/rng.hpp"

namespace finegrain {
namespace ref {

/// The ADC: code of analog value `a` (in level steps) under cfg's bits and range.
inline std::int64_t crossbar_adc(const crossbar::crossbar_config& cfg, double a)
{
    const double code = std::floor(std::ldexp(a, -cfg.adc_shift()) + 0.5);
    if (!(code > 0.0)) return 0;  // also NaN
    const double top = double(cfg.adc_max_code());
    return code >= top ? cfg.adc_max_code() : std::int64_t(code);
}

/// The cycles fragment rows x[0..rows) run under cfg.skip: writes their indices to `cycles`
/// (ascending), returns how many. The plain oracle of crossbar::skip_stats: one OR of the
/// fragment's inputs, then every cycle's slice of it.
inline int crossbar_fragment_cycles(const crossbar::crossbar_config& cfg, const std::uint16_t* x, index_t rows,
                                    int* cycles) noexcept
{
    unsigned any = 0;
    for (index_t r = 0; r < rows; ++r) any |= x[r];
    const int total = cfg.input_cycles(), d = cfg.dac_bits;
    const unsigned mask = (1u << d) - 1u;
    int n = 0;
    for (int t = 0; t < total; ++t) {
        const unsigned slice = (any >> (t * d)) & mask;
        if (cfg.skip == crossbar::zero_skip::none || slice != 0) {
            cycles[n++] = t;
        } else if (cfg.skip == crossbar::zero_skip::leading && (any >> (t * d)) != 0) {
            cycles[n++] = t;  // an interior zero slice still runs under leading-only skipping
        }
    }
    return n;
}

/// Throws finegrain::error naming the first input >= 2^input_bits.
inline void require_crossbar_inputs(const crossbar::crossbar_config& cfg, const std::uint16_t* x, index_t k)
{
    detail::require(x != nullptr, "x", "nullptr", "must not be null");
    const unsigned limit = 1u << cfg.input_bits;
    for (index_t i = 0; i < k; ++i)
        if (x[i] >= limit) detail::throw_invalid("x[i]", x[i], "must be < 2^input_bits");
}

/// y (N values) = the crossbar's output for x (K values). `noise`: the generator of read-noise
/// draws (required when config.device.read_sigma > 0, unused otherwise).
inline void crossbar_mvm(const crossbar::programmed_weights& p, const std::uint16_t* x, std::int64_t* y,
                         crossbar::rng* noise = nullptr)
{
    const crossbar::crossbar_config& cfg = p.config;
    const crossbar::geometry& g = p.geo;
    require_crossbar_inputs(cfg, x, g.inputs);
    detail::require(y != nullptr, "y", "nullptr", "must not be null");
    detail::require(noise != nullptr || cfg.device.read_sigma == 0.0, "noise", "nullptr",
                    "a read-noise generator is needed when device.read_sigma > 0");
    const crossbar::device_model dev(cfg.device, cfg.cell_bits);
    const double fixed_point = std::ldexp(1.0, -p.fraction_bits);  // effective level per stored unit
    const double off = dev.off_in_levels();
    const int d = cfg.dac_bits, k = cfg.adc_shift(), L = dev.max_level();
    const std::int64_t bias = std::int64_t(1) << (cfg.weight_bits - 1);
    const index_t X = g.crossbars_per_row_tile();

    for (index_t n = 0; n < g.outputs; ++n) y[n] = 0;
    std::vector<double> v(std::size_t(g.fragment_rows));
    std::vector<std::int64_t> unit(static_cast<std::size_t>(X));
    int cycles[16];

    // One conversion: the analog sum of column `cell(r)` over the fragment's rows, plus read noise.
    auto convert = [&](index_t rows, auto cell) {
        double sum = 0.0, sum_sq = 0.0;
        for (index_t r = 0; r < rows; ++r) {
            const double e = double(cell(r)) * fixed_point;
            sum += v[std::size_t(r)] * e;
            const double current = v[std::size_t(r)] * (e + off);
            sum_sq += current * current;
        }
        if (noise) sum += dev.read_noise(sum_sq, *noise);
        return crossbar_adc(cfg, sum);
    };

    for (index_t f = 0; f < g.fragments; ++f) {
        const index_t rows = g.rows_in_fragment(f), r0 = f * g.fragment_rows;
        const int runs = crossbar_fragment_cycles(cfg, x + r0, rows, cycles);
        for (int i = 0; i < runs; ++i) {
            const int t = cycles[i];
            for (index_t r = 0; r < rows; ++r) v[std::size_t(r)] = double((unsigned(x[r0 + r]) >> (t * d)) & ((1u << d) - 1u));
            for (index_t xb = 0; g.unit_columns && xb < X; ++xb)
                unit[std::size_t(xb)] = convert(rows, [&](index_t r) { return p.unit_level(f, r, xb); });
            for (index_t c = 0; c < g.columns; ++c) {
                const index_t n = (c / g.slices) % g.outputs;
                const int s = int(c % g.slices);
                std::int64_t value = convert(rows, [&](index_t r) { return p.level(f, r, c); }) << k;
                if (p.is_flipped(f, c)) value = (std::int64_t(L) * unit[std::size_t(g.crossbar_of_column(c))] << k) - value;
                y[n] += p.sign(f, c) * value * (std::int64_t(1) << (t * d + s * cfg.cell_bits));  // value may be negative
            }
            if (cfg.map == crossbar::mapping::offset)
                for (index_t n = 0; n < g.outputs; ++n)
                    y[n] -= bias * ((unit[std::size_t(n / g.outputs_per_crossbar)] << k) << (t * d));
        }
    }
}

/// The exact integer product y = W x (the crossbar's target), int64 accumulation.
inline void exact_gemv(matrix_view<const std::int32_t> w, const std::uint16_t* x, std::int64_t* y)
{
    for (index_t n = 0; n < w.rows(); ++n) {
        std::int64_t s = 0;
        for (index_t k = 0; k < w.cols(); ++k) s += std::int64_t(w(n, k)) * x[k];
        y[n] = s;
    }
}

} // namespace ref
} // namespace finegrain
