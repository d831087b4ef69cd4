// SPDX-License-Identifier: BSD-3-Clause
// Output-channel-vectorised pattern-sparse 3x3 kernels for grouped patterns, templated on the
// architecture tag.
//
// Grouped projection (project(..., group = G)) makes G consecutive filters share their whole
// kernel list: per kept (input channel, pattern) the G filters' weights of one tap are G floats,
// i.e. G / L vectors (AVX2, G = 16: 2 vectors). The kernel keeps the G filters of one group in
// the vector lanes and P output pixels in registers (acc[P][G / L]; AVX2 16 x 6 = 12
// accumulators), broadcasts one input pixel per (tap, pixel) and FMAs it into the G / L weight
// vectors: per tap G / L weight loads + P broadcasts feed P * G / L FMAs. Inputs are single
// floats read straight from a zero-bordered NCHW image (no alignment needed, no tap planes);
// the whole kernel list is accumulated in registers (no channel blocking, no accumulator round
// trips), then bias + clamp and the G x P tile goes to the NCHW output: a tile of P pixels of one
// output row as one P-float row per filter (simd::store_transposed: avx2 transposes in
// registers), a tile crossing rows pixel by pixel.
//
// conv3x3_group_kernels<Arch>::select(g, sw, k) returns the rows function for group width g
// (8 or 16; null when g is not a multiple of the lanes), column stride sw (1 or 2) and k taps
// (K = 4 specialised, any other k in 1..9 generic). pixels(g) is the tile's pixel count P.
//
// rows function
//   Computes: for y in [y_begin, y_end), x < out_width, lanes f < G with out_channels[f] >= 0:
//               out[out_channels[f]][y][x] = clamp(bias[f] + sum over kernels j, taps t of
//                   w[j][t][f] * input[tap_offsets[j][t] + stride_h * y * row_pitch + sw * x], lo, hi)
//             Each kernel carries its own k tap offsets (channel and pattern folded in): one
//             loop over the kernels, no per-pattern runs (short runs mispredict at 8x).
//   Layouts:  input = zero-bordered image: channel c's padded pixel (r, u) at
//             c * channel_stride + r * row_pitch + u (the offsets hold the strides); weights
//             per kernel k x G floats ([t][f]), 64-byte aligned; bias G floats, aligned
//             (zeros when none); output = NCHW image, out_plane / out_row floats apart.
//   Tile:     G filters x P output pixels, P consecutive pixels of the rows in row-major order
//             (no padded columns computed). A tile inside one row reads its pixels at stride sw
//             from one pointer (the range's last pixels run as a smaller tile); a tile of exactly
//             two whole rows (rows of P / 2 pixels: 7 on avx512) from two pointers; any other
//             tile crossing rows reads each pixel through its own pointer (pixels past the range
//             repeat the first one and are not stored).
//   Preconds: every padded coordinate read (stride_h * y + dy, sw * x + dx) of an output
//             pixel lies inside the image (the output size guarantees it): no over-reads.
//             Dummy lanes (out_channels[f] < 0) carry zero weights and are not stored.
//   Numerics: fp32 FMA, kernels accumulated in stored order; within c*K*eps*|in|*|w| of ref.
#pragma once

#include <cstdint>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"
#include "finegrain/simd/transpose_store.hpp"

