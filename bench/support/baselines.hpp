// SPDX-License-Identifier: BSD-3-Clause
// The dense baselines, behind small wrappers so that bench TUs never include dnnl.hpp/cblas.h.
//
// oneDNN (FINEGRAIN_BENCH_HAVE_DNNL): every wrapper does its reorders in the constructor
// (weights once, input once), so run() is the primitive alone. Thread count: this oneDNN is
// built with the OpenMP runtime, so dnnl_baseline::set_threads() calls omp_set_num_threads();
// set it *before* constructing a wrapper (oneDNN partitions work when the primitive is made)
// and keep it while running.
//
// OpenBLAS (FINEGRAIN_BENCH_HAVE_OPENBLAS): row-major cblas_sgemm / cblas_sgemv, thread count
// through openblas_set_num_threads().
#pragma once

#include <memory>
#include <string>

#include "finegrain/core/shape.hpp"

namespace finegrain {
namespace bench {

#if FINEGRAIN_BENCH_HAVE_DNNL
namespace dnnl_baseline {

/// Sets the threads of later primitives (OpenMP runtime). False when the runtime cannot be controlled.
bool set_threads(int threads);
/// e.g. "2.6.3 (cpu runtime OMP, isa avx2)".
std::string version();

/// dnnl::convolution_forward, algorithm::convolution_direct, format `any` for src/weights/dst.
class conv {
public:
    conv(const conv2d_shape& s, const float* weights_oihw, const float* input_nchw);
    ~conv();
    void run();
    /// The output reordered to NCHW (outside timing).
    void output_nchw(float* dst) const;
    std::string impl() const;

private:
    struct state;
    std::unique_ptr<state> s_;
};

/// dnnl::matmul: C (m x n) = A (m x k) * B (k x n), all row-major (plain `ab`), no pre-packing.
class matmul {
public:
    matmul(const gemm_shape& s, const float* a, const float* b);
    ~matmul();
    void run();
    const float* c() const;
    std::string impl() const;

private:
    struct state;
    std::unique_ptr<state> s_;
};

/// dnnl::inner_product_forward: Y (batch x out) = X (batch x in) * W^T, W (out x in) reordered
/// once to the primitive's format (`any`).
class inner_product {
public:
    inner_product(index_t in_features, index_t out_features, index_t batch, const float* w, const float* x);
    ~inner_product();
    void run();
    /// Y transposed to out x batch (the GEMM layout C = W X), outside timing.
    void output_out_by_batch(float* dst) const;
    std::string impl() const;

private:
    struct state;
    std::unique_ptr<state> s_;
};

} // namespace dnnl_baseline
#endif

#if FINEGRAIN_BENCH_HAVE_OPENBLAS
namespace openblas_baseline {

void set_threads(int threads);
/// openblas_get_corename(), e.g. "Zen" / "Haswell" / "Cooperlake".
std::string core_name();
/// openblas_get_config().
std::string config();
/// C (m x n) = A (m x k) * B (k x n), row-major.
void sgemm(const gemm_shape& s, const float* a, const float* b, float* c);
/// y (m) = A (m x k) * x (k), row-major.
void sgemv(index_t m, index_t k, const float* a, const float* x, float* y);

} // namespace openblas_baseline
#endif

} // namespace bench
} // namespace finegrain
