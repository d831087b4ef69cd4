// SPDX-License-Identifier: BSD-3-Clause
// Architecture tags. Each SIMD tag names the xsimd architecture it maps to; `scalar` has
// none and uses simd::scalar_batch. `native_arch` is the best tag this translation unit's
// compile flags allow (the static tier).
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "finegrain/core/config.hpp"

namespace finegrain {
namespace simd {

/// Ranked within a processor family: a higher value is a superset of a lower one.
enum class arch_id : int { scalar = 0, sse4_2 = 1, avx2 = 2, avx512 = 3, neon64 = 11 };

inline const char* to_string(arch_id a) noexcept
{
    switch (a) {
    case arch_id::sse4_2: return "sse4_2";
    case arch_id::avx2: return "avx2";
    case arch_id::avx512: return "avx512";
    case arch_id::neon64: return "neon64";
    default: return "scalar";
    }
}

/// Plain C++ kernels: one lane, no intrinsics. The fallback everywhere.
struct scalar {
    static constexpr arch_id id = arch_id::scalar;
    static constexpr const char* name = "scalar";
    static constexpr std::size_t register_bytes = 0;
};
/// x86 SSE4.2 (Nehalem and later).
struct sse4_2 {
    static constexpr arch_id id = arch_id::sse4_2;
    static constexpr const char* name = "sse4_2";
    static constexpr std::size_t register_bytes = 16;
    using xsimd_arch = xsimd::sse4_2;
};
/// x86 AVX2 + FMA3 (Haswell, Zen and later).
struct avx2 {
    static constexpr arch_id id = arch_id::avx2;
    static constexpr const char* name = "avx2";
    static constexpr std::size_t register_bytes = 32;
    using xsimd_arch = xsimd::fma3<xsimd::avx2>;
};
/// x86 AVX-512 F/CD/BW/DQ/VL + FMA (Skylake-SP, Zen 4 and later).
struct avx512 {
    static constexpr arch_id id = arch_id::avx512;
    static constexpr const char* name = "avx512";
    static constexpr std::size_t register_bytes = 64;
    using xsimd_arch = xsimd::avx512bw;
};
/// AArch64 Advanced SIMD (every ARMv8-A core).
struct neon64 {
    static constexpr arch_id id = arch_id::neon64;
    static constexpr const char* name = "neon64";
    static constexpr std::size_t register_bytes = 16;
    using xsimd_arch = xsimd::neon64;
};

/// Lanes of a vector of T on Arch (1 for scalar). Usable where batch<T, Arch> cannot be
/// completed, e.g. tile sizes read in a TU compiled without Arch's flags.
template <class T, class Arch>
constexpr std::size_t lanes_of() noexcept
{
    return Arch::register_bytes == 0 ? 1 : Arch::register_bytes / sizeof(T);
}

// The static tier: what this TU's flags allow. avx512 needs the whole cluster.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__) && \
    defined(__FMA__)
using native_arch = avx512;
#elif defined(__AVX2__) && defined(__FMA__)
using native_arch = avx2;
#elif defined(__SSE4_2__)
using native_arch = sse4_2;
#elif FINEGRAIN_AARCH64 && defined(__ARM_NEON)
using native_arch = neon64;
#else
using native_arch = scalar;
#endif

/// True when Arch is of the same processor family as this build and at most `Ceiling`.
template <class Arch, class Ceiling>
constexpr bool arch_at_most() noexcept
{
    if (Arch::id == arch_id::scalar) return true;
    if (Arch::id == arch_id::neon64) return Ceiling::id == arch_id::neon64;
    if (Ceiling::id == arch_id::neon64) return false;
    return static_cast<int>(Arch::id) <= static_cast<int>(Ceiling::id);
}

} // namespace simd
} // namespace finegrain
