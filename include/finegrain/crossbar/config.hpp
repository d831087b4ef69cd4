// SPDX-License-Identifier: BSD-3-Clause
// ReRAM crossbar configuration: array geometry and precision, ADC/DAC, signed-weight mapping,
// zero-skipping, the device model's parameters and the component cost table; presets isaac(),
// prime(), forms(m). All value types; validate() throws finegrain::error naming the field.
//
// Sources (see ../shared/research/reram.md for the full provenance):
//   ISAAC  Shafiee et al., ISCA 2016: 128x128 arrays, 2 bits/cell, 16-bit weights, 16-bit inputs
//          fed 1 bit per 100 ns cycle, 8-bit ADC (9 bits without the flipped-weight encoding),
//          offset (biased) weights with a unit column. Component energies/areas (32 nm) as
//          transcribed by Accelergy hwcomponents-library isaac.py @8b56f7e.
//   PRIME  Chi et al., ISCA 2016: 256x256 arrays, 4 bits/cell, differential (two arrays),
//          8-bit weights as 2 x 4-bit cells, 6-bit inputs as 2 x 3-bit DAC slices, 6-bit ADC with a
//          calibrated (not full-precision) range (CrossSim configs/PRIME.json; Xiao et al. 2022 Tab. 1).
//   FORMS  Yuan et al., ISCA 2021: 128x128 logical arrays, fragments of m rows (4-16, 8 in
//          Xiao et al. Tab. 1), 2 bits/cell, 8-bit weights, 16-bit inputs, 1-bit zero-skip DACs,
//          4-bit ADC at 2.1 GS/s, 0.226 pJ/conversion, 284.4 um^2 (Accelergy forms.py).
#pragma once

#include <cstdint>
#include <string>

#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"

namespace finegrain {
namespace crossbar {

/// How a signed weight becomes non-negative conductances.
enum class mapping {
    differential,  ///< PRIME: w+ and w- on two arrays, subtracted digitally; |w| <= 2^B - 1
    offset,        ///< ISAAC: w + 2^(B-1) stored, bias removed with a unit column; w in [-2^(B-1), 2^(B-1))
    polarized,     ///< FORMS: |w| stored, one sign per fragment applied after the ADC; |w| <= 2^B - 1
};

/// What the ADC's range covers.
enum class adc_range {
    full_precision,  ///< LSB = one level, range covers every possible sum: adc_bits must be >= required
    full_scale,      ///< range covers every possible sum, LSB = 2^k levels (k = required - adc_bits), round to nearest
    saturating,      ///< LSB = one level, sums above 2^adc_bits - 1 clip
};

/// Which input cycles a fragment skips (FORMS zero-skipping).
enum class zero_skip {
    none,             ///< every fragment runs all ceil(input_bits / dac_bits) cycles
    leading,          ///< cycles above the fragment's largest input (leading zero slices) are skipped
    all_zero_cycles,  ///< every cycle whose input slice is zero on all rows of the fragment is skipped
};

inline const char* to_string(mapping m) noexcept
{
    return m == mapping::differential ? "differential" : m == mapping::offset ? "offset" : "polarized";
}
inline const char* to_string(adc_range r) noexcept
{
    return r == adc_range::full_precision ? "full_precision" : r == adc_range::full_scale ? "full_scale" : "saturating";
}
inline const char* to_string(zero_skip z) noexcept
{
    return z == zero_skip::none ? "none" : z == zero_skip::leading ? "leading" : "all_zero_cycles";
}

/// The ReRAM cell. Conductances are linear in the level: G(l) = g_off + l (g_on - g_off) / (2^cell_bits - 1).
/// Non-idealities, all drawn from one seeded generator (crossbar/rng.hpp), so a run is reproducible:
///  - programming variation: G = G(l) * exp(programming_sigma * z), z ~ N(0, 1), drawn once per cell;
///  - stuck-at faults: a cell is stuck at g_on (stuck_on_rate) or g_off (stuck_off_rate);
///  - read noise: every read of a cell gives G (1 + read_sigma * z), z drawn per read (summed
///    per column conversion as one Gaussian of the same variance).
/// The column current is referred to the ADC as (I - g_off * sum(v)) / delta_G: the g_off baseline
/// is cancelled with its nominal value (a reference column of ideal g_off cells), so variation of
/// a level-0 cell still shows, in proportion to g_off / delta_G (the on/off ratio matters).
struct device_config {
    double g_on_us = 100.0;  ///< on conductance, microsiemens (10 kOhm)
    double g_off_us = 1.0;   ///< off conductance, microsiemens (1 MOhm): on/off ratio 100
    double programming_sigma = 0.0;
    double read_sigma = 0.0;
    double stuck_on_rate = 0.0;
    double stuck_off_rate = 0.0;
    std::uint64_t seed = 1;

