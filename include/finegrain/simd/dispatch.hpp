// SPDX-License-Identifier: BSD-3-Clause
// Choosing an architecture once, when a plan is made.
//
// The kernels a program holds ("compiled archs") are:
//   - scalar, always;
//   - every tag up to simd::native_arch (static tier: this TU's compile flags);
//   - every tag registered by finegrain_target_dispatch() (runtime tier), which compiles
//     explicit instantiations in per-arch TUs and defines FINEGRAIN_DISPATCH_HAS_<ARCH>=1.
// A plan calls with_best_arch(f): f(Arch{}) runs for the best compiled arch that the CPU
// supports and that does not exceed the cap (FINEGRAIN_FORCE_ARCH or set_arch_cap()).
#pragma once

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "finegrain/core/error.hpp"
#include "finegrain/simd/arch.hpp"
#include "finegrain/simd/cpu_features.hpp"

#ifndef FINEGRAIN_DISPATCH_HAS_SSE4_2
#define FINEGRAIN_DISPATCH_HAS_SSE4_2 0
#endif
#ifndef FINEGRAIN_DISPATCH_HAS_AVX2
#define FINEGRAIN_DISPATCH_HAS_AVX2 0
#endif
#ifndef FINEGRAIN_DISPATCH_HAS_AVX512
#define FINEGRAIN_DISPATCH_HAS_AVX512 0
#endif
#ifndef FINEGRAIN_DISPATCH_HAS_NEON64
#define FINEGRAIN_DISPATCH_HAS_NEON64 0
#endif

namespace finegrain {
namespace simd {

/// Is a kernel for Arch available in this program (instantiated here, or in a dispatch TU)?
template <class Arch>
constexpr bool is_compiled() noexcept
{
    switch (Arch::id) {
    case arch_id::sse4_2: return FINEGRAIN_DISPATCH_HAS_SSE4_2 || arch_at_most<sse4_2, native_arch>();
    case arch_id::avx2: return FINEGRAIN_DISPATCH_HAS_AVX2 || arch_at_most<avx2, native_arch>();
    case arch_id::avx512: return FINEGRAIN_DISPATCH_HAS_AVX512 || arch_at_most<avx512, native_arch>();
    case arch_id::neon64: return FINEGRAIN_DISPATCH_HAS_NEON64 || arch_at_most<neon64, native_arch>();
    default: return true;
    }
}

/// Parses an arch name ("scalar", "sse4_2", "avx2", "avx512", "neon64"); throws naming `argument`.
inline arch_id parse_arch(const char* text, const char* argument)
{
    static const arch_id all[] = {arch_id::scalar, arch_id::sse4_2, arch_id::avx2, arch_id::avx512, arch_id::neon64};
    for (arch_id a : all)
        if (std::strcmp(text, to_string(a)) == 0) return a;
    finegrain::detail::throw_invalid(argument, text, "must be one of scalar, sse4_2, avx2, avx512, neon64");
}

namespace detail {
inline std::atomic<int>& arch_cap_override() noexcept
{
    static std::atomic<int> cap{-1};
    return cap;
}
} // namespace detail

/// Caps every later plan's choice at `a` (tests and benchmarks pin a path with it); takes
/// precedence over FINEGRAIN_FORCE_ARCH. clear_arch_cap() restores the environment's cap.
inline void set_arch_cap(arch_id a) noexcept { detail::arch_cap_override().store(static_cast<int>(a)); }
inline void clear_arch_cap() noexcept { detail::arch_cap_override().store(-1); }

/// The cap in force, if any: set_arch_cap(), else the FINEGRAIN_FORCE_ARCH environment variable.
/// Returns false when uncapped. An unknown FINEGRAIN_FORCE_ARCH value throws finegrain::error.
inline bool arch_cap(arch_id& cap)
{
    const int o = detail::arch_cap_override().load();
    if (o >= 0) {
        cap = static_cast<arch_id>(o);
        return true;
    }
    const char* env = std::getenv("FINEGRAIN_FORCE_ARCH");
    if (env == nullptr || *env == '\0') return false;
    cap = parse_arch(env, "FINEGRAIN_FORCE_ARCH");
    return true;
}

/// The cap compares levels: scalar < 128-bit (sse4_2, neon64) < avx2 < avx512, so one
/// FINEGRAIN_FORCE_ARCH value means the same on x86 and ARM.
constexpr int arch_level(arch_id a) noexcept
{
    return a == arch_id::neon64 ? 1 : static_cast<int>(a);
}

/// May a kernel for `a` be chosen now: the CPU supports it and it is within the cap?
inline bool runnable(arch_id a)
{
    if (!cpu_features::get().supports(a)) return false;
    arch_id cap{};
    return !arch_cap(cap) || arch_level(a) <= arch_level(cap);
}

/// Calls f(Arch{}) for every compiled arch, best first (tests and benchmarks use it to reach each path).
template <class F>
void for_each_compiled_arch(F&& f)
{
    if constexpr (is_compiled<avx512>()) f(avx512{});
    if constexpr (is_compiled<avx2>()) f(avx2{});
    if constexpr (is_compiled<sse4_2>()) f(sse4_2{});
    if constexpr (is_compiled<neon64>()) f(neon64{});
    f(scalar{});
}

/// Calls f(Arch{}) once, for the best compiled arch that is runnable(); returns its id.
template <class F>
arch_id with_best_arch(F&& f)
{
    bool done = false;
    arch_id chosen = arch_id::scalar;
    for_each_compiled_arch([&](auto arch) {
        using A = decltype(arch);
        if (!done && runnable(A::id)) {
            done = true;
            chosen = A::id;
            f(arch);
        }
    });
    return chosen;
}

/// Calls f(Arch{}) for arch `id` when it is compiled and runnable(); returns whether it did
/// (a plan that found `id` faster than the best arch for its shape switches to it this way).
template <class F>
bool with_arch(arch_id id, F&& f)
{
    bool done = false;
    for_each_compiled_arch([&](auto arch) {
        using A = decltype(arch);
        if (!done && A::id == id && runnable(id)) {
            done = true;
            f(arch);
        }
    });
    return done;
}

/// AVX-512 VNNI (vpdpbusd: four uint8 x int8 products per int32 lane, exact) is an extension
/// the avx512 kernels use where the CPU has it: the integer row kernels (zeroskip::rows_kernels)
/// take it for uint8 inputs x int8 weights. allow_vnni(false) (or FINEGRAIN_NO_VNNI=1 in the
/// environment) makes later plans run the avx512 path without it, so tests and benchmarks reach
/// both; allow_vnni(true) restores the default.
namespace detail {
inline std::atomic<int>& vnni_override() noexcept
{
    static std::atomic<int> allowed{-1};
    return allowed;
}
} // namespace detail
inline void allow_vnni(bool on) noexcept { detail::vnni_override().store(on ? 1 : 0); }

/// May a plan that runs the avx512 arch use VNNI now?
inline bool vnni_runnable()
{
    if (!cpu_features::get().avx512vnni || !runnable(arch_id::avx512)) return false;
    const int o = detail::vnni_override().load();
    if (o >= 0) return o == 1;
    const char* env = std::getenv("FINEGRAIN_NO_VNNI");
    return env == nullptr || *env == '\0' || std::strcmp(env, "0") == 0;
}

} // namespace simd
} // namespace finegrain
