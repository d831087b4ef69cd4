// Shared test helpers: seeded data, tolerance checks, per-arch iteration.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "finegrain/core/views.hpp"
#include "finegrain/simd/dispatch.hpp"

namespace fgtest {

using finegrain::index_t;

/// Uniform floats in [lo, hi), reproducible per seed.
inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

inline float max_abs(const std::vector<float>& v)
{
    float m = 0;
    for (float x : v) m = std::max(m, std::fabs(x));
    return m;
}

/// Checks |got - want| <= tol elementwise; reports the first mismatch with its index.
inline void check_close(const float* got, const float* want, std::size_t n, double tol, const std::string& what)
{
    for (std::size_t i = 0; i < n; ++i) {
        const double d = std::fabs(double(got[i]) - double(want[i]));
        if (!(d <= tol)) {  // also catches NaN
            INFO(what << ": first mismatch at " << i << " of " << n << ": got " << got[i] << ", want " << want[i]
                      << ", tol " << tol);
            CHECK(d <= tol);
            return;
        }
    }
    CHECK(true);
}

/// The fp32 bound of the design note: c * k * eps * max|a| * max|b| (plus bias scale).
inline double fp32_tol(index_t k, double max_a, double max_b, double scale = 1.0)
{
    return 4.0 * double(k + 2) * 1.2e-7 * std::max(1.0, max_a * max_b * scale);
}

/// Pins plans to one arch while alive (set_arch_cap); restores the environment's cap after.
struct arch_cap_scope {
    explicit arch_cap_scope(finegrain::simd::arch_id a) { finegrain::simd::set_arch_cap(a); }
    ~arch_cap_scope() { finegrain::simd::clear_arch_cap(); }
    arch_cap_scope(const arch_cap_scope&) = delete;
    arch_cap_scope& operator=(const arch_cap_scope&) = delete;
};

/// Calls f(Arch{}) for every compiled arch this CPU can run, each inside a SUBCASE named
/// after the arch, with plans capped at that arch. Archs the CPU lacks are reported, not run.
template <class F>
void for_each_runnable_arch(F&& f)
{
    finegrain::simd::for_each_compiled_arch([&](auto arch) {
        using A = decltype(arch);
        if (!finegrain::simd::cpu_features::get().supports(A::id)) {
            static bool reported = false;  // once per arch, not once per subcase pass
            if (!reported) {
                reported = true;
                const std::string note = std::string("skipped: this CPU cannot run ") + A::name;
                MESSAGE(note);
            }
            return;
        }
        SUBCASE(A::name)
        {
            arch_cap_scope cap(A::id);
            f(arch);
        }
    });
}

/// Lets plans use AVX-512 VNNI or not while alive (simd::allow_vnni); restores the default after.
struct vnni_scope {
    explicit vnni_scope(bool on) { finegrain::simd::allow_vnni(on); }
    ~vnni_scope() { finegrain::simd::detail::vnni_override().store(-1); }
    vnni_scope(const vnni_scope&) = delete;
    vnni_scope& operator=(const vnni_scope&) = delete;
};

/// for_each_runnable_arch for the integer kernels: on avx512, when the CPU has VNNI, f runs
/// twice, in SUBCASEs "vnni" (the quad kernels) and "no_vnni" (the int16 pair kernels).
template <class F>
void for_each_runnable_int_path(F&& f)
{
    for_each_runnable_arch([&](auto arch) {
        using A = decltype(arch);
        if (A::id == finegrain::simd::arch_id::avx512 && finegrain::simd::cpu_features::get().avx512vnni) {
            SUBCASE("vnni")
            {
                vnni_scope v(true);
                f(arch);
            }
            SUBCASE("no_vnni")
            {
                vnni_scope v(false);
                f(arch);
            }
        } else {
            f(arch);
        }
    });
}

} // namespace fgtest
