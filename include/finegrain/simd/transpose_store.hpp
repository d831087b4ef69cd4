// SPDX-License-Identifier: BSD-3-Clause
// store_transposed<Arch, P>(v, dst): P vectors of L float lanes stored as L rows of P floats,
//   dst[f][i] = lane f of v[i]   (f < L, i < P; dst[f] need no alignment, rows may be anywhere).
// A register tile that keeps L output channels in the lanes and P pixels in P vectors writes
// each channel's P consecutive pixels this way. avx2 with P = 6: in-register transpose
// (6 unpacks + 4 shuffles) and 8 16-byte + 8 8-byte stores, instead of 48 scalar stores through
// a stack copy. avx512, each 4 pixels: 4 x 4 transposes inside the 128-bit lanes (4 unpacks + 4
// shuffles) and 16 16-byte stores, instead of 64 scalar stores; the last P % 4 pixels and every
// other arch and P: the stack copy and scalar stores. Writes exactly the L x P floats (no
// over-write).
#pragma once

#include "finegrain/core/config.hpp"
#include "finegrain/simd/arch.hpp"
#include "finegrain/simd/batch.hpp"

#if FINEGRAIN_X86_64
#include <immintrin.h>
#endif

namespace finegrain {
namespace simd {

template <class Arch, int P>
FINEGRAIN_ALWAYS_INLINE void store_transposed(const batch<float, Arch> (&v)[P], float* const* dst) noexcept
{
    constexpr int L = static_cast<int>(lanes_of<float, Arch>());
#if FINEGRAIN_X86_64
    if constexpr (Arch::id == arch_id::avx2 && P == 6) {
        const __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]);  // lanes (0 1 | 4 5) x pixels 0 1
        const __m256 t1 = _mm256_unpackhi_ps(v[0], v[1]);  // lanes (2 3 | 6 7) x pixels 0 1
        const __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]);
        const __m256 t3 = _mm256_unpackhi_ps(v[2], v[3]);
        const __m256 q0 = _mm256_shuffle_ps(t0, t2, 0x44);  // lane 0 | lane 4, pixels 0..3
        const __m256 q1 = _mm256_shuffle_ps(t0, t2, 0xEE);  // lane 1 | lane 5
        const __m256 q2 = _mm256_shuffle_ps(t1, t3, 0x44);  // lane 2 | lane 6
        const __m256 q3 = _mm256_shuffle_ps(t1, t3, 0xEE);  // lane 3 | lane 7
        const __m256 u0 = _mm256_unpacklo_ps(v[4], v[5]);   // lanes 0, 1 | 4, 5: pixels 4 5
        const __m256 u1 = _mm256_unpackhi_ps(v[4], v[5]);   // lanes 2, 3 | 6, 7
        const __m128 u0l = _mm256_castps256_ps128(u0), u1l = _mm256_castps256_ps128(u1);
        const __m128 u0h = _mm256_extractf128_ps(u0, 1), u1h = _mm256_extractf128_ps(u1, 1);
        _mm_storeu_ps(dst[0], _mm256_castps256_ps128(q0));
        _mm_storel_pi(reinterpret_cast<__m64*>(dst[0] + 4), u0l);
        _mm_storeu_ps(dst[1], _mm256_castps256_ps128(q1));
        _mm_storeh_pi(reinterpret_cast<__m64*>(dst[1] + 4), u0l);
        _mm_storeu_ps(dst[2], _mm256_castps256_ps128(q2));
        _mm_storel_pi(reinterpret_cast<__m64*>(dst[2] + 4), u1l);
        _mm_storeu_ps(dst[3], _mm256_castps256_ps128(q3));
        _mm_storeh_pi(reinterpret_cast<__m64*>(dst[3] + 4), u1l);
        _mm_storeu_ps(dst[4], _mm256_extractf128_ps(q0, 1));
        _mm_storel_pi(reinterpret_cast<__m64*>(dst[4] + 4), u0h);
        _mm_storeu_ps(dst[5], _mm256_extractf128_ps(q1, 1));
        _mm_storeh_pi(reinterpret_cast<__m64*>(dst[5] + 4), u0h);
        _mm_storeu_ps(dst[6], _mm256_extractf128_ps(q2, 1));
        _mm_storel_pi(reinterpret_cast<__m64*>(dst[6] + 4), u1h);
        _mm_storeu_ps(dst[7], _mm256_extractf128_ps(q3, 1));
        _mm_storeh_pi(reinterpret_cast<__m64*>(dst[7] + 4), u1h);
        return;
    }
    if constexpr (Arch::id == arch_id::avx512 && P >= 4) {
#pragma GCC unroll 4
        for (int i = 0; i + 4 <= P; i += 4) {
            // 128-bit lane k of q[j] = pixels i..i+3 of channel 4k + j.
            const __m512 t0 = _mm512_unpacklo_ps(v[i], v[i + 1]), t1 = _mm512_unpackhi_ps(v[i], v[i + 1]);
            const __m512 t2 = _mm512_unpacklo_ps(v[i + 2], v[i + 3]), t3 = _mm512_unpackhi_ps(v[i + 2], v[i + 3]);
            const __m512 q[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                                 _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE)};
#pragma GCC unroll 4
            for (int j = 0; j < 4; ++j) {
                _mm_storeu_ps(dst[j] + i, _mm512_castps512_ps128(q[j]));
                _mm_storeu_ps(dst[4 + j] + i, _mm512_extractf32x4_ps(q[j], 1));
                _mm_storeu_ps(dst[8 + j] + i, _mm512_extractf32x4_ps(q[j], 2));
                _mm_storeu_ps(dst[12 + j] + i, _mm512_extractf32x4_ps(q[j], 3));
            }
        }
        constexpr int done = P / 4 * 4;
        if constexpr (done < P) {
            alignas(64) float tmp[P - done][L];
            for (int i = done; i < P; ++i) v[i].store_aligned(tmp[i - done]);
            for (int f = 0; f < L; ++f)
                for (int i = done; i < P; ++i) dst[f][i] = tmp[i - done][f];
        }
        return;
    }
#endif
    alignas(64) float tmp[P][L];
    for (int i = 0; i < P; ++i) v[i].store_aligned(tmp[i]);
    for (int f = 0; f < L; ++f)
        for (int i = 0; i < P; ++i) dst[f][i] = tmp[i][f];
}

} // namespace simd
} // namespace finegrain
