// SPDX-License-Identifier: BSD-3-Clause
// unstructured::csr_matrix: unstructured sparsity is BSR with 1 x 1 blocks, so CSR shares the
// block format, projection, kernels and plans (no second implementation to keep in step):
// row_ptr per row, one uint32 column index and one value per nonzero.
//
//   auto pruned = finegrain::unstructured::project(w, 0.9);     // 90% of the weights zeroed
//   auto csr    = finegrain::unstructured::pack(view_of_pruned);  // block::bsr_matrix, 1x1 blocks
#pragma once

#include <vector>

#include "finegrain/block/format.hpp"
#include "finegrain/block/project.hpp"

namespace finegrain {
namespace unstructured {

using csr_matrix = block::bsr_matrix;

/// The CSR shape: 1 x 1 blocks.
constexpr block::block_shape csr_shape() noexcept { return block::block_shape{1, 1}; }

/// Packs every nonzero of `dense` (to_dense() round-trips exactly).
inline csr_matrix pack(matrix_view<const float> dense) { return block::pack(dense, csr_shape()); }

/// Magnitude pruning: a copy of `dense` with the round(sparsity * size) smallest |w| zeroed
/// (globally, or the same fraction per row).
inline std::vector<float> project(matrix_view<const float> dense, double sparsity,
                                  block::prune_scope scope = block::prune_scope::global)
{
    return block::project(dense, csr_shape(), sparsity, scope);
}

} // namespace unstructured
} // namespace finegrain
