// SPDX-License-Identifier: BSD-3-Clause
// Energy, area and latency of crossbar layers from their counters and the configuration's
// component table (crossbar/config.hpp: cost_table, with its sources), and the per-layer and
// total report as a text table or JSON.
//
// Energy = conversions x E_adc(bits) + DAC pulses x E_dac + samples x E_s&h + cell reads x E_cell
//        + shift-adds x E_s&a + eDRAM/bus traffic (inputs K x input_bits, one 32-bit partial
//          sum per output and row tile) + router traffic (16-bit outputs), per MVM.
// Area   = crossbars x (array + ADCs + one DAC per row + one S&H per column and fragment
//          row group + shift-add share) + tiles x (eDRAM + bus + router share);
//          tiles = ceil(crossbars / crossbars_per_tile), weights stay resident (no reuse of
//          crossbars across layers).
// Time   = sum over MVMs of the MVM latency (counters.hpp); layers run one after another.
// Throughput counts 2 K N operations per MVM (the dense-equivalent work).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/counters.hpp"
#include "finegrain/crossbar/mapping.hpp"

namespace finegrain {
namespace crossbar {

struct cost_report {
    std::string name;      ///< layer (or "total")
    std::string config;    ///< config name
    index_t crossbars = 0, tiles = 0;
    std::int64_t cells = 0;
    int adc_bits = 0;
    double ops = 0.0;      ///< 2 K N per MVM
    counters events;
    // energy, pJ
    double e_adc = 0, e_dac = 0, e_sample_hold = 0, e_array = 0, e_shift_add = 0, e_edram = 0, e_bus = 0, e_router = 0;
    // area, um^2
    double a_arrays = 0, a_adc = 0, a_dac = 0, a_sample_hold = 0, a_shift_add = 0, a_tiles = 0;

