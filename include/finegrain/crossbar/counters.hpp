// SPDX-License-Identifier: BSD-3-Clause
// Event counters of crossbar MVMs and the zero-skip decision, shared by both engines (the
// counts depend only on the inputs and the geometry, never on the analog values, so they are
// computed once here rather than inside the kernels).
//
// Per MVM, per fragment f of m rows and per input cycle t (input slice t = bits [t d, t d + d)):
//   the fragment runs cycle t unless zero-skipping removes it (config.skip):
//     leading          t >= ceil(bitlen(largest input of the fragment) / d)
//     all_zero_cycles  slice t of every input of the fragment is zero
//   decided by crossbar::skip_stats from the zero-skip family's bit statistics of x
//   a cycle that runs, in each of the X crossbars the fragment's rows drive, costs
//     conversions  one per weight column and unit column (the ADC input of the fragment)
//     dac pulses   one per row whose input slice is non-zero
//     cell reads   (rows driven) x (columns)
//     shift-adds   one per conversion
// Latency of one MVM: crossbars work in parallel and the fragments of a crossbar are read in
// the same cycles (each fragment column has its own sample-and-hold); a crossbar takes
// max(most cycles of its fragments x cycle_ns, its conversions / (ADCs x rate)).
#pragma once

#include <cstdint>
#include <vector>

#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/mapping.hpp"
#include "finegrain/crossbar/skip_stats.hpp"

namespace finegrain {
namespace crossbar {

struct counters {
    std::int64_t mvms = 0;
    std::int64_t conversions = 0;   ///< ADC conversions (weight and unit columns)
    std::int64_t dac_pulses = 0;    ///< row drives with a non-zero input slice
    std::int64_t cycles_run = 0;    ///< (crossbar, fragment, input cycle) triples executed
    std::int64_t cycles_full = 0;   ///< the same without zero-skipping
    std::int64_t cell_reads = 0;
    std::int64_t shift_adds = 0;
    double busy_ns = 0.0;           ///< sum over MVMs of the layer's MVM latency

    counters& operator+=(const counters& o) noexcept
    {
        mvms += o.mvms;
        conversions += o.conversions;
        dac_pulses += o.dac_pulses;
        cycles_run += o.cycles_run;
        cycles_full += o.cycles_full;
        cell_reads += o.cell_reads;
        shift_adds += o.shift_adds;
        busy_ns += o.busy_ns;
        return *this;
    }
    /// Share of the input cycles zero-skipping removed.
    double cycles_saved() const noexcept { return cycles_full ? 1.0 - double(cycles_run) / double(cycles_full) : 0.0; }
};

/// How many d-bit digits of x are non-zero.
inline int nonzero_digits(unsigned x, int d) noexcept
{
    unsigned any = x, ones = 0;  // any: each digit's bits ORed into its lowest bit
    for (int s = 1; s < d; ++s) any |= x >> s;
    for (int b = 0; b < 16; b += d) ones |= 1u << b;
    unsigned v = any & ones;
    int n = 0;
    for (; v; v &= v - 1) ++n;
    return n;
}

/// Counts one MVM with input x (geometry g, config cfg) into `c`; `skip` holds x's statistics
/// (skip.compute(x) was called; no allocation here).
inline void count_mvm(const crossbar_config& cfg, const geometry& g, const skip_stats& skip, const std::uint16_t* x,
                      counters& c)
{
    const index_t X = g.crossbars_per_row_tile();
    const index_t columns_per_fragment = g.columns + g.unit_columns * X;  // over all crossbars of a row tile
    const index_t widest = (g.outputs < g.outputs_per_crossbar ? g.outputs : g.outputs_per_crossbar) * g.slices +
                           g.unit_columns;  // columns of the fullest crossbar
    const double rate = double(cfg.costs.adcs_per_crossbar) * cfg.costs.adc_rate_gsps;  // conversions per ns
    const int d = cfg.dac_bits;
    double mvm_ns = 0.0;
    const index_t fragments_per_tile = cfg.rows / g.fragment_rows;
    for (index_t tile = 0; tile < g.row_tiles; ++tile) {
        int most_cycles = 0;
        std::int64_t tile_conversions = 0;  // in the fullest crossbar
        for (index_t f = tile * fragments_per_tile; f < g.fragments && f < (tile + 1) * fragments_per_tile; ++f) {
            const index_t rows = g.rows_in_fragment(f);
            const std::uint16_t* xf = x + f * g.fragment_rows;
            const int n = skip.cycles_run(f, xf, rows);
            most_cycles = n > most_cycles ? n : most_cycles;
            tile_conversions += std::int64_t(n) * widest;
            c.cycles_run += std::int64_t(n) * X;
            c.cycles_full += std::int64_t(cfg.input_cycles()) * X;
            c.conversions += std::int64_t(n) * columns_per_fragment;
            c.shift_adds += std::int64_t(n) * columns_per_fragment;
            // A skipped cycle has a zero slice in every row, so the rows driven over the cycles
            // that run are the non-zero d-bit digits of the inputs.
            std::int64_t driven = 0;
            for (index_t r = 0; r < rows; ++r) driven += nonzero_digits(xf[r], d);
            c.dac_pulses += driven * X;
            c.cell_reads += driven * columns_per_fragment;
        }
        const double t = double(most_cycles) * cfg.cycle_ns;
        const double adc = double(tile_conversions) / rate;
        const double tile_ns = t > adc ? t : adc;
        mvm_ns = tile_ns > mvm_ns ? tile_ns : mvm_ns;
    }
    c.mvms += 1;
    c.busy_ns += mvm_ns;
}

} // namespace crossbar
} // namespace finegrain
