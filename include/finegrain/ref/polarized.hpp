// SPDX-License-Identifier: BSD-3-Clause
// Scalar references for the polarized and zero-skip families: the test oracles. Plain loops
// over the canonical format (polarized_matrix), double or 64-bit accumulation, no SIMD.
#pragma once

#include <cstdint>

#include "finegrain/core/activation.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/polarized/format.hpp"

namespace finegrain {
namespace ref {

/// y[o][s] = act(bias[o] + sum_f sign(o,f) * sum_{k in f} scale(o) * |w|(o,k) * x[k][s]):
/// the sign applied per fragment, after the fragment's sum. x is K x n, y is N x n.
template <class T>
void polarized_gemm(const polarized::polarized_matrix<T>& w, matrix_view<const float> x, matrix_view<float> y,
                    const float* bias = nullptr, activation act = activation::none)
{
    detail::require(x.rows() == w.inputs(), "x.rows", x.rows(), "must equal the inputs (K)");
    detail::require(y.rows() == w.outputs(), "y.rows", y.rows(), "must equal the outputs (N)");
    detail::require(y.cols() == x.cols(), "y.cols", y.cols(), "must equal x.cols");
    for (index_t o = 0; o < w.outputs(); ++o)
        for (index_t s = 0; s < x.cols(); ++s) {
            double acc = bias ? bias[o] : 0.0;
            for (index_t f = 0; f < w.fragments_per_output(); ++f) {
                double part = 0;
                for (index_t k = w.fragment_begin(f); k < w.fragment_end(f); ++k)
                    part += double(w.magnitude(o, k)) * double(x(k, s));
                acc += (w.negative(o, f) ? -part : part) * double(w.scale(o));
            }
            y(o, s) = apply_activation(static_cast<float>(acc), act);
        }
}

/// Exact integer product of polarized magnitudes (scales ignored): y[o][s] = sum_f sign(o,f)
/// * sum_{k in f} q(o,k) * x[k][s], in 64 bits.
template <class T, class X>
void polarized_gemm_int(const polarized::polarized_matrix<T>& w, matrix_view<const X> x, matrix_view<std::int64_t> y)
{
    detail::require(x.rows() == w.inputs(), "x.rows", x.rows(), "must equal the inputs (K)");
    detail::require(y.rows() == w.outputs(), "y.rows", y.rows(), "must equal the outputs (N)");
    detail::require(y.cols() == x.cols(), "y.cols", y.cols(), "must equal x.cols");
    for (index_t o = 0; o < w.outputs(); ++o)
        for (index_t s = 0; s < x.cols(); ++s) {
            std::int64_t acc = 0;
            for (index_t f = 0; f < w.fragments_per_output(); ++f) {
                std::int64_t part = 0;
                for (index_t k = w.fragment_begin(f); k < w.fragment_end(f); ++k)
                    part += std::int64_t(w.magnitude(o, k)) * std::int64_t(x(k, s));
                acc += w.negative(o, f) ? -part : part;
            }
            y(o, s) = acc;
        }
}

/// Exact dense integer product: y[o][s] = sum_k w[o][k] * x[k][s] in 64 bits (w is N x K).
template <class W, class X>
void gemm_int(matrix_view<const W> w, matrix_view<const X> x, matrix_view<std::int64_t> y)
{
    detail::require(x.rows() == w.cols(), "x.rows", x.rows(), "must equal w.cols");
    detail::require(y.rows() == w.rows(), "y.rows", y.rows(), "must equal w.rows");
    detail::require(y.cols() == x.cols(), "y.cols", y.cols(), "must equal x.cols");
    for (index_t o = 0; o < w.rows(); ++o)
        for (index_t s = 0; s < x.cols(); ++s) {
            std::int64_t acc = 0;
            for (index_t k = 0; k < w.cols(); ++k) acc += std::int64_t(w(o, k)) * std::int64_t(x(k, s));
            y(o, s) = acc;
        }
}

/// What a crossbar's ADCs see: p[f*N + o] = sum_{k in fragment f} |w|(o,k) * x[k] (no sign,
/// no scale), for one input vector x of K values. P is double for float magnitudes, uint64 else.
template <class T, class X, class P>
void fragment_partial_sums(const polarized::polarized_matrix<T>& w, const X* x, P* p)
{
    detail::require(x != nullptr && p != nullptr, "x", "nullptr", "x and p must not be null");
    const index_t n = w.outputs();
    for (index_t f = 0; f < w.fragments_per_output(); ++f)
        for (index_t o = 0; o < n; ++o) {
            P acc = 0;
            for (index_t k = w.fragment_begin(f); k < w.fragment_end(f); ++k) acc += P(w.magnitude(o, k)) * P(x[k]);
            p[f * n + o] = acc;
        }
}

/// Zero-skip statistics of an input vector of K unsigned `input_bits`-bit values cut into
/// fragments of m: bitlen[f] = number of significant bits of the fragment's largest value
/// (0 when all are zero), zero_planes[f] = bit planes b < input_bits where every value has a 0.
template <class X>
void fragment_bit_stats(const X* x, index_t k, index_t m, int input_bits, std::uint8_t* bitlen, std::uint8_t* zero_planes)
{
    detail::require(m >= 1, "m", m, "fragment size must be >= 1");
    for (index_t f = 0; f * m < k; ++f) {
        std::uint32_t mx = 0;
        for (index_t i = f * m; i < k && i < f * m + m; ++i) mx = x[i] > mx ? x[i] : mx;
        int len = 0;
        while (len < 32 && (mx >> len) != 0) ++len;
        int zeros = 0;
        for (int b = 0; b < input_bits; ++b) {
            bool any = false;
            for (index_t i = f * m; i < k && i < f * m + m; ++i) any = any || ((std::uint32_t(x[i]) >> b) & 1u);
            zeros += any ? 0 : 1;
        }
        bitlen[f] = static_cast<std::uint8_t>(len);
        zero_planes[f] = static_cast<std::uint8_t>(zeros);
    }
}

} // namespace ref
} // namespace finegrain
