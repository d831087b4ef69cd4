// SPDX-License-Identifier: BSD-3-Clause
// Options shared by the zero-skip plans (and the polarized plans built on the same engine).
#pragma once

#include "finegrain/core/activation.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/parallel.hpp"

namespace finegrain {
namespace zeroskip {

struct gemm_options {
    const float* bias = nullptr;  // N values (fp32 plans), copied; null = none
    activation act = activation::none;  // fp32 plans
    executor* pool = nullptr;     // null = the calling thread
    bool skip_zeros = true;       // false: run every input row (then the kernel is a plain input-major GEMV)
};

/// Largest batch of the row-streaming plans. A row is skipped only when its input is zero in
/// every sample, so skipping pays at small batches (1..16) or with zeros shared across samples.
constexpr index_t max_batch = 64;

} // namespace zeroskip
} // namespace finegrain
