// SPDX-License-Identifier: BSD-3-Clause
// What the running CPU (and OS) supports, read once. xsimd 8.1's own detection is wrong on
// current CPUs (SSE2 read from the XSAVE bit, AVX from a clobbered leaf, no OS-state check),
// so finegrain reads CPUID and XGETBV itself.
#pragma once

#include <cstdint>

#include "finegrain/core/config.hpp"
#include "finegrain/simd/arch.hpp"

#if FINEGRAIN_X86_64 && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace finegrain {
namespace simd {

struct cpu_features {
    bool sse4_2 = false;
    bool avx = false;   // CPU and OS (XCR0 SSE+AVX state)
    bool avx2 = false;
    bool fma = false;
    bool avx512f = false, avx512cd = false, avx512bw = false, avx512dq = false, avx512vl = false;
    bool avx512vnni = false;
    bool neon = false;
    bool asimddp = false;  // aarch64 SDOT/UDOT

    /// The features of this process's CPU, detected on first use.
    static const cpu_features& get() noexcept
    {
        static const cpu_features f = detect();
        return f;
    }

    /// Can kernels compiled for `a` run here?
    bool supports(arch_id a) const noexcept
    {
        switch (a) {
        case arch_id::scalar: return true;
        case arch_id::sse4_2: return sse4_2;
        case arch_id::avx2: return avx2 && fma && avx;
        case arch_id::avx512:
            return avx512f && avx512cd && avx512bw && avx512dq && avx512vl && fma && avx2 && avx;
        case arch_id::neon64: return neon;
        }
        return false;
    }

    static cpu_features detect() noexcept
    {
        cpu_features f;
#if FINEGRAIN_X86_64 && (defined(__GNUC__) || defined(__clang__))
        unsigned a = 0, b = 0, c = 0, d = 0;
        const unsigned max_leaf = __get_cpuid_max(0, nullptr);
        if (max_leaf >= 1 && __get_cpuid(1, &a, &b, &c, &d)) {
            f.sse4_2 = (c >> 20) & 1u;
            f.fma = (c >> 12) & 1u;
            const bool osxsave = (c >> 27) & 1u;
            const bool cpu_avx = (c >> 28) & 1u;
            std::uint64_t xcr0 = 0;
            if (osxsave) {
                unsigned lo = 0, hi = 0;
                __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
                xcr0 = (std::uint64_t(hi) << 32) | lo;
            }
            const bool os_avx = (xcr0 & 0x6u) == 0x6u;        // XMM and YMM state
            const bool os_avx512 = (xcr0 & 0xe6u) == 0xe6u;   // + opmask, ZMM_Hi256, Hi16_ZMM
            f.avx = cpu_avx && os_avx;
            f.fma = f.fma && f.avx;
            if (max_leaf >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
                f.avx2 = f.avx && ((b >> 5) & 1u);
                if (os_avx512) {
                    f.avx512f = (b >> 16) & 1u;
                    f.avx512dq = (b >> 17) & 1u;
                    f.avx512cd = (b >> 28) & 1u;
                    f.avx512bw = (b >> 30) & 1u;
                    f.avx512vl = (b >> 31) & 1u;
                    f.avx512vnni = (c >> 11) & 1u;
                }
            }
        }
#elif FINEGRAIN_AARCH64
        f.neon = true;  // Advanced SIMD is mandatory in ARMv8-A
#endif
        return f;
    }
};

} // namespace simd
} // namespace finegrain
