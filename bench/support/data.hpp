// SPDX-License-Identifier: BSD-3-Clause
// Benchmark data and result checks. Inputs are uniform in [-1, 1] from a fixed seed. Every
// implementation's output is checked once, outside timing, against (a) reference values at
// sampled positions computed in double precision and (b) the first implementation's output
// for the same problem, within the fp32 bound c * K * eps * max|a| * max|b| (DESIGN.md, rule 7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/shape.hpp"

namespace finegrain {
namespace bench {

using buffer = aligned_buffer<float>;

/// `n` values uniform in [-1, 1], reproducible from `seed`.
buffer random_buffer(index_t n, std::uint64_t seed);

/// A reference value at one position of a canonical output layout.
struct spot {
    index_t index = 0;
    double value = 0;
};

/// C = A (m x k) * B (k x n), row-major; spots index C as i*n + j.
std::vector<spot> gemm_spots(const gemm_shape& s, const float* a, const float* b, int count, std::uint64_t seed);
/// NCHW conv of OIHW weights (batch 1); spots index the NCHW output.
std::vector<spot> conv_spots(const conv2d_shape& s, const float* in, const float* w, int count, std::uint64_t seed);

/// The fp32 tolerance for a dot product of length k of values bounded by 1 (ours are in [-1, 1]).
double fp32_tolerance(index_t k);

struct check_result {
    bool ok = true;
    double max_error = 0;
    std::string message;  // empty when ok
};

check_result check_spots(const float* out, const std::vector<spot>& spots, double tolerance);
check_result check_close(const float* got, const float* expected, index_t n, double tolerance);

/// One problem's outputs: the first implementation checked becomes the cross-check reference.
class output_registry {
public:
    /// Checks `out` (n values in the canonical layout) against the spots and the first output
    /// recorded for this problem; records it if it is the first. `who` names the implementation.
    check_result check(const std::string& who, const float* out, index_t n, const std::vector<spot>& spots,
                       double tolerance);
    void clear();

private:
    std::string first_name_;
    std::vector<float> first_;
};

} // namespace bench
} // namespace finegrain
