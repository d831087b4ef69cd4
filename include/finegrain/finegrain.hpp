// SPDX-License-Identifier: BSD-3-Clause
// finegrain: header-only inference kernels for fine-grained structured sparsity.
// The umbrella header: every public API.
#pragma once

#include "finegrain/version.hpp"

#include "finegrain/core/activation.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

#include "finegrain/simd/cpu_features.hpp"
#include "finegrain/simd/dispatch.hpp"

#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/gemm.hpp"
#include "finegrain/ref/pattern_conv.hpp"
#include "finegrain/ref/punched_conv.hpp"
#include "finegrain/ref/spmm.hpp"

#include "finegrain/dense/conv2d_plan.hpp"
#include "finegrain/dense/gemm_plan.hpp"

#include "finegrain/pattern/format.hpp"
#include "finegrain/pattern/pattern_set.hpp"
#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"

#include "finegrain/block/format.hpp"
#include "finegrain/block/plan.hpp"
#include "finegrain/block/project.hpp"
#include "finegrain/block/punched_format.hpp"
#include "finegrain/unstructured/format.hpp"
#include "finegrain/unstructured/plan.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/plan.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/ref/polarized.hpp"
#include "finegrain/zeroskip/bit_stats.hpp"
#include "finegrain/zeroskip/conv3x3_plan.hpp"
#include "finegrain/zeroskip/gemm_plan.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"
#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/cost.hpp"
#include "finegrain/crossbar/counters.hpp"
#include "finegrain/crossbar/device.hpp"
#include "finegrain/crossbar/exact_gemv.hpp"
#include "finegrain/crossbar/fast_engine.hpp"
#include "finegrain/crossbar/layer.hpp"
#include "finegrain/crossbar/mapping.hpp"
#include "finegrain/ref/crossbar.hpp"
