// SPDX-License-Identifier: BSD-3-Clause
// XNNPACK's sparse 1x1 convolution (xnn_create_convolution2d_nchw_f32: NCHW, 1x1, stride 1, no
// padding, which XNNPACK runs through its SpMM micro-kernels) as a block_compare candidate on the
// same pruned weights as finegrain's unstructured (1x1-block) configuration. Built only when CMake
// finds libxnnpack-dev and libpthreadpool-dev (FINEGRAIN_BENCH_HAVE_XNNPACK). Include only from
// block_compare.cpp.
#pragma once

#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "block_cases.hpp"

namespace finegrain {
namespace bench {

/// One XNNPACK NCHW 1x1 convolution on the pruned weights of `w` (dense Cout x Cin, zeros kept:
/// XNNPACK packs them into its own sparse format at creation). Throws when XNNPACK refuses.
class xnnpack_sparse_case final : public bench_case {
public:
    xnnpack_sparse_case(const problem& p, const block_weights& w, int threads) : out_(p.output_size)
    {
        if (xnn_initialize(nullptr) != xnn_status_success) throw std::runtime_error("xnn_initialize failed");
        const conv2d_shape s = p.spec.conv.shape();
        const std::vector<float> dense = w.bsr.to_dense();
        const std::vector<float> bias(std::size_t(s.out_channels), 0.0f);
        xnn_operator_t op = nullptr;
        const xnn_status st = xnn_create_convolution2d_nchw_f32(
            0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, std::size_t(s.in_channels), std::size_t(s.out_channels),
            std::size_t(s.in_channels), std::size_t(s.out_channels), dense.data(), bias.data(),
            -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), 0, &op);
        if (st != xnn_status_success)
            throw std::runtime_error("xnn_create_convolution2d_nchw_f32 refused (status " + std::to_string(int(st)) + ")");
        op_.reset(op);
        if (threads > 1) pool_ = shared_pool(std::size_t(threads));
        if (xnn_setup_convolution2d_nchw_f32(op_.get(), std::size_t(s.batch), std::size_t(s.in_height),
                                             std::size_t(s.in_width), p.b.data(), out_.data(), pool_) !=
            xnn_status_success)
            throw std::runtime_error("xnn_setup_convolution2d_nchw_f32 failed");
        label_ = "xnnpack_conv2d_nchw_spmm";
    }
    void run() override { xnn_run_operator(op_.get(), pool_); }
    const float* output() override { return out_.data(); }

private:
    struct op_deleter {
        void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
    };
    struct pool_deleter {
        void operator()(pthreadpool_t p) const { pthreadpool_destroy(p); }
    };
    // One pthreadpool per process for all XNNPACK candidates (as for the block plans).
    static pthreadpool_t shared_pool(std::size_t threads)
    {
        static std::unique_ptr<pthreadpool, pool_deleter> pool(pthreadpool_create(threads));
        return pool.get();
    }
    buffer out_;
    std::unique_ptr<xnn_operator, op_deleter> op_;
    pthreadpool_t pool_ = nullptr;
};

} // namespace bench
} // namespace finegrain
