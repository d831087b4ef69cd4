// SPDX-License-Identifier: BSD-3-Clause
// Integer helpers xsimd 8.1 lacks: widening loads, the int16 pair dot product (madd) and
// lane masks from bit fields. One overload per SIMD arch tag, each a template selected by
// Arch::id (the requires-arch pattern), so an arch's intrinsics are only ever instantiated in
// code built for that arch. The scalar tag has no overloads: integer kernels take a plain
// loop path for it (their scalar fallback).
//
//   L = lanes_of<int32_t, Arch>() int32 lanes; a "chunk" is 2L columns = lanes_of<int16_t, Arch>().
//   load_widen_i16(p)   2L int16 lanes from 2L uint8 / int8 values
//   load_widen_i32(p)   L int32 lanes from L uint8 / int8 / uint16 values
//   interleave_i16(a, b, lo, hi)   (a0 b0 a1 b1 ...) pairs for the first and second L dot2 results
//   dot2(pairs, xpair)  L int32 lanes: a_j*x1 + b_j*x2, with xpair = x1 | x2 << 16 (int16 each)
//   dot2_output_of_position<Arch>(p)  which output of its chunk stored position p feeds after
//                       interleave + dot2 (x86 unpacks within 128-bit lanes): weights are
//                       stored permuted so that lo holds outputs 0..L-1 and hi outputs L..2L-1
//   lane_mask(bits)     L int32 lanes, all ones where bit j of `bits` is set
//   apply_sign_mask(v, mask)  negate the int32 lanes where mask is all ones
//   or_fragments_u16x8(p)  avx2 only: the OR of each of 8 fragments of 8 uint16 (128 bytes at
//                       p), folded to 16 bits, as int32 lanes 0..7 (the zero-skip statistics)
//   store_u8x8(v, dst)  avx2 only: the low bytes of 8 int32 lanes (values 0..255) to dst[0..7]
//   bit_stats_x16<Words, Bits>(p, len, zeros)  avx2 only: for 16 fragments of Words 64-bit
//                       words of uint16 (Bits = 16) or uint8 (Bits = 8) values (Words = 1, 2 or
//                       4; fragment f at p + 8*Words*f): len[f] = bit length of the fragment's
//                       OR, zeros[f] = Bits - popcount(OR)
//   table16(p)          the 16 bytes at p in every 128-bit lane (a pshufb / tbl table)
//   lookup16(table, idx) per byte: the byte of its 128-bit lane of `table` at idx (idx < 16)
//   nibble_column_of_position<Arch>(p)  which column of its block of B = nibble_block<Arch>()
//                       columns stored byte p feeds after lookup16 + two zip stages (x86 zips
//                       work inside 128-bit lanes): the sign nibbles are stored permuted so the
//                       four int32 results hold columns [0, L), [L, 2L), [2L, 3L), [3L, 4L)
//   nonzero_lanes(p)    x86 only: bit j set where float p[j] != 0 (j < lanes_of<float, Arch>();
//                       NaN counts as non-zero, -0 as zero, as the scalar compare)
//   nonzero_bytes(p)    x86 only: bit j set where uint8 p[j] != 0, j < nonzero_bytes_width<Arch>()
//                       (16 on sse4_2, 32 on avx2 and avx512)
//   interleave_u8x4(r, q)  avx512 only: 64 bytes of each of 4 rows r[0..3] as 4 vectors of 16
//                       int32 lanes holding (r0, r1, r2, r3) bytes: lane 4j + i of q[v] is stored
//                       position 16j + 4v + i (x86 unpacks work inside 128-bit lanes; rows stored
//                       permuted by quad_column_of_position<Arch> put column 16v + 4j + i there)
//   interleave_u8x4_x16(r0, r1, r2, r3, out)  avx512 only: 16 bytes of each of 4 rows as 16
//                       int32 quads in order (out[j] = r0[j] | r1[j] << 8 | r2[j] << 16 | r3[j] << 24)
//   dot4_u8s8(acc, x, w)  avx512 + VNNI (FINEGRAIN_TARGET_VNNI; plans check simd::vnni_runnable()):
//                       acc + the sum of the 4 uint8 x int8 byte products of each int32 lane
//                       (vpdpbusd: exact, wraps; x the uint8 side)
// Loads read exactly the bytes of their lanes (no over-read).
#pragma once