namespace finegrain {
namespace pattern {

struct conv3x3_group_args {
    const float* input = nullptr;   // zero-bordered image, channel 0, padded pixel (0, 0)
    index_t row_pitch = 0;          // floats between padded input rows
    index_t stride_h = 1;           // output row y starts at padded row stride_h * y
    float* output = nullptr;        // NCHW output image, channel 0, pixel (0, 0)
    index_t out_plane = 0;          // floats between output channels
    index_t out_row = 0;            // floats between output rows
    index_t out_width = 0;
    index_t y_begin = 0, y_end = 0;                 // output rows to compute
    const std::int32_t* out_channels = nullptr;     // G: output channel per lane, -1 = dummy
    index_t kernels = 0;                            // kept kernels of the group
    const std::int32_t* tap_offsets = nullptr;      // per kernel, k taps: c * channel_stride + dy * row_pitch + dx
    const float* weights = nullptr;                 // per kernel: k taps x G filters
    index_t k = 0;                                  // taps per pattern
    const float* bias = nullptr;                    // G values (zeros when the layer has none)
    float lo = 0, hi = 0;
};

using conv3x3_group_fn = void (*)(const conv3x3_group_args&) noexcept;

template <class Arch>
struct conv3x3_group_kernels {
    /// The rows function for group width g, column stride sw and k taps, or null if not compiled.
    static conv3x3_group_fn select(int g, int sw, int k) noexcept;
    /// Pixels per register tile for group width g.
    static int pixels(int g) noexcept;

private:
    static constexpr int lanes = static_cast<int>(simd::lanes_of<float, Arch>());
    // Accumulators: 12 of 16 registers, 24 of 32 (AVX-512, NEON); P at most 12 (avx512: 14).
    static constexpr int accumulators = Arch::id == simd::arch_id::avx512 || Arch::id == simd::arch_id::neon64 ? 24 : 12;
    static constexpr int max_pixels = Arch::id == simd::arch_id::avx512 ? 14 : 12;
    template <int G>
    static constexpr int tile_pixels()
    {
        constexpr int fit = G / lanes >= accumulators ? 1 : accumulators / (G / lanes);
        return fit > max_pixels ? max_pixels : fit;
    }

