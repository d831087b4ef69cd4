// Test data for the zero-skip and polarized plans: ReLU-like inputs with a given zero
// fraction, polarized matrices at a given fragment size, exact integer references.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/project.hpp"
#include "support/testing.hpp"

namespace fgtest {

/// n values >= 0, a fraction `zeros` of them exactly 0; clustered: zeros come in runs.
template <class T>
std::vector<T> relu_like(std::size_t n, double zeros, std::uint32_t seed, double max_value, bool clustered = false)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<T> v(n);
    bool in_zero_run = false;
    for (auto& x : v) {
        bool zero;
        if (clustered) {
            // Two-state Markov runs of mean length 8 with stationary zero fraction `zeros`.
            const double leave_zero = 1.0 / 8.0, enter_zero = zeros >= 1 ? 1.0 : leave_zero * zeros / (1.0 - zeros);
            in_zero_run = in_zero_run ? u(rng) >= leave_zero || zeros >= 1 : u(rng) < enter_zero;
            zero = in_zero_run;
        } else {
            zero = u(rng) < zeros;
        }
        const double mag = std::floor(u(rng) * max_value) + 1.0;
        x = zero ? T(0) : static_cast<T>(std::is_floating_point<T>::value ? u(rng) * max_value + 0.01 : (mag > max_value ? max_value : mag));
    }
    return v;
}

/// A random N x K matrix projected and packed at fragment size m.
inline finegrain::polarized::polarized_matrix<float> random_polarized(index_t n, index_t k, index_t m, std::uint32_t seed)
{
    auto w = random_floats(std::size_t(n * k), seed);
    finegrain::polarized::project(finegrain::matrix_view<float>(w.data(), n, k), m);
    return finegrain::polarized::pack(finegrain::matrix_view<const float>(w.data(), n, k), m);
}

} // namespace fgtest
