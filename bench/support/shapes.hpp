// SPDX-License-Identifier: BSD-3-Clause
// Real layer shapes for the benchmarks, read from bench/shapes/*.txt.
//
// Conv files: one layer per line, `name Cin Cout H W k stride pad` (H, W = input size).
// FC files:   one layer per line, `name in_features out_features batch`.
// '#' starts a comment; blank lines are ignored. A malformed line throws std::runtime_error
// naming the file, the line number and the field.
#pragma once

#include <string>
#include <vector>

#include "finegrain/core/shape.hpp"

namespace finegrain {
namespace bench {

struct conv_layer {
    std::string name;
    index_t in_channels = 0, out_channels = 0, height = 0, width = 0, kernel = 0, stride = 1, pad = 0;

    /// Batch-1 NCHW convolution shape.
    conv2d_shape shape() const;
    /// The GEMM of its im2col lowering: m = Cout, n = OH*OW, k = Cin*k*k.
    gemm_shape gemm() const;
    double flops() const { return shape().flops(); }
};

struct fc_layer {
    std::string name;
    index_t in_features = 0, out_features = 0, batch = 1;

    /// y (out x batch) = W (out x in) * X (in x batch).
    gemm_shape gemm() const { return gemm_shape{out_features, batch, in_features}; }
    double flops() const { return gemm().flops(); }
};

std::vector<conv_layer> load_conv_layers(const std::string& path);
std::vector<fc_layer> load_fc_layers(const std::string& path);

/// The directory holding the shape files: $FINEGRAIN_BENCH_SHAPES, else the source tree's bench/shapes.
std::string shapes_dir();

/// The conv shape files the dense benchmarks use, in order (3x3 first, then 1x1).
const std::vector<std::string>& conv_shape_files();

/// Every layer of conv_shape_files() / fc.txt under shapes_dir().
std::vector<conv_layer> load_all_conv_layers();
std::vector<fc_layer> load_all_fc_layers();

} // namespace bench
} // namespace finegrain
