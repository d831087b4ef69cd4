// SPDX-License-Identifier: BSD-3-Clause
// Mapping a signed integer weight matrix onto crossbars (the three signed-weight mappings),
// bit-slicing it over cells, choosing flipped columns, and programming the cells.
//
// Weights: W is N outputs x K inputs (row n = the K weights of output n), y = W x.
// Geometry: K is cut into row tiles of `rows` rows, each into fragments of m = fragment_rows
// rows (fragment f = inputs [f m, f m + m), the last one may be short). Each output takes
// S = ceil(weight_bits / cell_bits) columns (slice s = bits [s c, s c + c) of the stored
// magnitude) in each of A arrays (A = 2 for differential); a crossbar holds
// outputs_per_crossbar() outputs plus, when needed, one unit column of level-1 cells. The model
// numbers the weight columns c = (a N + n) S + s; which physical crossbar column holds them does
// not change any result, only the crossbar of output n does (column tile n / outputs_per_crossbar).
//
//   differential  array 0 stores max(w, 0), array 1 stores max(-w, 0), subtracted digitally
//   offset        stores w + 2^(B-1); the bias times the unit column's input sum is subtracted
//   polarized     stores |w|; every fragment of every output holds one sign (else error)
//   flip          per (fragment, column): store (2^c - 1) - l when the column's levels sum to
//                 more than half their maximum; y = (2^c - 1) * unit - y'
#pragma once

#include <cstdint>
#include <sstream>
#include <vector>

#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/device.hpp"
#include "finegrain/crossbar/rng.hpp"
#include "finegrain/polarized/format.hpp"

namespace finegrain {
namespace crossbar {

/// How a K x N layer sits on crossbars.
struct geometry {
    index_t inputs = 0, outputs = 0;  ///< K, N
    index_t fragment_rows = 0;        ///< m
    index_t fragments = 0;            ///< F = ceil(K / m)
    int slices = 0, arrays = 0;       ///< S, A
    index_t columns = 0;              ///< C = A N S weight columns
    index_t outputs_per_crossbar = 0;
    index_t row_tiles = 0, column_tiles = 0;
    index_t unit_columns = 0;         ///< per crossbar: 0 or 1

    geometry() = default;
    geometry(const crossbar_config& cfg, index_t k, index_t n)
    {
        detail::require_positive(k, "weights.cols (inputs)");
        detail::require_positive(n, "weights.rows (outputs)");
        inputs = k;
        outputs = n;
        fragment_rows = cfg.fragment_rows;
        fragments = (k + fragment_rows - 1) / fragment_rows;
        slices = cfg.weight_slices();
        arrays = cfg.arrays();
        columns = detail::checked_mul(detail::checked_mul(n, slices, "geometry.columns"), arrays, "geometry.columns");
        outputs_per_crossbar = cfg.outputs_per_crossbar();
        row_tiles = (k + cfg.rows - 1) / cfg.rows;
        column_tiles = (n + outputs_per_crossbar - 1) / outputs_per_crossbar;
        unit_columns = cfg.has_unit_column() ? 1 : 0;
    }
    index_t crossbars() const noexcept { return row_tiles * column_tiles * arrays; }
    /// Crossbars that one fragment's rows drive (one per column tile and array).
    index_t crossbars_per_row_tile() const noexcept { return column_tiles * arrays; }
    index_t column_of(int array, index_t output, int slice) const noexcept
    {
        return (index_t(array) * outputs + output) * slices + slice;
    }
    /// Index (array, column tile) of the crossbar, within a row tile, that holds weight column c.
    index_t crossbar_of_column(index_t c) const noexcept
    {
        const index_t array = c / (outputs * slices), output = (c / slices) % outputs;
        return array * column_tiles + output / outputs_per_crossbar;
    }
    /// Rows of fragment f that hold inputs (the last fragment may be short).
    index_t rows_in_fragment(index_t f) const noexcept
    {
        const index_t r0 = f * fragment_rows;
        return inputs - r0 < fragment_rows ? inputs - r0 : fragment_rows;
    }
    /// Cells that hold weights or unit-column ones.
    index_t cells_used() const noexcept
    {
        return inputs * columns + unit_columns * inputs * column_tiles * arrays;
    }
};

/// A weight matrix programmed onto crossbars: per fragment the effective level (fixed point,
/// device_model::fraction_bits) of every cell, the flip flags and the digital signs.
struct programmed_weights {
    crossbar_config config;
    geometry geo;
    int fraction_bits = 0;
    std::vector<std::int32_t> levels;       ///< [f][row in fragment (m)][c]; unused rows hold 0
    std::vector<std::int32_t> unit_levels;  ///< [f][row][crossbar of the row tile], empty without unit column
    std::vector<std::uint8_t> flipped;      ///< [f][c]: the column stores (2^c - 1) - level
    std::vector<std::int8_t> signs;         ///< [f][c]: +1 or -1 applied to the column's result (array, polarity)

