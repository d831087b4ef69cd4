// SPDX-License-Identifier: BSD-3-Clause
// Compiler shims shared by every header: restrict, debug assertions, processor family.
#pragma once

#include <cassert>

#if defined(__GNUC__) || defined(__clang__)
#define FINEGRAIN_RESTRICT __restrict__
#define FINEGRAIN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FINEGRAIN_RESTRICT
#define FINEGRAIN_ALWAYS_INLINE inline
#endif

// Checks that only hold by construction (validated at pack/plan time): active in debug
// builds, compiled out with NDEBUG. Never used for input validation.
#define FINEGRAIN_ASSERT(cond) assert(cond)

#if defined(__x86_64__) || defined(_M_X64)
#define FINEGRAIN_X86_64 1
#else
#define FINEGRAIN_X86_64 0
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define FINEGRAIN_AARCH64 1
#else
#define FINEGRAIN_AARCH64 0
#endif
