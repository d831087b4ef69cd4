// SPDX-License-Identifier: BSD-3-Clause
// The cell model: programming a level into a cell gives an *effective level*, the cell's
// conductance referred to the ADC, (G - g_off) / (g_on - g_off) * (2^cell_bits - 1). An ideal cell
// gives its level back exactly. Effective levels are kept in fixed point with
// `fraction_bits` bits after the point (0 for ideal devices, 10 otherwise: 1/1024 of a level
// step, far below any ADC step), so the reference and the fast path add the same integers and
// agree exactly for every static non-ideality; only read noise is drawn per read.
#pragma once

#include <cmath>
#include <cstdint>

#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/rng.hpp"

namespace finegrain {
namespace crossbar {

class device_model {
public:
    device_model(const device_config& d, int cell_bits)
        : d_(d), max_level_((1 << cell_bits) - 1), fraction_bits_(d.ideal() ? 0 : 10)
    {
        d.validate();
        step_us_ = (d.g_on_us - d.g_off_us) / double(max_level_);
    }

    int max_level() const noexcept { return max_level_; }
    /// Bits after the point of programmed effective levels (0: they are the levels).
    int fraction_bits() const noexcept { return fraction_bits_; }
    /// g_off in level steps: the conductance a level-0 cell adds to a column per unit input.
    double off_in_levels() const noexcept { return d_.g_off_us / step_us_; }
    /// Nominal conductance of a level, microsiemens.
    double conductance_us(int level) const noexcept { return d_.g_off_us + double(level) * step_us_; }

    /// Programs `level` into a cell: stuck-at faults, then log-normal variation, drawn from `g`
    /// (no draws for ideal devices). Returns the effective level in fixed point.
    std::int32_t program(int level, rng& g) const
    {
        if (fraction_bits_ == 0) return level;
        double conductance = conductance_us(level);
        const double fault = (d_.stuck_on_rate > 0.0 || d_.stuck_off_rate > 0.0) ? g.uniform() : 1.0;
        if (fault < d_.stuck_on_rate)
            conductance = d_.g_on_us;
        else if (fault < d_.stuck_on_rate + d_.stuck_off_rate)
            conductance = d_.g_off_us;
        else if (d_.programming_sigma > 0.0)
            conductance *= std::exp(d_.programming_sigma * g.normal());
        if (conductance > 2.0 * d_.g_on_us) conductance = 2.0 * d_.g_on_us;  // beyond the device's range
        const double effective = (conductance - d_.g_off_us) / step_us_;
        return static_cast<std::int32_t>(std::llround(std::ldexp(effective, fraction_bits_)));
    }

    /// One column read's noise, in level steps: the cells' independent relative read noise
    /// read_sigma summed into one Gaussian of the same variance. `sum_sq` = sum over the rows of
    /// (input slice x cell conductance in level steps)^2.
    double read_noise(double sum_sq, rng& g) const
    {
        if (d_.read_sigma == 0.0 || sum_sq <= 0.0) return 0.0;
        const double sd = d_.read_sigma * std::sqrt(sum_sq);
        return sd * g.normal();
    }

private:
    device_config d_;
    int max_level_;
    int fraction_bits_;
    double step_us_ = 1.0;
};

} // namespace crossbar
} // namespace finegrain
