// SPDX-License-Identifier: BSD-3-Clause
// The crossbar model's random numbers: xoshiro256** seeded through splitmix64, and the
// transforms the device model needs (uniform, Bernoulli, normal), written out here rather than
// taken from <random>, whose distributions differ between standard libraries. The integer
// stream is identical on every platform; the normal uses std::log/std::sqrt/std::cos, which
// glibc computes identically on x86-64 and AArch64 for all practical purposes (the tests pin
// the first draws on both).
#pragma once

#include <cmath>
#include <cstdint>

namespace finegrain {
namespace crossbar {

/// splitmix64 (Steele, Lea, Flood 2014): one step; used to seed and to derive sub-streams.
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman, Vigna 2018). Deterministic per (seed, stream).
class rng {
public:
    explicit rng(std::uint64_t seed, std::uint64_t stream = 0) noexcept
    {
        std::uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ull);
        for (auto& w : s_) w = splitmix64(sm);
    }

    std::uint64_t next() noexcept
    {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1), 53 random bits.
    double uniform() noexcept { return double(next() >> 11) * 0x1.0p-53; }

    /// True with probability p.
    bool bernoulli(double p) noexcept { return uniform() < p; }

    /// Standard normal by Box-Muller (the cosine branch only, one draw per call).
    double normal() noexcept
    {
        const double u1 = double((next() >> 11) + 1) * 0x1.0p-53;  // (0, 1]
        const double u2 = uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 6.283185307179586 * u2;
        return radius * std::cos(angle);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

} // namespace crossbar
} // namespace finegrain