    bool ideal() const noexcept
    {
        return programming_sigma == 0.0 && read_sigma == 0.0 && stuck_on_rate == 0.0 && stuck_off_rate == 0.0;
    }
    bool static_only() const noexcept { return read_sigma == 0.0; }

    void validate() const
    {
        detail::require(g_off_us >= 0.0, "device.g_off_us", g_off_us, "must be >= 0");
        detail::require(g_on_us > g_off_us, "device.g_on_us", g_on_us, "must be > g_off_us");
        detail::require(programming_sigma >= 0.0 && programming_sigma <= 2.0, "device.programming_sigma",
                        programming_sigma, "must be in [0, 2]");
        detail::require(read_sigma >= 0.0 && read_sigma <= 2.0, "device.read_sigma", read_sigma, "must be in [0, 2]");
        detail::require(stuck_on_rate >= 0.0 && stuck_on_rate <= 1.0, "device.stuck_on_rate", stuck_on_rate,
                        "must be in [0, 1]");
        detail::require(stuck_off_rate >= 0.0 && stuck_off_rate <= 1.0, "device.stuck_off_rate", stuck_off_rate,
                        "must be in [0, 1]");
        detail::require(stuck_on_rate + stuck_off_rate <= 1.0, "device.stuck_off_rate", stuck_off_rate,
                        "stuck_on_rate + stuck_off_rate must be <= 1");
    }
};

/// Per-component energy and area (32 nm). ADC energy and area scale as 2^(bits - adc_anchor_bits),
/// the resolution scaling Accelergy applies to both the ISAAC and FORMS ADCs.
struct cost_table {
    // ADC (one per adcs_per_crossbar; shared by the crossbar's columns and fragments)
    int adc_anchor_bits = 8;
    double adc_energy_pj = 1.667;  ///< per conversion at adc_anchor_bits (ISAAC: 16 mW / 9.6 GS/s)
    double adc_area_um2 = 1200.0;  ///< per ADC at adc_anchor_bits (ISAAC: 9600 um^2 / 8)
    double adc_rate_gsps = 1.28;   ///< conversions per ns per ADC (ISAAC: 1.28 GS/s; Accelergy uses 1.2)
    index_t adcs_per_crossbar = 1; ///< ISAAC: 8 ADCs per IMA of 8 arrays
    // DAC: one per crossbar row, 1-bit; energy and area scale as 2^(dac_bits - 1)
    double dac_energy_pj = 0.41667;  ///< per row drive (Accelergy IsaacDAC: 4 mW over 8x128 DACs, 128/100 use)
    double dac_area_um2 = 0.166;     ///< per DAC (170 um^2 / 1024)
    // Sample-and-hold: one per column per fragment row group.  [unverified: ISAAC Table 6 as
    // recalled, 10 uW and 40 um^2 for 8x128 S+H; no retrievable source, see reram.md 2.4]
    double sh_energy_pj = 0.00001;  ///< per sample (10 uW / 1024 / 1 GHz)
    double sh_area_um2 = 0.04;
    // Memristor array.  [unverified: ISAAC Table 6 as recalled, 2.4 mW and 200 um^2 for 8 arrays]
    double cell_read_energy_pj = 0.0000018;  ///< per cell per read cycle (0.3 mW x 100 ns / 16384)
    double array_area_um2 = 25.0;            ///< per 128x128 array, scaled by rows x cols
    // Digital shift-and-add (Accelergy IsaacShiftAdd: 0.021 pJ, 60 um^2, 4 per IMA of 8 arrays)
    double shift_add_energy_pj = 0.021;
    double shift_add_area_um2 = 60.0;
    double shift_adds_per_crossbar = 0.5;
    // Tile: eDRAM 64 KB + bus + router shared by 4 tiles (Accelergy isaac.py)
    index_t crossbars_per_tile = 96;         ///< 12 IMAs x 8 arrays
    double edram_energy_pj = 20.45;          ///< per 256-bit access
    double edram_area_um2 = 83000.0;         ///< per tile
    double bus_energy_pj_per_bit = 0.054;
    double bus_area_um2 = 90000.0;           ///< per tile: 7500 um^2 per IMA x 12
    double router_energy_pj = 20.74;         ///< per 256 bits moved
    double router_area_um2 = 37500.0;        ///< per tile: 150000 um^2 / 4

