// SPDX-License-Identifier: BSD-3-Clause
// Non-owning views: matrix_view<T> (row-major, row stride) and tensor4_view<T> (NCHW).
// Constructors validate: sizes > 0, strides that do not overlap rows/planes, no null data.
#pragma once

#include <type_traits>

#include "finegrain/core/index.hpp"

namespace finegrain {

/// A rows x cols row-major matrix; element (r, c) is at data[r * row_stride + c].
template <class T>
class matrix_view {
public:
    matrix_view() = default;
    matrix_view(T* data, index_t rows, index_t cols) : matrix_view(data, rows, cols, cols) {}
    matrix_view(T* data, index_t rows, index_t cols, index_t row_stride)
        : data_(data), rows_(rows), cols_(cols), row_stride_(row_stride)
    {
        detail::require_positive(rows, "matrix_view.rows");
        detail::require_positive(cols, "matrix_view.cols");
        detail::require(row_stride >= cols, "matrix_view.row_stride", row_stride, "must be >= cols");
        detail::require_addressable(detail::checked_mul(rows, row_stride, "matrix_view.rows*row_stride"),
                                    sizeof(T), "matrix_view.rows*row_stride");
        detail::require(data != nullptr, "matrix_view.data", "nullptr", "must not be null");
    }
    /// A view of T converts to a view of const T.
    template <class U, class = std::enable_if_t<std::is_same<const U, T>::value>>
    matrix_view(const matrix_view<U>& other)  // NOLINT(google-explicit-constructor)
        : data_(other.data()), rows_(other.rows()), cols_(other.cols()), row_stride_(other.row_stride())
    {
    }

    T* data() const noexcept { return data_; }
    index_t rows() const noexcept { return rows_; }
    index_t cols() const noexcept { return cols_; }
    index_t row_stride() const noexcept { return row_stride_; }
    T* row(index_t r) const noexcept { return data_ + r * row_stride_; }
    T& operator()(index_t r, index_t c) const noexcept { return data_[r * row_stride_ + c]; }
    bool empty() const noexcept { return data_ == nullptr; }

private:
    T* data_ = nullptr;
    index_t rows_ = 0, cols_ = 0, row_stride_ = 0;
};

/// Extents of an NCHW tensor.
struct tensor4_dims {
    index_t n = 0, c = 0, h = 0, w = 0;
    index_t size() const { return n * c * h * w; }
};

/// An NCHW tensor; element (n, c, h, w) is at data[n*stride_n + c*stride_c + h*stride_h + w].
/// The w dimension is contiguous; the other strides may pad but never overlap.
template <class T>
class tensor4_view {
public:
    tensor4_view() = default;
    tensor4_view(T* data, tensor4_dims d)
        : tensor4_view(data, d, d.c * d.h * d.w, d.h * d.w, d.w)
    {
    }
    tensor4_view(T* data, tensor4_dims d, index_t stride_n, index_t stride_c, index_t stride_h)
        : data_(data), d_(d), stride_n_(stride_n), stride_c_(stride_c), stride_h_(stride_h)
    {
        detail::require_positive(d.n, "tensor4_view.n");
        detail::require_positive(d.c, "tensor4_view.c");
        detail::require_positive(d.h, "tensor4_view.h");
        detail::require_positive(d.w, "tensor4_view.w");
        detail::require(stride_h >= d.w, "tensor4_view.stride_h", stride_h, "must be >= w");
        detail::require(stride_c >= detail::checked_mul(d.h, stride_h, "tensor4_view.h*stride_h"),
                        "tensor4_view.stride_c", stride_c, "must be >= h*stride_h");
        detail::require(stride_n >= detail::checked_mul(d.c, stride_c, "tensor4_view.c*stride_c"),
                        "tensor4_view.stride_n", stride_n, "must be >= c*stride_c");
        detail::require_addressable(detail::checked_mul(d.n, stride_n, "tensor4_view.n*stride_n"), sizeof(T),
                                    "tensor4_view.n*stride_n");
        detail::require(data != nullptr, "tensor4_view.data", "nullptr", "must not be null");
    }
    template <class U, class = std::enable_if_t<std::is_same<const U, T>::value>>
    tensor4_view(const tensor4_view<U>& o)  // NOLINT(google-explicit-constructor)
        : data_(o.data()), d_(o.dims()), stride_n_(o.stride_n()), stride_c_(o.stride_c()), stride_h_(o.stride_h())
    {
    }

    T* data() const noexcept { return data_; }
    const tensor4_dims& dims() const noexcept { return d_; }
    index_t n() const noexcept { return d_.n; }
    index_t c() const noexcept { return d_.c; }
    index_t h() const noexcept { return d_.h; }
    index_t w() const noexcept { return d_.w; }
    index_t stride_n() const noexcept { return stride_n_; }
    index_t stride_c() const noexcept { return stride_c_; }
    index_t stride_h() const noexcept { return stride_h_; }
    /// True when the whole tensor is one dense block (no padding between rows/planes/images).
    bool contiguous() const noexcept
    {
        return stride_h_ == d_.w && stride_c_ == d_.h * d_.w && stride_n_ == d_.c * stride_c_;
    }
    /// The (n, c) plane: h rows of w elements, row stride stride_h.
    T* plane(index_t n, index_t c) const noexcept { return data_ + n * stride_n_ + c * stride_c_; }
    T& operator()(index_t n, index_t c, index_t h, index_t w) const noexcept
    {
        return data_[n * stride_n_ + c * stride_c_ + h * stride_h_ + w];
    }
    bool empty() const noexcept { return data_ == nullptr; }

private:
    T* data_ = nullptr;
    tensor4_dims d_{};
    index_t stride_n_ = 0, stride_c_ = 0, stride_h_ = 0;
};

} // namespace finegrain
