// SPDX-License-Identifier: BSD-3-Clause
// Unstructured (CSR) plans are the block plans on 1 x 1 blocks: the same kernels with a
// one-row register tile and the pixel vectors widened to fill the register file.
#pragma once

#include "finegrain/block/conv1x1_plan.hpp"
#include "finegrain/block/spmm_plan.hpp"
#include "finegrain/unstructured/format.hpp"

namespace finegrain {
namespace unstructured {

using block::spmm_options;
template <class T>
using spmm_plan = block::spmm_plan<T>;
template <class T>
using conv1x1_plan = block::conv1x1_plan<T>;

} // namespace unstructured
} // namespace finegrain