    void validate() const
    {
        detail::require(adc_anchor_bits >= 1 && adc_anchor_bits <= 16, "costs.adc_anchor_bits", adc_anchor_bits,
                        "must be in [1, 16]");
        detail::require(adc_rate_gsps > 0.0, "costs.adc_rate_gsps", adc_rate_gsps, "must be > 0");
        detail::require(adcs_per_crossbar >= 1, "costs.adcs_per_crossbar", adcs_per_crossbar, "must be >= 1");
        detail::require(crossbars_per_tile >= 1, "costs.crossbars_per_tile", crossbars_per_tile, "must be >= 1");
        const double all[] = {adc_energy_pj,   adc_area_um2,        dac_energy_pj,     dac_area_um2,
                              sh_energy_pj,    sh_area_um2,         cell_read_energy_pj, array_area_um2,
                              shift_add_energy_pj, shift_add_area_um2, shift_adds_per_crossbar, edram_energy_pj,
                              edram_area_um2,  bus_energy_pj_per_bit, bus_area_um2,    router_energy_pj,
                              router_area_um2};
        for (double v : all) detail::require(v >= 0.0, "costs", v, "energies and areas must be >= 0");
    }
};

/// ADC bits that resolve every possible column sum of `rows` active rows exactly.
/// Plain: the sum reaches rows (2^cell_bits - 1)(2^dac_bits - 1). With the flipped-column
/// encoding (ISAAC; US patent 10,664,271) a column stores (2^c - 1) - w when that lowers its
/// sum, so a column sums to at most (2^d - 1) floor(rows (2^c - 1) / 2): one bit fewer, as long
/// as the unit column (sum of the inputs, up to rows (2^d - 1)) still fits, i.e. cell_bits >= 2.
/// Examples (1-bit DAC, 2-bit cells): 128 rows -> 9 bits, 8 with the flip (ISAAC); 8 rows -> 5 / 4 (FORMS).
inline int required_adc_bits(index_t rows, int cell_bits, int dac_bits, bool flip)
{
    detail::require(rows >= 1, "rows", rows, "must be >= 1");
    detail::require(cell_bits >= 1 && cell_bits <= 4, "cell_bits", cell_bits, "must be in [1, 4]");
    detail::require(dac_bits >= 1 && dac_bits <= 4, "dac_bits", dac_bits, "must be in [1, 4]");
    const std::int64_t cell_max = (std::int64_t(1) << cell_bits) - 1, dac_max = (std::int64_t(1) << dac_bits) - 1;
    std::int64_t top = flip ? dac_max * ((rows * cell_max) / 2) : rows * cell_max * dac_max;
    const std::int64_t unit = rows * dac_max;  // the unit column's sum
    if (flip && unit > top) top = unit;
    int bits = 1;
    while ((std::int64_t(1) << bits) - 1 < top) ++bits;
    return bits;
}

struct crossbar_config {
    std::string name = "custom";
    index_t rows = 128, cols = 128;  ///< physical array
    int cell_bits = 2;               ///< bits per cell, 1-4
    int weight_bits = 8;             ///< B: magnitude bits (differential, polarized) or two's-complement bits (offset), <= 16
    int input_bits = 16;             ///< unsigned inputs, <= 16
    int dac_bits = 1;                ///< input bits applied per cycle, 1-4
    int adc_bits = 8;
    adc_range range = adc_range::saturating;
    index_t fragment_rows = 128;     ///< m: rows summed per conversion (FORMS sub-array height); divides rows
    double cycle_ns = 100.0;         ///< one crossbar read cycle
    mapping map = mapping::offset;
    bool flip_encoding = false;      ///< ISAAC's flipped columns (needs a unit column; saves one ADC bit)
    zero_skip skip = zero_skip::none;
    device_config device;
    cost_table costs;