#include <cstdint>
#include <type_traits>

#include "finegrain/core/config.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/simd/arch.hpp"
#include "finegrain/simd/batch.hpp"

#if FINEGRAIN_X86_64
#include <immintrin.h>
#endif
#if FINEGRAIN_AARCH64
#include <arm_neon.h>
#endif

namespace finegrain {
namespace simd {

template <class Arch, arch_id Id>
using if_arch = std::enable_if_t<Arch::id == Id, int>;

template <class Arch>
constexpr index_t dot2_output_of_position(index_t p) noexcept
{
    constexpr index_t L = static_cast<index_t>(lanes_of<std::int32_t, Arch>());
    if (Arch::id == arch_id::neon64 || Arch::id == arch_id::scalar) return p;
    const index_t lane = p / 8, i = p % 8;  // unpacklo/hi work inside 128-bit lanes of 8 int16
    return i < 4 ? 4 * lane + i : L + 4 * lane + (i - 4);
}

/// Columns per block of the sign nibbles: one byte per column, a vector of bytes per block.
template <class Arch>
constexpr index_t nibble_block() noexcept
{
    return Arch::register_bytes == 0 ? 16 : static_cast<index_t>(Arch::register_bytes);
}

template <class Arch>
constexpr index_t nibble_column_of_position(index_t p) noexcept
{
    // Byte p = 16q + 4r + i (128-bit lane q) ends in int32 result r, lane 4q + i.
    constexpr index_t L = nibble_block<Arch>() / 4;
    return (p % 16) / 4 * L + (p / 16) * 4 + p % 4;
}

/// Which column of its 64-column block stored byte p feeds in the VNNI quad kernel: x86 unpacks
/// work inside 128-bit lanes, so byte p = 16j + 4a + i lands in int32 vector a, lane 4j + i.
/// Identity where no quad kernel runs (every arch but avx512).
template <class Arch>
constexpr index_t quad_column_of_position(index_t p) noexcept
{
    if (Arch::id != arch_id::avx512) return p;
    return (p % 16) / 4 * 16 + (p / 16) * 4 + p % 4;
}

template <class Arch>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> apply_sign_mask(const batch<std::int32_t, Arch>& v,
                                                                   const batch<std::int32_t, Arch>& mask) noexcept
{
    return (v ^ mask) - mask;  // two's complement negation where mask is all ones
}

#if FINEGRAIN_X86_64
// ---- sse4_2 -----------------------------------------------------------------------------------
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::uint8_t* p) noexcept
{
    return _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::int8_t* p) noexcept
{
    return _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint8_t* p) noexcept
{
    int t;
    __builtin_memcpy(&t, p, 4);
    return _mm_cvtepu8_epi32(_mm_cvtsi32_si128(t));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::int8_t* p) noexcept
{
    int t;
    __builtin_memcpy(&t, p, 4);
    return _mm_cvtepi8_epi32(_mm_cvtsi32_si128(t));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint16_t* p) noexcept
{
    return _mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE void interleave_i16(const batch<std::int16_t, Arch>& a, const batch<std::int16_t, Arch>& b,
                                            batch<std::int16_t, Arch>& lo, batch<std::int16_t, Arch>& hi) noexcept
{
    lo = _mm_unpacklo_epi16(a, b);
    hi = _mm_unpackhi_epi16(a, b);
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> dot2(const batch<std::int16_t, Arch>& pairs,
                                                       const batch<std::int32_t, Arch>& xpair) noexcept
{
    return _mm_madd_epi16(pairs, xpair);
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> lane_mask(std::uint32_t bits) noexcept
{
    const __m128i sel = _mm_setr_epi32(1, 2, 4, 8);
    return _mm_cmpeq_epi32(_mm_and_si128(_mm_set1_epi32(static_cast<int>(bits)), sel), sel);
}

template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> table16(const std::uint8_t* p) noexcept
{
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> lookup16(const batch<std::uint8_t, Arch>& table,
                                                           const batch<std::uint8_t, Arch>& idx) noexcept
{
    return _mm_shuffle_epi8(table, idx);
}

template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE std::uint32_t nonzero_lanes(const float* p) noexcept
{
    return static_cast<std::uint32_t>(_mm_movemask_ps(_mm_cmpneq_ps(_mm_loadu_ps(p), _mm_setzero_ps())));
}
template <class Arch, if_arch<Arch, arch_id::sse4_2> = 0>
FINEGRAIN_ALWAYS_INLINE std::uint32_t nonzero_bytes(const std::uint8_t* p) noexcept
{
    const __m128i zero = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_setzero_si128());
    return ~static_cast<std::uint32_t>(_mm_movemask_epi8(zero)) & 0xffffu;
}

// ---- avx512 (+ VNNI) ---------------------------------------------------------------------------
/// Functions that use VNNI carry this (GCC adds it to the TU's AVX-512 flags): plans run them
/// only where simd::vnni_runnable().
#define FINEGRAIN_TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE void interleave_u8x4(const batch<std::uint8_t, Arch> (&r)[4], batch<std::int32_t, Arch> (&q)[4]) noexcept
{
    const __m512i t0 = _mm512_unpacklo_epi8(r[0], r[1]), t1 = _mm512_unpackhi_epi8(r[0], r[1]);
    const __m512i t2 = _mm512_unpacklo_epi8(r[2], r[3]), t3 = _mm512_unpackhi_epi8(r[2], r[3]);
    q[0] = _mm512_unpacklo_epi16(t0, t2);
    q[1] = _mm512_unpackhi_epi16(t0, t2);
    q[2] = _mm512_unpacklo_epi16(t1, t3);
    q[3] = _mm512_unpackhi_epi16(t1, t3);
}
/// 16 bytes of each of 4 rows r0..r3 as 16 int32 (r0, r1, r2, r3) quads in order: out[j] =
/// r0[j] | r1[j] << 8 | r2[j] << 16 | r3[j] << 24 (unaligned loads and stores).
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE void interleave_u8x4_x16(const std::uint8_t* r0, const std::uint8_t* r1, const std::uint8_t* r2,
                                                 const std::uint8_t* r3, std::int32_t* out) noexcept
{
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0)), b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r1));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r2)), d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r3));
    const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
    const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi16(ab0, cd0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_unpackhi_epi16(ab0, cd0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpacklo_epi16(ab1, cd1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm_unpackhi_epi16(ab1, cd1));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_TARGET_VNNI inline batch<std::int32_t, Arch> dot4_u8s8(const batch<std::int32_t, Arch>& acc, const batch<std::int32_t, Arch>& x,
                                                                 const batch<std::int32_t, Arch>& w) noexcept
{
    return _mm512_dpbusd_epi32(acc, x, w);
}

// ---- avx2 -------------------------------------------------------------------------------------
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE std::uint32_t nonzero_lanes(const float* p) noexcept
{
    return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p), _mm256_setzero_ps(), _CMP_NEQ_UQ)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE std::uint32_t nonzero_bytes(const std::uint8_t* p) noexcept
{
    const __m256i zero = _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_setzero_si256());
    return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(zero));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::uint8_t* p) noexcept
{
    return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::int8_t* p) noexcept
{
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint8_t* p) noexcept
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::int8_t* p) noexcept
{
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint16_t* p) noexcept
{
    return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> table16(const std::uint8_t* p) noexcept
{
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> lookup16(const batch<std::uint8_t, Arch>& table,
                                                           const batch<std::uint8_t, Arch>& idx) noexcept
{
    return _mm256_shuffle_epi8(table, idx);
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE void interleave_i16(const batch<std::int16_t, Arch>& a, const batch<std::int16_t, Arch>& b,
                                            batch<std::int16_t, Arch>& lo, batch<std::int16_t, Arch>& hi) noexcept
{
    lo = _mm256_unpacklo_epi16(a, b);
    hi = _mm256_unpackhi_epi16(a, b);
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> dot2(const batch<std::int16_t, Arch>& pairs,
                                                       const batch<std::int32_t, Arch>& xpair) noexcept
{
    return _mm256_madd_epi16(pairs, xpair);
}
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> lane_mask(std::uint32_t bits) noexcept
{
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), sel), sel);
}

template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> or_fragments_u16x8(const unsigned char* p) noexcept
{
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));       // fragments 0, 1
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));  // 2, 3
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64));  // 4, 5
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 96));  // 6, 7
    __m256i ab = _mm256_or_si256(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));  // qwords f0 f2 f1 f3
    __m256i cd = _mm256_or_si256(_mm256_unpacklo_epi64(c, d), _mm256_unpackhi_epi64(c, d));  // f4 f6 f5 f7
    ab = _mm256_or_si256(ab, _mm256_srli_epi64(ab, 32));
    cd = _mm256_or_si256(cd, _mm256_srli_epi64(cd, 32));
    __m256i m = _mm256_blend_epi32(ab, _mm256_slli_epi64(cd, 32), 0xAA);  // dwords f0 f4 f2 f6 f1 f5 f3 f7
    m = _mm256_and_si256(_mm256_or_si256(m, _mm256_srli_epi32(m, 16)), _mm256_set1_epi32(0xffff));
    return _mm256_permutevar8x32_epi32(m, _mm256_setr_epi32(0, 4, 2, 6, 1, 5, 3, 7));
}

