// SPDX-License-Identifier: BSD-3-Clause
// Every block plan: spmm_plan (FC, any batch), conv1x1_plan (NCHW 1x1 conv) and
// conv3x3_punched_plan (block-punched 3x3 conv).
#pragma once

#include "finegrain/block/conv1x1_plan.hpp"
#include "finegrain/block/conv3x3_punched_plan.hpp"
#include "finegrain/block/spmm_plan.hpp"