    int weight_slices() const noexcept { return (weight_bits + cell_bits - 1) / cell_bits; }
    int input_cycles() const noexcept { return (input_bits + dac_bits - 1) / dac_bits; }
    int arrays() const noexcept { return map == mapping::differential ? 2 : 1; }
    /// A unit (all-ones) column per array: the offset mapping's bias and the flip encoding need it.
    bool has_unit_column() const noexcept { return map == mapping::offset || flip_encoding; }
    index_t outputs_per_crossbar() const noexcept { return (cols - (has_unit_column() ? 1 : 0)) / weight_slices(); }
    /// ADC bits a fragment needs for exact results (the resolution rule above).
    int exact_adc_bits() const { return required_adc_bits(fragment_rows, cell_bits, dac_bits, flip_encoding); }
    /// LSB of the ADC in levels, as a shift: 2^adc_shift() levels per code.
    int adc_shift() const
    {
        const int k = exact_adc_bits() - adc_bits;
        return range == adc_range::full_scale && k > 0 ? k : 0;
    }
    std::int64_t adc_max_code() const noexcept { return (std::int64_t(1) << adc_bits) - 1; }
    std::int64_t weight_min() const noexcept
    {
        return map == mapping::offset ? -(std::int64_t(1) << (weight_bits - 1)) : -((std::int64_t(1) << weight_bits) - 1);
    }
    std::int64_t weight_max() const noexcept
    {
        return map == mapping::offset ? (std::int64_t(1) << (weight_bits - 1)) - 1 : (std::int64_t(1) << weight_bits) - 1;
    }

