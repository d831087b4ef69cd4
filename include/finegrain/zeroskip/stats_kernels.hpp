// SPDX-License-Identifier: BSD-3-Clause
// Zero-skip bit statistics of an input vector: what a crossbar with bit-serial inputs can skip.
//
// stats_kernels<Arch>::bit_stats_u8 / bit_stats_u16
//   Computes: for each fragment f of m consecutive inputs (the last one shorter when m does
//             not divide k): bitlen[f] = bit length of the fragment's largest value (0 when all
//             are zero), zero_planes[f] = bit planes b < 8 (16) in which every value has a 0.
//   Method:   bitlen(max) == bitlen(OR) for unsigned values, and the zero planes are the zero
//             bits of the OR, so one OR per fragment answers both (no max, no compare).
//             m = 4, 8, 16 (u16) and 8, 16 (u8) OR whole 64-bit words; SIMD archs then find bit
//             lengths and popcounts a vector of fragments at a time (float exponent, SWAR).
//             AVX2 (u16 m = 4, 8, 16; u8 m = 8, 16): 16 fragments per step, ORed by an unpack
//             tree, bit lengths and popcounts by nibble lookups (pshufb), stored as bytes.
//   Preconds: k >= 1, m >= 1. Reads exactly k values.
#pragma once

#include <cstdint>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"
#include "finegrain/simd/int_ops.hpp"

