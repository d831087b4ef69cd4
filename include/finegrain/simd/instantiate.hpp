// SPDX-License-Identifier: BSD-3-Clause
// Included only by the per-arch TUs that finegrain_target_dispatch() generates:
//   #include <finegrain/simd/instantiate.hpp>
//   #define FINEGRAIN_KERNEL_FAMILY(F) template struct F<::finegrain::simd::avx2>;
//   #include <finegrain/kernel_families.inc>
// Such a TU holds explicit instantiations and nothing else: no tests, no statics, no
// non-template code, so no code built with its flags can leak into baseline code (ODR).
#pragma once

#include "finegrain/kernels.hpp"