    /// Throws finegrain::error naming the first bad field.
    void validate() const
    {
        detail::require(rows >= 1 && rows <= 4096, "config.rows", rows, "must be in [1, 4096]");
        detail::require(cols >= 1 && cols <= 4096, "config.cols", cols, "must be in [1, 4096]");
        detail::require(cell_bits >= 1 && cell_bits <= 4, "config.cell_bits", cell_bits, "must be in [1, 4]");
        detail::require(weight_bits >= 1 && weight_bits <= 16, "config.weight_bits", weight_bits, "must be in [1, 16]");
        detail::require(cell_bits <= weight_bits, "config.cell_bits", cell_bits, "must be <= weight_bits");
        detail::require(map != mapping::offset || weight_bits >= 2, "config.weight_bits", weight_bits,
                        "must be >= 2 for the offset mapping (one bit is the sign)");
        detail::require(input_bits >= 1 && input_bits <= 16, "config.input_bits", input_bits, "must be in [1, 16]");
        detail::require(dac_bits >= 1 && dac_bits <= 4, "config.dac_bits", dac_bits, "must be in [1, 4]");
        detail::require(dac_bits <= input_bits, "config.dac_bits", dac_bits, "must be <= input_bits");
        detail::require(adc_bits >= 1 && adc_bits <= 16, "config.adc_bits", adc_bits, "must be in [1, 16]");
        detail::require(fragment_rows >= 1 && fragment_rows <= rows, "config.fragment_rows", fragment_rows,
                        "must be in [1, rows]");
        detail::require(rows % fragment_rows == 0, "config.fragment_rows", fragment_rows, "must divide rows");
        detail::require(cycle_ns > 0.0, "config.cycle_ns", cycle_ns, "must be > 0");
        detail::require(outputs_per_crossbar() >= 1, "config.cols", cols,
                        "must hold the weight slices of one output (plus the unit column)");
        if (range == adc_range::full_precision)
            detail::require(adc_bits >= exact_adc_bits(), "config.adc_bits", adc_bits,
                            "is below the bits a full-precision ADC needs for fragment_rows (required_adc_bits)");
        device.validate();
        costs.validate();
    }
};

/// ISAAC (ISCA'16): 128x128, 2 b/cell, 16-bit weights (8 slices), 16 one-bit input cycles of
/// 100 ns, offset mapping with unit column, flipped columns, 8-bit ADC per 128 rows.
inline crossbar_config isaac()
{
    crossbar_config c;
    c.name = "isaac";
    c.rows = c.cols = 128;
    c.cell_bits = 2;
    c.weight_bits = 16;
    c.input_bits = 16;
    c.dac_bits = 1;
    c.adc_bits = 8;
    c.range = adc_range::full_precision;
    c.fragment_rows = 128;
    c.cycle_ns = 100.0;
    c.map = mapping::offset;
    c.flip_encoding = true;
    c.skip = zero_skip::none;
    return c;  // costs: the ISAAC defaults of cost_table
}

/// PRIME (ISCA'16) as configured by CrossSim's PRIME.json: 256x256, 4 b/cell, 8-bit weights on
/// two 4-bit cells, differential arrays, 6-bit inputs in 3-bit DAC slices, 6-bit ADC with a
/// range set to the full scale (PRIME is not full precision: Xiao et al. Tab. 1). Rmin 1 kOhm,
/// Rmax 20 kOhm. PRIME's own component costs are not in the research note: ISAAC's table is used.
inline crossbar_config prime()
{
    crossbar_config c;
    c.name = "prime";
    c.rows = c.cols = 256;
    c.cell_bits = 4;
    c.weight_bits = 8;
    c.input_bits = 6;
    c.dac_bits = 3;
    c.adc_bits = 6;
    c.range = adc_range::full_scale;
    c.fragment_rows = 256;
    c.cycle_ns = 100.0;
    c.map = mapping::differential;
    c.flip_encoding = false;
    c.device.g_on_us = 1000.0;
    c.device.g_off_us = 50.0;
    return c;
}

/// FORMS (ISCA'21) with fragments of m rows: 128x128, 2 b/cell, 8-bit weights (4 slices), 16-bit
/// inputs on 1-bit zero-skip DACs, polarized mapping, leading-zero skipping, and the ADC bits of
/// the resolution rule with the flipped-column encoding (m = 8 -> 4 bits: the published value;
/// that FORMS flips is this model's inference, reram.md 1.7). FORMS ADC: 4-bit, 2.1 GS/s,
/// 0.226 pJ, 284.4 um^2 (32 per unit; 4 per 128x128 array assumed: a unit = 8 arrays as in ISAAC).
/// Other components as ISAAC's (Accelergy's FormsDAC is IsaacDAC).
inline crossbar_config forms(index_t m = 8)
{
    crossbar_config c;
    c.name = "forms" + std::to_string(m);
    c.rows = c.cols = 128;
    c.cell_bits = 2;
    c.weight_bits = 8;
    c.input_bits = 16;
    c.dac_bits = 1;
    detail::require(m >= 1 && m <= 128 && 128 % m == 0, "forms.m", m, "must divide 128");
    c.fragment_rows = m;
    c.flip_encoding = true;
    c.adc_bits = c.exact_adc_bits();
    c.range = adc_range::full_precision;
    c.cycle_ns = 100.0;
    c.map = mapping::polarized;
    c.skip = zero_skip::leading;
    c.costs.adc_anchor_bits = 4;
    c.costs.adc_energy_pj = 0.22619;  // 15.2 mW / (2.1 GS/s x 32)
    c.costs.adc_area_um2 = 284.375;   // 9100 um^2 / 32
    c.costs.adc_rate_gsps = 2.1;
    c.costs.adcs_per_crossbar = 4;
    return c;
}

} // namespace crossbar
} // namespace finegrain
