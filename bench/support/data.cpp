// SPDX-License-Identifier: BSD-3-Clause
#include "support/data.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

namespace finegrain {
namespace bench {

buffer random_buffer(index_t n, std::uint64_t seed)
{
    buffer b(n);
    std::mt19937_64 rng(seed);
    // 24 random bits -> [-1, 1): fast enough for the 411 MB fc6 weights.
    const float scale = 2.0f / float(1u << 24);
    for (index_t i = 0; i < n; ++i) b[i] = float(rng() >> 40) * scale - 1.0f;
    return b;
}

std::vector<spot> gemm_spots(const gemm_shape& s, const float* a, const float* b, int count, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<spot> spots;
    for (int t = 0; t < count; ++t) {
        const index_t i = index_t(rng() % std::uint64_t(s.m)), j = index_t(rng() % std::uint64_t(s.n));
        double acc = 0;
        for (index_t k = 0; k < s.k; ++k) acc += double(a[i * s.k + k]) * double(b[k * s.n + j]);
        spots.push_back({i * s.n + j, acc});
    }
    return spots;
}

std::vector<spot> conv_spots(const conv2d_shape& s, const float* in, const float* w, int count, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    const index_t oh = s.out_height(), ow = s.out_width();
    std::vector<spot> spots;
    for (int t = 0; t < count; ++t) {
        const index_t o = index_t(rng() % std::uint64_t(s.out_channels));
        const index_t y = index_t(rng() % std::uint64_t(oh)), x = index_t(rng() % std::uint64_t(ow));
        double acc = 0;
        for (index_t c = 0; c < s.in_channels; ++c)
            for (index_t i = 0; i < s.kernel_h; ++i)
                for (index_t j = 0; j < s.kernel_w; ++j) {
                    const index_t iy = y * s.stride_h + i - s.pad_h, ix = x * s.stride_w + j - s.pad_w;
                    if (iy < 0 || iy >= s.in_height || ix < 0 || ix >= s.in_width) continue;
                    acc += double(in[(c * s.in_height + iy) * s.in_width + ix]) *
                           double(w[((o * s.in_channels + c) * s.kernel_h + i) * s.kernel_w + j]);
                }
        spots.push_back({(o * oh + y) * ow + x, acc});
    }
    return spots;
}

double fp32_tolerance(index_t k)
{
    // c * K * eps * max|a| * max|b| with c = 2 and max|a| = max|b| = 1.
    return 2.0 * double(k) * double(std::numeric_limits<float>::epsilon());
}

namespace {
std::string describe(const char* what, index_t at, double got, double want, double tol)
{
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s mismatch at %td: got %.7g, expected %.7g (|diff| %.3g > tol %.3g)", what,
                  at, got, want, std::fabs(got - want), tol);
    return buf;
}
} // namespace

check_result check_spots(const float* out, const std::vector<spot>& spots, double tolerance)
{
    check_result r;
    for (const spot& s : spots) {
        const double e = std::fabs(double(out[s.index]) - s.value);
        if (!(e <= tolerance)) {  // NaN fails too
            r.ok = false;
            r.max_error = e;
            r.message = describe("reference", s.index, out[s.index], s.value, tolerance);
            return r;
        }
        r.max_error = std::max(r.max_error, e);
    }
    return r;
}

check_result check_close(const float* got, const float* expected, index_t n, double tolerance)
{
    check_result r;
    for (index_t i = 0; i < n; ++i) {
        const double e = std::fabs(double(got[i]) - double(expected[i]));
        if (!(e <= tolerance)) {
            r.ok = false;
            r.max_error = e;
            r.message = describe("cross-check", i, got[i], expected[i], tolerance);
            return r;
        }
        r.max_error = std::max(r.max_error, e);
    }
    return r;
}

check_result output_registry::check(const std::string& who, const float* out, index_t n,
                                    const std::vector<spot>& spots, double tolerance)
{
    check_result r = check_spots(out, spots, tolerance);
    if (!r.ok) {
        r.message = who + ": " + r.message;
        return r;
    }
    if (first_.empty()) {
        first_.assign(out, out + n);
        first_name_ = who;
        return r;
    }
    if (index_t(first_.size()) != n) {
        r.ok = false;
        r.message = who + ": output size " + std::to_string(n) + " differs from " + first_name_ + "'s";
        return r;
    }
    // Two fp32 results may each be off by the tolerance.
    check_result c = check_close(out, first_.data(), n, 2 * tolerance);
    if (!c.ok) c.message = who + " vs " + first_name_ + ": " + c.message;
    c.max_error = std::max(c.max_error, r.max_error);
    return c;
}

void output_registry::clear()
{
    first_.clear();
    first_.shrink_to_fit();
    first_name_.clear();
}

} // namespace bench
} // namespace finegrain
