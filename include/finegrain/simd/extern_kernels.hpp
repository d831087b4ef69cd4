// SPDX-License-Identifier: BSD-3-Clause
// FINEGRAIN_EXTERN_KERNELS(Family): after a kernel family's definition, declares
// `extern template struct Family<Arch>;` for every arch that finegrain_target_dispatch()
// compiles in its own TU, so this TU (built without that arch's flags) never instantiates it.
//
// A kernel family is a class template on Arch whose member functions are defined out of line
// and not `inline` (in-class definitions are inline and would defeat `extern template`).
#pragma once

#include "finegrain/simd/dispatch.hpp"

#if FINEGRAIN_DISPATCH_HAS_SSE4_2
#define FINEGRAIN_DETAIL_EXTERN_SSE4_2(F) extern template struct F<::finegrain::simd::sse4_2>;
#else
#define FINEGRAIN_DETAIL_EXTERN_SSE4_2(F)
#endif
#if FINEGRAIN_DISPATCH_HAS_AVX2
#define FINEGRAIN_DETAIL_EXTERN_AVX2(F) extern template struct F<::finegrain::simd::avx2>;
#else
#define FINEGRAIN_DETAIL_EXTERN_AVX2(F)
#endif
#if FINEGRAIN_DISPATCH_HAS_AVX512
#define FINEGRAIN_DETAIL_EXTERN_AVX512(F) extern template struct F<::finegrain::simd::avx512>;
#else
#define FINEGRAIN_DETAIL_EXTERN_AVX512(F)
#endif
#if FINEGRAIN_DISPATCH_HAS_NEON64
#define FINEGRAIN_DETAIL_EXTERN_NEON64(F) extern template struct F<::finegrain::simd::neon64>;
#else
#define FINEGRAIN_DETAIL_EXTERN_NEON64(F)
#endif

#define FINEGRAIN_EXTERN_KERNELS(Family)                                                                 \
    FINEGRAIN_DETAIL_EXTERN_SSE4_2(Family)                                                               \
    FINEGRAIN_DETAIL_EXTERN_AVX2(Family)                                                                 \
    FINEGRAIN_DETAIL_EXTERN_AVX512(Family) FINEGRAIN_DETAIL_EXTERN_NEON64(Family)
