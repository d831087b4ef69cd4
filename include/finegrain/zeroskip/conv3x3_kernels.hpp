// SPDX-License-Identifier: BSD-3-Clause
// Zero-skip direct 3x3 convolution, scatter form: every non-zero input pixel adds its
// contribution to the (up to 9) output pixels it feeds; zero inputs cost nothing.
//
// conv3x3_kernels<Arch>::scatter
//   Computes: for every input pixel p = y*in_w + x with entries e (its non-zero channels
//             chan[e], values val[e]) and every tap (i, j) with oy*stride = y + pad - i,
//             ox*stride = x + pad - j inside the output:
//               out[(oy*out_w + ox)*ldo + o] += sum_e val[e] * w[(chan[e]*9 + i*3 + j)*ldw + o]
//             for o in [col_begin, col_end).
//   Layout:   weights channel-major, tap, then output channel (contiguous); the output is
//             pixel-major with the channels contiguous (the plan transposes to NCHW).
//   Tile:     up to 8 channels of one pixel at a time, broadcasts hoisted; per tap one load
//             and store of the output vector per 8 FMAs.
//   Preconds: col_begin, col_end multiples of lanes_of<float, Arch>(); stride >= 1, pad <= 2.
//   Numerics: fp32 FMA, channels in increasing order per pixel.
#pragma once

#include <cstdint>

#include "finegrain/core/index.hpp"
#include "finegrain/simd/batch.hpp"
#include "finegrain/simd/extern_kernels.hpp"

namespace finegrain {
namespace zeroskip {

struct scatter_args {
    const index_t* pix_end = nullptr;  // pixel p holds entries [p ? pix_end[p-1] : 0, pix_end[p])
    const std::int32_t* chan = nullptr;
    const float* val = nullptr;
    index_t in_h = 0, in_w = 0, out_h = 0, out_w = 0, stride = 1, pad = 0;
    const float* w = nullptr;
    index_t ldw = 0;
    float* out = nullptr;
    index_t ldo = 0;
    index_t col_begin = 0, col_end = 0;
};

template <class Arch>
struct conv3x3_kernels {
    static void scatter(const scatter_args& a) noexcept;

private:
    template <int R>
    static void pixel(const scatter_args& a, index_t y, index_t x, const std::int32_t* chan, const float* val) noexcept;
};

template <class Arch>
template <int R>
void conv3x3_kernels<Arch>::pixel(const scatter_args& a, index_t y, index_t x, const std::int32_t* chan,
                                  const float* val) noexcept
{
    using B = simd::batch<float, Arch>;
    constexpr index_t V = static_cast<index_t>(simd::lanes_of<float, Arch>());
    B v[R];
    const float* wr[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        v[r] = B(val[r]);
        wr[r] = a.w + static_cast<index_t>(chan[r]) * 9 * a.ldw;
    }
    for (index_t i = 0; i < 3; ++i) {
        const index_t ty = y + a.pad - i;
        if (ty < 0 || ty % a.stride != 0 || ty / a.stride >= a.out_h) continue;
        for (index_t j = 0; j < 3; ++j) {
            const index_t tx = x + a.pad - j;
            if (tx < 0 || tx % a.stride != 0 || tx / a.stride >= a.out_w) continue;
            float* o = a.out + ((ty / a.stride) * a.out_w + tx / a.stride) * a.ldo;
            const index_t tap = (i * 3 + j) * a.ldw;
            for (index_t c = a.col_begin; c < a.col_end; c += V) {
                B acc = B::load_unaligned(o + c);
#pragma GCC unroll 8
                for (int r = 0; r < R; ++r) acc = simd::fma(v[r], B::load_unaligned(wr[r] + tap + c), acc);
                acc.store_unaligned(o + c);
            }
        }
    }
}

template <class Arch>
void conv3x3_kernels<Arch>::scatter(const scatter_args& a) noexcept
{
    index_t e = 0;
    for (index_t y = 0; y < a.in_h; ++y)
        for (index_t x = 0; x < a.in_w; ++x) {
            const index_t e1 = a.pix_end[y * a.in_w + x];
            for (; e + 8 <= e1; e += 8) pixel<8>(a, y, x, a.chan + e, a.val + e);
            switch (e1 - e) {
            case 1: pixel<1>(a, y, x, a.chan + e, a.val + e); break;
            case 2: pixel<2>(a, y, x, a.chan + e, a.val + e); break;
            case 3: pixel<3>(a, y, x, a.chan + e, a.val + e); break;
            case 4: pixel<4>(a, y, x, a.chan + e, a.val + e); break;
            case 5: pixel<5>(a, y, x, a.chan + e, a.val + e); break;
            case 6: pixel<6>(a, y, x, a.chan + e, a.val + e); break;
            case 7: pixel<7>(a, y, x, a.chan + e, a.val + e); break;
            default: break;
            }
            e = e1;
        }
}

} // namespace zeroskip
} // namespace finegrain

FINEGRAIN_EXTERN_KERNELS(::finegrain::zeroskip::conv3x3_kernels)