    template <int G, int S, int K>
    static void rows(const conv3x3_group_args& a) noexcept;
    // Tiles: in one row (input pixel i at in + S * i), or crossing rows (pixel i at src[i]).
    template <int G, int S, int K, int P>
    static void row_tile(const conv3x3_group_args& a, index_t in, index_t dst, float* const* planes) noexcept;
    template <int G, int S, int K, int R>
    static void row_remainder(const conv3x3_group_args& a, index_t in, index_t dst, float* const* planes,
                              index_t r) noexcept;
    template <int G, int K, int P>
    static void crossing_tile(const conv3x3_group_args& a, const index_t* src, const index_t* dst,
                              float* const* planes) noexcept;
    // Two whole output rows of P / 2 pixels (rows of P / 2 = 7 on avx512: ResNet's 7 x 7 layers).
    template <int G, int S, int K, int P>
    static void two_row_tile(const conv3x3_group_args& a, index_t in, index_t dst, float* const* planes) noexcept;
    template <int G, int K, int P, class B, class X>
    static void accumulate(B (&acc)[P][G / lanes], const conv3x3_group_args& a, const X& x) noexcept;
    template <int G, int P, class B>
    static void store(B (&acc)[P][G / lanes], const conv3x3_group_args& a, const index_t* dst, bool row,
                      float* const* planes) noexcept;
    template <int G, int S>
    static conv3x3_group_fn pick(int k) noexcept;
};

// The whole kernel list into acc: x(i, offset) = the input float of tile pixel i at that
// tap offset. Per tap: G / L weight loads, P broadcasts, P * G / L FMAs.
template <class Arch>
template <int G, int K, int P, class B, class X>
FINEGRAIN_ALWAYS_INLINE void conv3x3_group_kernels<Arch>::accumulate(B (&acc)[P][G / lanes], const conv3x3_group_args& a,
                                                                     const X& x) noexcept
{
    constexpr int VG = G / lanes;
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i)
#pragma GCC unroll 16
        for (int h = 0; h < VG; ++h) acc[i][h] = B(0.0f);
    const index_t k = K > 0 ? K : a.k;
    const std::int32_t* FINEGRAIN_RESTRICT taps = a.tap_offsets;
    const float* FINEGRAIN_RESTRICT w = a.weights;
    for (index_t j = 0; j < a.kernels; ++j) {
#pragma GCC unroll 9
        for (index_t t = 0; t < k; ++t) {
            const index_t off = taps[t];
            B wv[VG];
#pragma GCC unroll 16
            for (int h = 0; h < VG; ++h) wv[h] = B::load_aligned(w + t * G + h * lanes);
#pragma GCC unroll 16
            for (int i = 0; i < P; ++i) {
                const B xb(x(i, off));
#pragma GCC unroll 16
                for (int h = 0; h < VG; ++h) acc[i][h] = simd::fma(wv[h], xb, acc[i][h]);
            }
        }
        taps += k;
        w += k * G;
    }
}

// GCC 12 reports _mm512_undefined_ps() inside its own avx512fintrin.h min/max as used
// uninitialized once the clamped tile is stored to a local array (a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
// Bias + clamp, then to NCHW: row = the P pixels are consecutive in one output row from
// dst[0] (a P-float row per filter), else pixel i goes to dst[i] (skipped when < 0).
template <class Arch>
template <int G, int P, class B>
FINEGRAIN_ALWAYS_INLINE void conv3x3_group_kernels<Arch>::store(B (&acc)[P][G / lanes], const conv3x3_group_args& a,
                                                                const index_t* dst, bool row,
                                                                float* const* planes) noexcept
{
    constexpr int VG = G / lanes;
    const B lo(a.lo), hi(a.hi);
    if (row) {
#pragma GCC unroll 16
        for (int h = 0; h < VG; ++h) {
            const B bias = B::load_aligned(a.bias + h * lanes);
            B res[P];
#pragma GCC unroll 16
            for (int i = 0; i < P; ++i) res[i] = simd::clamp(acc[i][h] + bias, lo, hi);
            float sink[lanes * P];  // dummy lanes
            float* d[lanes];
#pragma GCC unroll 16
            for (int f = 0; f < lanes; ++f) {
                float* plane = planes[h * lanes + f];
                d[f] = plane ? plane + dst[0] : sink + f * P;
            }
            simd::store_transposed<Arch, P>(res, d);
        }
        return;
    }
    alignas(64) float out[P][G];
#pragma GCC unroll 16
    for (int h = 0; h < VG; ++h) {
        const B bias = B::load_aligned(a.bias + h * lanes);
#pragma GCC unroll 16
        for (int i = 0; i < P; ++i) simd::clamp(acc[i][h] + bias, lo, hi).store_aligned(&out[i][h * lanes]);
    }
    for (int f = 0; f < G; ++f) {
        float* d = planes[f];
        if (!d) continue;
        for (int i = 0; i < P; ++i)
            if (dst[i] >= 0) d[dst[i]] = out[i][f];
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <class Arch>
template <int G, int S, int K, int P>
void conv3x3_group_kernels<Arch>::row_tile(const conv3x3_group_args& a, index_t in_offset, index_t dst,
                                           float* const* planes) noexcept
{
    using B = simd::batch<float, Arch>;
    B acc[P][G / lanes];
    const float* FINEGRAIN_RESTRICT in = a.input + in_offset;
    accumulate<G, K, P>(acc, a, [in](int i, index_t off) { return in[off + i * S]; });
    store<G, P>(acc, a, &dst, true, planes);
}

// The last r < P pixels of a range inside one row: the row tile of exactly r pixels.
template <class Arch>
template <int G, int S, int K, int R>
void conv3x3_group_kernels<Arch>::row_remainder(const conv3x3_group_args& a, index_t in, index_t dst, float* const* planes,
                                                index_t r) noexcept
{
    if constexpr (R >= 1) {
        if (r == R)
            row_tile<G, S, K, R>(a, in, dst, planes);
        else
            row_remainder<G, S, K, R - 1>(a, in, dst, planes, r);
    }
}

template <class Arch>
template <int G, int K, int P>
void conv3x3_group_kernels<Arch>::crossing_tile(const conv3x3_group_args& a, const index_t* src, const index_t* dst,
                                                float* const* planes) noexcept
{
    using B = simd::batch<float, Arch>;
    B acc[P][G / lanes];
    const float* px[P];
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i) px[i] = a.input + src[i];
    accumulate<G, K, P>(acc, a, [&px](int i, index_t off) { return px[i][off]; });
    store<G, P>(acc, a, dst, false, planes);
}

// Pixel i < H = P / 2 reads row 0 at in + S * i, pixel H + i row 1 (one input row pitch times
// stride_h further): two base pointers instead of crossing_tile's one per pixel, and two
// transposed row stores instead of scalar ones. Zen 5, rn18_3x3_7 g = 16 at 8x, x oneDNN:
// 4.61-4.66 -> 4.95-5.01.
template <class Arch>
template <int G, int S, int K, int P>
void conv3x3_group_kernels<Arch>::two_row_tile(const conv3x3_group_args& a, index_t in, index_t dst, float* const* planes) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr int H = P / 2, VG = G / lanes;
    B acc[P][VG];
    const float* FINEGRAIN_RESTRICT r0 = a.input + in;
    const float* FINEGRAIN_RESTRICT r1 = r0 + a.stride_h * a.row_pitch;
    accumulate<G, K, P>(acc, a, [r0, r1](int i, index_t off) { return i < H ? r0[off + i * S] : r1[off + (i - H) * S]; });
    B half[H][VG];
#pragma GCC unroll 2
    for (int r = 0; r < 2; ++r) {
#pragma GCC unroll 16
        for (int i = 0; i < H; ++i)
#pragma GCC unroll 16
            for (int h = 0; h < VG; ++h) half[i][h] = acc[r * H + i][h];
        const index_t d = dst + r * a.out_row;
        store<G, H>(half, a, &d, true, planes);
    }
}

template <class Arch>
template <int G, int S, int K>
void conv3x3_group_kernels<Arch>::rows(const conv3x3_group_args& a) noexcept
{
    constexpr int P = tile_pixels<G>();
    float* planes[G];  // output plane per lane, null = dummy
    for (int f = 0; f < G; ++f)
        planes[f] = a.out_channels[f] < 0 ? nullptr : a.output + index_t(a.out_channels[f]) * a.out_plane;
    const index_t ow = a.out_width, in_row = a.stride_h * a.row_pitch;
    const index_t n = (a.y_end - a.y_begin) * ow;  // pixels, row-major
    index_t y = a.y_begin, x = 0;                  // the tile's first pixel
    for (index_t p = 0; p < n; p += P) {
        const index_t m = n - p < P ? n - p : P;
        if (x + m <= ow) {
            const index_t in = y * in_row + S * x, dst = y * a.out_row + x;
            if (m == P)
                row_tile<G, S, K, P>(a, in, dst, planes);
            else
                row_remainder<G, S, K, P - 1>(a, in, dst, planes, m);
        } else if (P % 2 == 0 && x == 0 && m == P && 2 * ow == P) {
            if constexpr (P % 2 == 0) two_row_tile<G, S, K, P>(a, y * in_row, y * a.out_row, planes);
        } else {
            index_t src[P], dst[P];
            index_t yy = y, xx = x;
#pragma GCC unroll 16
            for (int i = 0; i < P; ++i) {
                const bool real = i < m;
                src[i] = real ? yy * in_row + S * xx : src[0];
                dst[i] = real ? yy * a.out_row + xx : -1;
                if (++xx == ow) xx = 0, ++yy;
            }
            crossing_tile<G, K, P>(a, src, dst, planes);
        }
        x += m;
        while (x >= ow) x -= ow, ++y;
    }
}

template <class Arch>
template <int G, int S>
conv3x3_group_fn conv3x3_group_kernels<Arch>::pick(int k) noexcept
{
    if constexpr (G % lanes != 0) {
        return nullptr;
    } else {
        return k == 4 ? &rows<G, S, 4> : &rows<G, S, 0>;
    }
}

template <class Arch>
conv3x3_group_fn conv3x3_group_kernels<Arch>::select(int g, int sw, int k) noexcept
{
    if (k < 1 || k > 9 || (sw != 1 && sw != 2)) return nullptr;
    if (g == 16) return sw == 1 ? pick<16, 1>(k) : pick<16, 2>(k);
    if (g == 8) return sw == 1 ? pick<8, 1>(k) : pick<8, 2>(k);
    return nullptr;
}

template <class Arch>
int conv3x3_group_kernels<Arch>::pixels(int g) noexcept
{
    if constexpr (16 % lanes == 0) {
        if (g == 16) return tile_pixels<16>();
    }
    if constexpr (8 % lanes == 0) {
        if (g == 8) return tile_pixels<8>();
    }
    return 0;
}

} // namespace pattern
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::pattern::conv3x3_group_kernels)