    std::int32_t level(index_t f, index_t row, index_t c) const noexcept
    {
        return levels[std::size_t((f * geo.fragment_rows + row) * geo.columns + c)];
    }
    std::int32_t unit_level(index_t f, index_t row, index_t x) const noexcept
    {
        return unit_levels[std::size_t((f * geo.fragment_rows + row) * geo.crossbars_per_row_tile() + x)];
    }
    bool is_flipped(index_t f, index_t c) const noexcept { return flipped[std::size_t(f * geo.columns + c)] != 0; }
    int sign(index_t f, index_t c) const noexcept { return signs[std::size_t(f * geo.columns + c)]; }
};

/// Throws unless every fragment of every output of `w` holds a single sign (polarized at m).
inline void require_polarized(matrix_view<const std::int32_t> w, index_t m)
{
    for (index_t n = 0; n < w.rows(); ++n)
        for (index_t r0 = 0; r0 < w.cols(); r0 += m) {
            const index_t r1 = r0 + m < w.cols() ? r0 + m : w.cols();
            bool pos = false, neg = false;
            for (index_t r = r0; r < r1; ++r) {
                pos |= w(n, r) > 0;
                neg |= w(n, r) < 0;
            }
            if (pos && neg) {
                std::ostringstream os;
                os << "output " << n << ", rows [" << r0 << ", " << r1 << "), values {";
                for (index_t r = r0; r < r1; ++r) os << (r > r0 ? ", " : "") << w(n, r);
                os << "}";
                detail::throw_invalid("weights.fragment", os.str(),
                                                 "mixed signs: the polarized mapping needs one sign per fragment");
            }
        }
}

/// Programs W (N x K) under `cfg`. Device draws come from rng(cfg.device.seed, stream).
/// Throws finegrain::error for a bad config, a weight out of the mapping's range, or (polarized)
/// a mixed-sign fragment.
inline programmed_weights program_weights(const crossbar_config& cfg, matrix_view<const std::int32_t> w,
                                          std::uint64_t stream = 0)
{
    cfg.validate();
    detail::require(!w.empty(), "weights", "empty", "must be a matrix");
    programmed_weights p;
    p.config = cfg;
    p.geo = geometry(cfg, w.cols(), w.rows());
    const geometry& g = p.geo;
    for (index_t n = 0; n < g.outputs; ++n)
        for (index_t k = 0; k < g.inputs; ++k) {
            const std::int64_t v = w(n, k);
            if (v < cfg.weight_min() || v > cfg.weight_max()) {
                std::ostringstream os;
                os << "[" << n << "][" << k << "] = " << v;
                detail::throw_invalid("weights", os.str(), "outside the mapping's range for weight_bits");
            }
        }
    if (cfg.map == mapping::polarized) require_polarized(w, g.fragment_rows);

    const device_model dev(cfg.device, cfg.cell_bits);
    p.fraction_bits = dev.fraction_bits();
    const index_t m = g.fragment_rows, C = g.columns, X = g.crossbars_per_row_tile();
    const int L = dev.max_level(), c_bits = cfg.cell_bits;
    p.levels.assign(std::size_t(detail::checked_mul(g.fragments * m, C, "programmed levels")), 0);
    p.flipped.assign(std::size_t(g.fragments * C), 0);
    p.signs.assign(std::size_t(g.fragments * C), 1);
    if (g.unit_columns) p.unit_levels.assign(std::size_t(g.fragments * m * X), 0);

    // The stored magnitude of weight (n, k) in array a.
    auto stored = [&](int a, index_t n, index_t k) -> std::int64_t {
        const std::int64_t v = w(n, k);
        switch (cfg.map) {
        case mapping::differential: return a == 0 ? (v > 0 ? v : 0) : (v < 0 ? -v : 0);
        case mapping::offset: return v + (std::int64_t(1) << (cfg.weight_bits - 1));
        default: return v < 0 ? -v : v;
        }
    };

    rng draws(cfg.device.seed, stream);
    std::vector<int> column_levels(static_cast<std::size_t>(m));
    for (index_t f = 0; f < g.fragments; ++f) {
        const index_t rows = g.rows_in_fragment(f), r0 = f * m;
        for (int a = 0; a < g.arrays; ++a)
            for (index_t n = 0; n < g.outputs; ++n) {
                int polarity = 1;
                if (cfg.map == mapping::polarized)
                    for (index_t r = 0; r < rows; ++r)
                        if (w(n, r0 + r) < 0) polarity = -1;
                for (int s = 0; s < g.slices; ++s) {
                    const index_t c = g.column_of(a, n, s);
                    std::int64_t sum = 0;
                    for (index_t r = 0; r < rows; ++r) {
                        column_levels[std::size_t(r)] = int((stored(a, n, r0 + r) >> (s * c_bits)) & L);
                        sum += column_levels[std::size_t(r)];
                    }
                    const bool flip = cfg.flip_encoding && 2 * sum > std::int64_t(rows) * L;
                    p.flipped[std::size_t(f * C + c)] = flip ? 1 : 0;
                    p.signs[std::size_t(f * C + c)] = std::int8_t((a == 1 ? -1 : 1) * polarity);
                    for (index_t r = 0; r < rows; ++r) {
                        const int level = flip ? L - column_levels[std::size_t(r)] : column_levels[std::size_t(r)];
                        p.levels[std::size_t((f * m + r) * C + c)] = dev.program(level, draws);
                    }
                }
            }
        if (g.unit_columns)
            for (index_t x = 0; x < X; ++x)
                for (index_t r = 0; r < rows; ++r) p.unit_levels[std::size_t((f * m + r) * X + x)] = dev.program(1, draws);
    }
    return p;
}

/// Programs a polarized_matrix of B-bit integer magnitudes (the polarized family's format):
/// weight (o, k) = (fragment sign) x magnitude. Any mapping may take it; under `polarized`
/// the matrix's fragments must nest in cfg.fragment_rows (else a mixed-sign fragment throws).
/// Scales are not applied: the crossbar computes with the integer magnitudes.
template <class T>
programmed_weights program_weights(const crossbar_config& cfg, const polarized::polarized_matrix<T>& w,
                                   std::uint64_t stream = 0)
{
    static_assert(polarized::polarized_matrix<T>::is_integer, "the crossbar stores integer magnitudes: quantize() first");
    detail::require(w.outputs() > 0, "weights", "empty", "must be a matrix");
    std::vector<std::int32_t> dense(static_cast<std::size_t>(detail::checked_mul(w.outputs(), w.inputs(), "weights")));
    for (index_t o = 0; o < w.outputs(); ++o)
        for (index_t k = 0; k < w.inputs(); ++k)
            dense[std::size_t(o * w.inputs() + k)] =
                (w.negative(o, k / w.fragment()) ? -1 : 1) * std::int32_t(w.magnitude(o, k));
    return program_weights(cfg, matrix_view<const std::int32_t>(dense.data(), w.outputs(), w.inputs()), stream);
}

} // namespace crossbar
} // namespace finegrain
