// SPDX-License-Identifier: BSD-3-Clause
// Problem shapes with validation: gemm_shape (C[m x n] = A[m x k] B[k x n]) and conv2d_shape (NCHW).
#pragma once

#include <cstdint>

#include "finegrain/core/index.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {

/// C[m x n] = A[m x k] * B[k x n]. In a conv lowered to GEMM: m = output channels,
/// n = output pixels (x batch), k = input channels x kernel taps.
struct gemm_shape {
    index_t m = 0, n = 0, k = 0;

    /// Throws finegrain::error naming the first bad field.
    void validate() const
    {
        detail::require_positive(m, "gemm_shape.m");
        detail::require_positive(n, "gemm_shape.n");
        detail::require_positive(k, "gemm_shape.k");
        detail::require_addressable(detail::checked_mul(m, k, "gemm_shape.m*k"), sizeof(float), "gemm_shape.m*k");
        detail::require_addressable(detail::checked_mul(k, n, "gemm_shape.k*n"), sizeof(float), "gemm_shape.k*n");
        detail::require_addressable(detail::checked_mul(m, n, "gemm_shape.m*n"), sizeof(float), "gemm_shape.m*n");
    }
    /// 2*m*n*k: the multiply-adds of the dense product.
    double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

/// A 2-D convolution over an NCHW batch with an OIHW weight tensor (no dilation, no groups).
/// out[b][o][y][x] = bias[o] + sum_{c,i,j} w[o][c][i][j] * in[b][c][y*stride_h + i - pad_h][x*stride_w + j - pad_w]
/// with zeros outside the input.
struct conv2d_shape {
    index_t batch = 1;
    index_t in_channels = 0, in_height = 0, in_width = 0;
    index_t out_channels = 0;
    index_t kernel_h = 3, kernel_w = 3;
    index_t stride_h = 1, stride_w = 1;
    index_t pad_h = 0, pad_w = 0;

    /// The common square case: kernel k x k, stride s, padding p on every side.
    static conv2d_shape square(index_t batch, index_t in_channels, index_t out_channels, index_t size, index_t kernel,
                               index_t stride = 1, index_t pad = 0)
    {
        conv2d_shape s;
        s.batch = batch;
        s.in_channels = in_channels;
        s.out_channels = out_channels;
        s.in_height = s.in_width = size;
        s.kernel_h = s.kernel_w = kernel;
        s.stride_h = s.stride_w = stride;
        s.pad_h = s.pad_w = pad;
        return s;
    }

    index_t out_height() const { return (in_height + 2 * pad_h - kernel_h) / stride_h + 1; }
    index_t out_width() const { return (in_width + 2 * pad_w - kernel_w) / stride_w + 1; }
    /// The reduction length of one output: in_channels * kernel_h * kernel_w.
    index_t taps() const { return in_channels * kernel_h * kernel_w; }
    double flops() const
    {
        return 2.0 * double(batch) * double(out_channels) * double(out_height()) * double(out_width()) * double(taps());
    }

    void validate() const
    {
        detail::require_positive(batch, "conv2d_shape.batch");
        detail::require_positive(in_channels, "conv2d_shape.in_channels");
        detail::require_positive(in_height, "conv2d_shape.in_height");
        detail::require_positive(in_width, "conv2d_shape.in_width");
        detail::require_positive(out_channels, "conv2d_shape.out_channels");
        detail::require_positive(kernel_h, "conv2d_shape.kernel_h");
        detail::require_positive(kernel_w, "conv2d_shape.kernel_w");
        detail::require_positive(stride_h, "conv2d_shape.stride_h");
        detail::require_positive(stride_w, "conv2d_shape.stride_w");
        detail::require_non_negative(pad_h, "conv2d_shape.pad_h");
        detail::require_non_negative(pad_w, "conv2d_shape.pad_w");
        detail::require(pad_h < kernel_h, "conv2d_shape.pad_h", pad_h, "must be < kernel_h");
        detail::require(pad_w < kernel_w, "conv2d_shape.pad_w", pad_w, "must be < kernel_w");
        const index_t ph = detail::checked_add(in_height, 2 * pad_h, "conv2d_shape.in_height+2*pad_h");
        const index_t pw = detail::checked_add(in_width, 2 * pad_w, "conv2d_shape.in_width+2*pad_w");
        detail::require(kernel_h <= ph, "conv2d_shape.kernel_h", kernel_h, "must be <= in_height + 2*pad_h");
        detail::require(kernel_w <= pw, "conv2d_shape.kernel_w", kernel_w, "must be <= in_width + 2*pad_w");
        const index_t in_plane = detail::checked_mul(in_height, in_width, "conv2d_shape.in_height*in_width");
        const index_t in_img = detail::checked_mul(in_channels, in_plane, "conv2d_shape.input size");
        detail::require_addressable(detail::checked_mul(batch, in_img, "conv2d_shape.input size"), sizeof(float),
                                    "conv2d_shape.input size");
        const index_t kk = detail::checked_mul(kernel_h, kernel_w, "conv2d_shape.kernel_h*kernel_w");
        const index_t taps_ = detail::checked_mul(in_channels, kk, "conv2d_shape.taps");
        detail::require_addressable(detail::checked_mul(out_channels, taps_, "conv2d_shape.weight size"),
                                    sizeof(float), "conv2d_shape.weight size");
        const index_t out_plane = detail::checked_mul(out_height(), out_width(), "conv2d_shape.output plane");
        const index_t out_img = detail::checked_mul(out_channels, out_plane, "conv2d_shape.output size");
        detail::require_addressable(detail::checked_mul(batch, out_img, "conv2d_shape.output size"), sizeof(float),
                                    "conv2d_shape.output size");
        detail::require_addressable(detail::checked_mul(taps_, out_plane, "conv2d_shape.im2col size"),
                                    sizeof(float), "conv2d_shape.im2col size");
    }

    tensor4_dims input_dims() const { return {batch, in_channels, in_height, in_width}; }
    tensor4_dims output_dims() const { return {batch, out_channels, out_height(), out_width()}; }
    /// OIHW: out_channels x in_channels x kernel_h x kernel_w.
    tensor4_dims weight_dims() const { return {out_channels, in_channels, kernel_h, kernel_w}; }
};

namespace detail {
/// Throws finegrain::error naming `name` unless tensor t has extents d.
template <class T>
void require_tensor_dims(const tensor4_view<T>& t, const tensor4_dims& d, const char* name)
{
    require(!t.empty(), name, "empty", "must be a tensor");
    require(t.n() == d.n, name, t.n(), "batch (n) does not match the shape");
    require(t.c() == d.c, name, t.c(), "channels (c) do not match the shape");
    require(t.h() == d.h, name, t.h(), "height (h) does not match the shape");
    require(t.w() == d.w, name, t.w(), "width (w) does not match the shape");
}
} // namespace detail

} // namespace finegrain
