// SPDX-License-Identifier: BSD-3-Clause
// Every kernel family's definitions: what a runtime-tier arch TU instantiates.
#pragma once

#include "finegrain/dense/gemm_kernels.hpp"
#include "finegrain/pattern/group_kernels.hpp"
#include "finegrain/pattern/kernels.hpp"
#include "finegrain/block/kernels.hpp"
#include "finegrain/zeroskip/rows_kernels.hpp"
#include "finegrain/crossbar/kernels.hpp"
#include "finegrain/zeroskip/stats_kernels.hpp"
#include "finegrain/zeroskip/conv3x3_kernels.hpp"
