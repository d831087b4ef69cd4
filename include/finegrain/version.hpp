// finegrain: header-only kernels for fine-grained structured sparsity.
// SPDX-License-Identifier: BSD-3-Clause
#pragma once

// CMake parses these three lines; keep the format.
#define FINEGRAIN_VERSION_MAJOR 0
#define FINEGRAIN_VERSION_MINOR 1
#define FINEGRAIN_VERSION_PATCH 0

#define FINEGRAIN_VERSION_STRING "0.1.0"
