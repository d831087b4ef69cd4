// SPDX-License-Identifier: BSD-3-Clause
// simd::madd_pairs(a, b): the 16-bit integer dot-product step xsimd 8.1 lacks. For int16 lanes
// a and b it returns int32 lanes r[i] = a[2i] b[2i] + a[2i+1] b[2i+1] (x86 pmaddwd; NEON
// smull + pairwise add). Exact: each product fits int32 and so does the pair sum unless both
// pairs are (-32768)^2. One overload per SIMD arch; the scalar tag has no pairs (kernels branch).
// broadcast_pair_i16<Arch>(p): the int16 lanes (p & 0xFFFF, p >> 16) repeated.
#pragma once

#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "finegrain/simd/batch.hpp"

#if FINEGRAIN_X86_64
#include <immintrin.h>
#endif
#if FINEGRAIN_AARCH64
#include <arm_neon.h>
#endif

namespace finegrain {
namespace simd {

#if FINEGRAIN_X86_64
template <class A, std::enable_if_t<std::is_base_of<xsimd::sse2, A>::value && !std::is_base_of<xsimd::avx, A>::value, int> = 0>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<std::int32_t, A> madd_pairs(const xsimd::batch<std::int16_t, A>& a,
                                                                 const xsimd::batch<std::int16_t, A>& b) noexcept
{
    return _mm_madd_epi16(a, b);
}
template <class A, std::enable_if_t<std::is_base_of<xsimd::avx2, A>::value && !std::is_base_of<xsimd::avx512f, A>::value, int> = 0>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<std::int32_t, A> madd_pairs(const xsimd::batch<std::int16_t, A>& a,
                                                                 const xsimd::batch<std::int16_t, A>& b) noexcept
{
    return _mm256_madd_epi16(a, b);
}
template <class A, std::enable_if_t<std::is_base_of<xsimd::avx512bw, A>::value, int> = 0>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<std::int32_t, A> madd_pairs(const xsimd::batch<std::int16_t, A>& a,
                                                                 const xsimd::batch<std::int16_t, A>& b) noexcept
{
    return _mm512_madd_epi16(a, b);
}
#endif

#if FINEGRAIN_AARCH64
template <class A, std::enable_if_t<std::is_base_of<xsimd::neon64, A>::value, int> = 0>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<std::int32_t, A> madd_pairs(const xsimd::batch<std::int16_t, A>& a,
                                                                 const xsimd::batch<std::int16_t, A>& b) noexcept
{
    const int16x8_t va = a, vb = b;
    const int32x4_t lo = vmull_s16(vget_low_s16(va), vget_low_s16(vb));
    const int32x4_t hi = vmull_high_s16(va, vb);
    return vpaddq_s32(lo, hi);
}
#endif

/// int16 lanes holding the pair (lo, hi) = the two halves of `pair`, repeated: the broadcast
/// operand of madd_pairs. Arch is a finegrain SIMD tag.
template <class Arch>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> broadcast_pair_i16(std::int32_t pair) noexcept
{
    return xsimd::bitwise_cast<batch<std::int16_t, Arch>>(batch<std::int32_t, Arch>(pair));
}

} // namespace simd
} // namespace finegrain