    double energy_pj() const noexcept
    {
        return e_adc + e_dac + e_sample_hold + e_array + e_shift_add + e_edram + e_bus + e_router;
    }
    double area_mm2() const noexcept
    {
        return (a_arrays + a_adc + a_dac + a_sample_hold + a_shift_add + a_tiles) * 1e-6;
    }
    double time_ns() const noexcept { return events.busy_ns; }
    double gops_per_s() const noexcept { return time_ns() > 0 ? ops / time_ns() : 0.0; }
    double gops_per_s_mm2() const noexcept { return area_mm2() > 0 ? gops_per_s() / area_mm2() : 0.0; }
    double gops_per_w() const noexcept { return energy_pj() > 0 ? ops / energy_pj() * 1e3 : 0.0; }
    double power_w() const noexcept { return time_ns() > 0 ? energy_pj() * 1e-3 / time_ns() : 0.0; }
};

/// ADC energy per conversion and area at `bits` (Accelergy's 2^bits resolution scaling).
inline double adc_energy_pj(const cost_table& t, int bits) { return t.adc_energy_pj * std::ldexp(1.0, bits - t.adc_anchor_bits); }
inline double adc_area_um2(const cost_table& t, int bits) { return t.adc_area_um2 * std::ldexp(1.0, bits - t.adc_anchor_bits); }

/// Area of the crossbars and their peripherals (no tile share), um^2.
inline void add_crossbar_area(const crossbar_config& cfg, index_t crossbars, cost_report& r)
{
    const cost_table& t = cfg.costs;
    const double n = double(crossbars);
    r.a_arrays += n * t.array_area_um2 * double(cfg.rows * cfg.cols) / 16384.0;
    r.a_adc += n * double(t.adcs_per_crossbar) * adc_area_um2(t, cfg.adc_bits);
    r.a_dac += n * double(cfg.rows) * t.dac_area_um2 * std::ldexp(1.0, cfg.dac_bits - 1);
    r.a_sample_hold += n * double(cfg.cols) * double(cfg.rows / cfg.fragment_rows) * t.sh_area_um2;
    r.a_shift_add += n * t.shift_adds_per_crossbar * t.shift_add_area_um2;
}

inline double tile_area_um2(const cost_table& t) { return t.edram_area_um2 + t.bus_area_um2 + t.router_area_um2; }

/// The cost of `events` on a layer of geometry g under cfg.
inline cost_report evaluate_cost(const std::string& name, const crossbar_config& cfg, const geometry& g, const counters& events)
{
    const cost_table& t = cfg.costs;
    cost_report r;
    r.name = name;
    r.config = cfg.name;
    r.crossbars = g.crossbars();
    r.tiles = (r.crossbars + t.crossbars_per_tile - 1) / t.crossbars_per_tile;
    r.cells = g.cells_used();
    r.adc_bits = cfg.adc_bits;
    r.events = events;
    const double mvms = double(events.mvms);
    r.ops = 2.0 * double(g.inputs) * double(g.outputs) * mvms;
    r.e_adc = double(events.conversions) * adc_energy_pj(t, cfg.adc_bits);
    r.e_dac = double(events.dac_pulses) * t.dac_energy_pj * std::ldexp(1.0, cfg.dac_bits - 1);
    r.e_sample_hold = double(events.conversions) * t.sh_energy_pj;
    r.e_array = double(events.cell_reads) * t.cell_read_energy_pj;
    r.e_shift_add = double(events.shift_adds) * t.shift_add_energy_pj;
    const double bits = mvms * (double(g.inputs) * cfg.input_bits + double(g.outputs) * 32.0 * double(g.row_tiles));
    r.e_edram = bits / 256.0 * t.edram_energy_pj;
    r.e_bus = bits * t.bus_energy_pj_per_bit;
    r.e_router = mvms * double(g.outputs) * 16.0 / 256.0 * t.router_energy_pj;
    add_crossbar_area(cfg, r.crossbars, r);
    r.a_tiles = double(r.tiles) * tile_area_um2(t);
    return r;
}

/// The sum of per-layer reports of one configuration (tiles recounted over all crossbars).
inline cost_report total_cost(const std::vector<cost_report>& layers, const crossbar_config& cfg)
{
    cost_report r;
    r.name = "total";
    r.config = cfg.name;
    r.adc_bits = cfg.adc_bits;
    for (const cost_report& l : layers) {
        r.crossbars += l.crossbars;
        r.cells += l.cells;
        r.ops += l.ops;
        r.events += l.events;
        r.e_adc += l.e_adc;
        r.e_dac += l.e_dac;
        r.e_sample_hold += l.e_sample_hold;
        r.e_array += l.e_array;
        r.e_shift_add += l.e_shift_add;
        r.e_edram += l.e_edram;
        r.e_bus += l.e_bus;
        r.e_router += l.e_router;
    }
    r.tiles = (r.crossbars + cfg.costs.crossbars_per_tile - 1) / cfg.costs.crossbars_per_tile;
    add_crossbar_area(cfg, r.crossbars, r);
    r.a_tiles = double(r.tiles) * tile_area_um2(cfg.costs);
    return r;
}

/// One line per report: crossbars, ADC bits, conversions, cycles saved, energy, area, rates.
inline void write_table(std::ostream& os, const std::vector<cost_report>& rows)
{
    char line[512];
    std::snprintf(line, sizeof line, "%-10s %-18s %9s %4s %12s %7s %11s %9s %10s %12s %10s\n", "config", "layer",
                  "crossbars", "adc", "conversions", "skipped", "energy_uJ", "area_mm2", "time_us", "GOPs/s/mm2",
                  "GOPs/W");
    os << line;
    for (const cost_report& r : rows) {
        std::snprintf(line, sizeof line, "%-10s %-18s %9lld %4d %12.4g %6.1f%% %11.4g %9.4g %10.4g %12.4g %10.4g\n",
                      r.config.c_str(), r.name.c_str(), static_cast<long long>(r.crossbars), r.adc_bits,
                      double(r.events.conversions), 100.0 * r.events.cycles_saved(), r.energy_pj() * 1e-6,
                      r.area_mm2(), r.time_ns() * 1e-3, r.gops_per_s_mm2(), r.gops_per_w());
        os << line;
    }
}

/// The reports as a JSON array of objects (every counter and cost term).
inline void write_json(std::ostream& os, const std::vector<cost_report>& rows)
{
    os << "[\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const cost_report& r = rows[i];
        const counters& c = r.events;
        char buf[1600];
        std::snprintf(buf, sizeof buf,
                      "  {\"config\": \"%s\", \"layer\": \"%s\", \"crossbars\": %lld, \"tiles\": %lld, \"cells\": %lld, "
                      "\"adc_bits\": %d, \"mvms\": %lld, \"ops\": %.17g, \"conversions\": %lld, \"dac_pulses\": %lld, "
                      "\"cycles_run\": %lld, \"cycles_full\": %lld, \"cycles_saved\": %.6f, \"cell_reads\": %lld, "
                      "\"shift_adds\": %lld, \"time_ns\": %.17g, "
                      "\"energy_pj\": {\"adc\": %.9g, \"dac\": %.9g, \"sample_hold\": %.9g, \"array\": %.9g, "
                      "\"shift_add\": %.9g, \"edram\": %.9g, \"bus\": %.9g, \"router\": %.9g, \"total\": %.9g}, "
                      "\"area_um2\": {\"arrays\": %.9g, \"adc\": %.9g, \"dac\": %.9g, \"sample_hold\": %.9g, "
                      "\"shift_add\": %.9g, \"tiles\": %.9g, \"total\": %.9g}, "
                      "\"gops_per_s\": %.9g, \"gops_per_s_mm2\": %.9g, \"gops_per_w\": %.9g, \"power_w\": %.9g}%s\n",
                      r.config.c_str(), r.name.c_str(), static_cast<long long>(r.crossbars),
                      static_cast<long long>(r.tiles), static_cast<long long>(r.cells), r.adc_bits,
                      static_cast<long long>(c.mvms), r.ops, static_cast<long long>(c.conversions),
                      static_cast<long long>(c.dac_pulses), static_cast<long long>(c.cycles_run),
                      static_cast<long long>(c.cycles_full), c.cycles_saved(), static_cast<long long>(c.cell_reads),
                      static_cast<long long>(c.shift_adds), r.time_ns(), r.e_adc, r.e_dac, r.e_sample_hold, r.e_array,
                      r.e_shift_add, r.e_edram, r.e_bus, r.e_router, r.energy_pj(), r.a_arrays, r.a_adc, r.a_dac,
                      r.a_sample_hold, r.a_shift_add, r.a_tiles, r.area_mm2() * 1e6, r.gops_per_s(), r.gops_per_s_mm2(),
                      r.gops_per_w(), r.power_w(), i + 1 < rows.size() ? "," : "");
        os << buf;
    }
    os << "]\n";
}

} // namespace crossbar
} // namespace finegrain