template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE void store_u8x8(const batch<std::int32_t, Arch>& v, std::uint8_t* dst) noexcept
{
    __m256i p = _mm256_packus_epi32(v, v);  // per 128-bit lane: 4 words, twice
    p = _mm256_packus_epi16(p, p);          // per lane: 4 bytes, 4 times
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(p));
}

template <int Words, int Bits, class Arch, if_arch<Arch, arch_id::avx2> = 0>
FINEGRAIN_ALWAYS_INLINE void bit_stats_x16(const unsigned char* p, std::uint8_t* len, std::uint8_t* zeros) noexcept
{
    static_assert(Words == 1 || Words == 2 || Words == 4, "fragments of 1, 2 or 4 64-bit words");
    static_assert(Bits == 8 || Bits == 16, "uint8 or uint16 values");
    auto half = [&](int f, int w) {  // one word: the upper 8 bytes are zero (no over-read)
        const __m128i* q = reinterpret_cast<const __m128i*>(p + 8 * Words * f + 16 * w);
        if constexpr (Words == 1) return _mm_loadl_epi64(q);
        else return _mm_loadu_si128(q);
    };
    // a[j]: fragment j in the low 128-bit lane, j + 8 in the high one (pre-ORed to 8 words).
    __m256i a[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
        __m128i lo = half(j, 0), hi = half(j + 8, 0);
        if constexpr (Words == 4) {
            lo = _mm_or_si128(lo, half(j, 1));
            hi = _mm_or_si128(hi, half(j + 8, 1));
        }
        a[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
    }
    // OR tree by unpacks: words then hold the ORs of fragments 0..7 (low lane) and 8..15 (high).
    __m256i x[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
        x[j] = _mm256_or_si256(_mm256_unpacklo_epi16(a[2 * j], a[2 * j + 1]), _mm256_unpackhi_epi16(a[2 * j], a[2 * j + 1]));
    const __m256i u0 = _mm256_or_si256(_mm256_unpacklo_epi32(x[0], x[1]), _mm256_unpackhi_epi32(x[0], x[1]));
    const __m256i u1 = _mm256_or_si256(_mm256_unpacklo_epi32(x[2], x[3]), _mm256_unpackhi_epi32(x[2], x[3]));
    __m256i v = _mm256_or_si256(_mm256_unpacklo_epi64(u0, u1), _mm256_unpackhi_epi64(u0, u1));
    if constexpr (Bits == 8)  // each word holds the ORs of the even and the odd bytes: fold them
        v = _mm256_and_si256(_mm256_or_si256(v, _mm256_srli_epi16(v, 8)), _mm256_set1_epi16(0x00ff));
    // Per byte, by nibble lookups: bit length (high nibble +4) and popcount.
    const __m256i nib = _mm256_set1_epi8(0x0f), low_byte = _mm256_set1_epi16(0x00ff);
    const __m256i n0 = _mm256_and_si256(v, nib), n1 = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
    const __m256i len_lo = _mm256_setr_epi8(0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4);
    const __m256i len_hi = _mm256_setr_epi8(0, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 0, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8);
    const __m256i pop = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    __m256i bl = _mm256_max_epu8(_mm256_shuffle_epi8(len_lo, n0), _mm256_shuffle_epi8(len_hi, n1));
    // Words: the high byte's length counts 8 more when non-zero; the larger byte wins.
    bl = _mm256_add_epi8(bl, _mm256_and_si256(_mm256_cmpgt_epi8(bl, _mm256_setzero_si256()), _mm256_set1_epi16(0x0800)));
    bl = _mm256_max_epi16(_mm256_and_si256(bl, low_byte), _mm256_srli_epi16(bl, 8));
    const __m256i cb = _mm256_add_epi8(_mm256_shuffle_epi8(pop, n0), _mm256_shuffle_epi8(pop, n1));
    const __m256i cnt = _mm256_add_epi16(_mm256_and_si256(cb, low_byte), _mm256_srli_epi16(cb, 8));
    const __m256i zp = _mm256_sub_epi16(_mm256_set1_epi16(Bits), cnt);
    // Bytes: (len 0..7, zeros 0..7 | len 8..15, zeros 8..15) -> (len 0..15 | zeros 0..15).
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(bl, zp), 0xD8);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(len), _mm256_castsi256_si128(packed));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(zeros), _mm256_extracti128_si256(packed, 1));
}