namespace finegrain {
namespace zeroskip {

template <class Arch>
struct stats_kernels {
    static void bit_stats_u8(const std::uint8_t* x, index_t k, index_t m, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept;
    static void bit_stats_u16(const std::uint16_t* x, index_t k, index_t m, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept;

private:
    template <class T>
    static void generic(const T* x, index_t k, index_t m, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept;
    template <int Words>
    static index_t words(const unsigned char* p, index_t fragments, int bits, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept;
    static std::uint64_t fold(const unsigned char* p, int words, int bits) noexcept;
    static void finish(std::uint32_t ors, int bits, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept;
};

template <class Arch>
void stats_kernels<Arch>::finish(std::uint32_t ors, int bits, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept
{
    *bitlen = static_cast<std::uint8_t>(ors ? 32 - __builtin_clz(ors) : 0);
    *zero_planes = static_cast<std::uint8_t>(bits - __builtin_popcount(ors));
}

template <class Arch>
template <class T>
void stats_kernels<Arch>::generic(const T* x, index_t k, index_t m, std::uint8_t* bitlen, std::uint8_t* zero_planes) noexcept
{
    for (index_t f = 0, i0 = 0; i0 < k; ++f, i0 += m) {
        const index_t i1 = k - i0 < m ? k : i0 + m;
        std::uint32_t ors = 0;
        for (index_t i = i0; i < i1; ++i) ors |= x[i];
        finish(ors, int(8 * sizeof(T)), bitlen + f, zero_planes + f);
    }
}

// OR of `words` 64-bit words at p, folded to the low `bits` bits.
template <class Arch>
std::uint64_t stats_kernels<Arch>::fold(const unsigned char* p, int words, int bits) noexcept
{
    std::uint64_t o = 0;
    for (int i = 0; i < words; ++i) {
        std::uint64_t t;
        __builtin_memcpy(&t, p + 8 * i, 8);
        o |= t;
    }
    o |= o >> 32;
    o |= o >> 16;
    if (bits == 8) o |= o >> 8;
    return o & (bits == 16 ? 0xffffu : 0xffu);
}

// Fragments of Words 64-bit words each: OR the words, fold to the value width, then bit length
// and popcount. Returns the fragments done (all of them).
template <class Arch>
template <int Words>
index_t stats_kernels<Arch>::words(const unsigned char* p, index_t fragments, int bits, std::uint8_t* bitlen,
                                   std::uint8_t* zero_planes) noexcept
{
    constexpr index_t V = static_cast<index_t>(simd::lanes_of<std::int32_t, Arch>());
    index_t f = 0;
    if constexpr (Arch::id != simd::arch_id::scalar) {
        // V fragments at a time: ORs as int32 lanes, bit length from the float exponent,
        // popcount by SWAR on the 16-bit values.
        using I = simd::batch<std::int32_t, Arch>;
        alignas(64) std::int32_t ors[V];
        alignas(64) std::int32_t len[V], cnt[V];
        if constexpr (Arch::id == simd::arch_id::avx2) {
            if (bits == 16)
                for (; f + 16 <= fragments; f += 16) simd::bit_stats_x16<Words, 16, Arch>(p + f * Words * 8, bitlen + f, zero_planes + f);
            else
                for (; f + 16 <= fragments; f += 16) simd::bit_stats_x16<Words, 8, Arch>(p + f * Words * 8, bitlen + f, zero_planes + f);
        }
        for (; f + V <= fragments; f += V) {
            I v;
            if constexpr (Arch::id == simd::arch_id::avx2 && Words == 2) {
                if (bits == 16) {
                    v = simd::or_fragments_u16x8<Arch>(p + f * 16);
                } else {
                    for (index_t j = 0; j < V; ++j) ors[j] = static_cast<std::int32_t>(fold(p + (f + j) * Words * 8, Words, bits));
                    v = I::load_aligned(ors);
                }
            } else {
#pragma GCC unroll 16
                for (index_t j = 0; j < V; ++j) ors[j] = static_cast<std::int32_t>(fold(p + (f + j) * Words * 8, Words, bits));
                v = I::load_aligned(ors);
            }
            const I lens = simd::bit_length_small(v);
            I c = (v & I(0x5555)) + ((v >> 1) & I(0x5555));
            c = (c & I(0x3333)) + ((c >> 2) & I(0x3333));
            c = (c & I(0x0f0f)) + ((c >> 4) & I(0x0f0f));
            c = (c & I(0x00ff)) + (c >> 8);
            const I zeros = I(bits) - c;
            if constexpr (Arch::id == simd::arch_id::avx2) {
                simd::store_u8x8<Arch>(lens, bitlen + f);
                simd::store_u8x8<Arch>(zeros, zero_planes + f);
            } else {
                lens.store_aligned(len);
                zeros.store_aligned(cnt);
#pragma GCC unroll 16
                for (index_t j = 0; j < V; ++j) {
                    bitlen[f + j] = static_cast<std::uint8_t>(len[j]);
                    zero_planes[f + j] = static_cast<std::uint8_t>(cnt[j]);
                }
            }
        }
    }
    for (; f < fragments; ++f)
        finish(static_cast<std::uint32_t>(fold(p + f * Words * 8, Words, bits)), bits, bitlen + f, zero_planes + f);
    return fragments;
}

template <class Arch>
void stats_kernels<Arch>::bit_stats_u16(const std::uint16_t* x, index_t k, index_t m, std::uint8_t* bitlen,
                                        std::uint8_t* zero_planes) noexcept
{
    const index_t whole = (m == 4 || m == 8 || m == 16) ? k / m : 0;
    const unsigned char* w = reinterpret_cast<const unsigned char*>(x);
    index_t done = 0;
    if (whole > 0) {
        if (m == 4) done = words<1>(w, whole, 16, bitlen, zero_planes);
        if (m == 8) done = words<2>(w, whole, 16, bitlen, zero_planes);
        if (m == 16) done = words<4>(w, whole, 16, bitlen, zero_planes);
    }
    generic(x + done * m, k - done * m, m, bitlen + done, zero_planes + done);
}

template <class Arch>
void stats_kernels<Arch>::bit_stats_u8(const std::uint8_t* x, index_t k, index_t m, std::uint8_t* bitlen,
                                       std::uint8_t* zero_planes) noexcept
{
    const index_t whole = (m == 8 || m == 16) ? k / m : 0;
    const unsigned char* w = reinterpret_cast<const unsigned char*>(x);
    index_t done = 0;
    if (whole > 0) {
        if (m == 8) done = words<1>(w, whole, 8, bitlen, zero_planes);
        if (m == 16) done = words<2>(w, whole, 8, bitlen, zero_planes);
    }
    generic(x + done * m, k - done * m, m, bitlen + done, zero_planes + done);
}

} // namespace zeroskip
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::zeroskip::stats_kernels)