// ---- avx512 -----------------------------------------------------------------------------------
// nonzero_lanes / nonzero_bytes are the avx2 ones (compares + movemask), never a k register:
// GCC 12 spills a 16-bit k mask with kmovw and reloads it as 32 bits when the mask lives across
// calls (seen under ThreadSanitizer, Zen 5: the upper 16 bits came from the stack, and the
// zero-skip list read past its input).
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE std::uint32_t nonzero_lanes(const float* p) noexcept
{
    return nonzero_lanes<avx2>(p) | nonzero_lanes<avx2>(p + 8) << 8;
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE std::uint32_t nonzero_bytes(const std::uint8_t* p) noexcept
{
    return nonzero_bytes<avx2>(p);
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::uint8_t* p) noexcept
{
    return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::int8_t* p) noexcept
{
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint8_t* p) noexcept
{
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::int8_t* p) noexcept
{
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint16_t* p) noexcept
{
    return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> table16(const std::uint8_t* p) noexcept
{
    return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> lookup16(const batch<std::uint8_t, Arch>& table,
                                                           const batch<std::uint8_t, Arch>& idx) noexcept
{
    return _mm512_shuffle_epi8(table, idx);
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE void interleave_i16(const batch<std::int16_t, Arch>& a, const batch<std::int16_t, Arch>& b,
                                            batch<std::int16_t, Arch>& lo, batch<std::int16_t, Arch>& hi) noexcept
{
    lo = _mm512_unpacklo_epi16(a, b);
    hi = _mm512_unpackhi_epi16(a, b);
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> dot2(const batch<std::int16_t, Arch>& pairs,
                                                       const batch<std::int32_t, Arch>& xpair) noexcept
{
    return _mm512_madd_epi16(pairs, xpair);
}
template <class Arch, if_arch<Arch, arch_id::avx512> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> lane_mask(std::uint32_t bits) noexcept
{
    return _mm512_movm_epi32(static_cast<__mmask16>(bits));
}
#else
// x86-only helpers, declared everywhere so that kernels may name them in discarded
// `if constexpr (Arch::id == arch_id::avx2)` branches; never defined or used off x86.
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
batch<std::int32_t, Arch> or_fragments_u16x8(const unsigned char* p) noexcept;
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
void store_u8x8(const batch<std::int32_t, Arch>& v, std::uint8_t* dst) noexcept;
template <int Words, int Bits, class Arch, if_arch<Arch, arch_id::avx2> = 0>
void bit_stats_x16(const unsigned char* p, std::uint8_t* len, std::uint8_t* zeros) noexcept;
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
std::uint32_t nonzero_lanes(const float* p) noexcept;
template <class Arch, if_arch<Arch, arch_id::avx2> = 0>
std::uint32_t nonzero_bytes(const std::uint8_t* p) noexcept;
#endif  // FINEGRAIN_X86_64

/// Bytes tested by one nonzero_bytes call.
template <class Arch>
constexpr index_t nonzero_bytes_width() noexcept
{
    return Arch::id == arch_id::sse4_2 ? 16 : 32;
}

#if FINEGRAIN_AARCH64
// ---- neon64 -----------------------------------------------------------------------------------
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::uint8_t* p) noexcept
{
    return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int16_t, Arch> load_widen_i16(const std::int8_t* p) noexcept
{
    return vmovl_s8(vld1_s8(p));
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint8_t* p) noexcept
{
    std::uint32_t t;
    __builtin_memcpy(&t, p, 4);
    return vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(t))))));
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::int8_t* p) noexcept
{
    std::uint32_t t;
    __builtin_memcpy(&t, p, 4);
    return vmovl_s16(vget_low_s16(vmovl_s8(vreinterpret_s8_u32(vdup_n_u32(t)))));
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> load_widen_i32(const std::uint16_t* p) noexcept
{
    return vreinterpretq_s32_u32(vmovl_u16(vld1_u16(p)));
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> table16(const std::uint8_t* p) noexcept
{
    return vld1q_u8(p);
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::uint8_t, Arch> lookup16(const batch<std::uint8_t, Arch>& table,
                                                           const batch<std::uint8_t, Arch>& idx) noexcept
{
    return vqtbl1q_u8(table, idx);
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE void interleave_i16(const batch<std::int16_t, Arch>& a, const batch<std::int16_t, Arch>& b,
                                            batch<std::int16_t, Arch>& lo, batch<std::int16_t, Arch>& hi) noexcept
{
    lo = vzip1q_s16(a, b);
    hi = vzip2q_s16(a, b);
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> dot2(const batch<std::int16_t, Arch>& pairs,
                                                       const batch<std::int32_t, Arch>& xpair) noexcept
{
    const int16x8_t p = pairs, x = vreinterpretq_s16_s32(xpair);
    return vpaddq_s32(vmull_s16(vget_low_s16(p), vget_low_s16(x)), vmull_high_s16(p, x));
}
template <class Arch, if_arch<Arch, arch_id::neon64> = 0>
FINEGRAIN_ALWAYS_INLINE batch<std::int32_t, Arch> lane_mask(std::uint32_t bits) noexcept
{
    const uint32x4_t sel = {1u, 2u, 4u, 8u};
    return vreinterpretq_s32_u32(vtstq_u32(vdupq_n_u32(bits), sel));
}
#endif  // FINEGRAIN_AARCH64

/// Bit length of each lane (index of the highest set bit + 1; 0 for 0) for int32 lanes in
/// [0, 2^24), read from the exponent of the exact float conversion.
template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> bit_length_small(const xsimd::batch<T, A>& v) noexcept
{
    using I = xsimd::batch<T, A>;
    const I e = xsimd::bitwise_cast<I>(xsimd::batch_cast<float>(v)) >> 23;
    return xsimd::max(e - I(126), I(0));
}

} // namespace simd
} // namespace finegrain
