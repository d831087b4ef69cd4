// SPDX-License-Identifier: BSD-3-Clause
// block::bsr_matrix: a rows x cols fp32 matrix pruned in r x c blocks (BSR), r, c in {1, 2, 4, 8, 16}.
// 1 x 1 blocks are unstructured CSR (see finegrain/unstructured/format.hpp).
//
// Layout (what the kernels read, one contiguous array each):
//   row_ptr[block_rows + 1]  uint32: blocks of block row i are [row_ptr[i], row_ptr[i+1]); the
//                            nnz count of block row i is row_ptr[i+1] - row_ptr[i]
//   col_idx[nnz_blocks]      uint32: block-column index of each block (first matrix column
//                            col_idx*c), strictly increasing within a block row
//   values[nnz_blocks*r*c]   fp32, block by block; inside a block column-major: element (i, j)
//                            of block b is values[b*r*c + j*r + i], so each block column is r
//                            contiguous output rows (one vector for r = lanes)
// Edge blocks (last block row/column when r or c does not divide the matrix) are stored whole;
// their entries outside the matrix must be zero. `values` carries `value_padding` zero floats
// after the last block: kernels may over-read that far.
//
// Every way in validates: pack() takes a dense matrix, the parts constructor takes arrays from
// elsewhere (a file, another library) and throws finegrain::error naming the bad field.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace block {

/// Block extent: r consecutive rows (output channels) x c consecutive columns (inputs).
struct block_shape {
    index_t r = 1, c = 1;

    /// r and c must each be 1, 2, 4, 8 or 16. `name` prefixes the error ("bsr.block_shape").
    void validate(const char* name_r = "block_shape.r", const char* name_c = "block_shape.c") const
    {
        detail::require(supported(r), name_r, r, "must be 1, 2, 4, 8 or 16");
        detail::require(supported(c), name_c, c, "must be 1, 2, 4, 8 or 16");
    }
    static bool supported(index_t v) noexcept { return v == 1 || v == 2 || v == 4 || v == 8 || v == 16; }
    index_t size() const noexcept { return r * c; }
    friend bool operator==(block_shape a, block_shape b) noexcept { return a.r == b.r && a.c == b.c; }
    friend bool operator!=(block_shape a, block_shape b) noexcept { return !(a == b); }
};

class bsr_matrix {
public:
    /// Zero floats after the last block that kernels may read.
    static constexpr index_t value_padding = 16;

    bsr_matrix() = default;

    /// Adopts externally built arrays after validating every field (see the layout above).
    bsr_matrix(index_t rows, index_t cols, block_shape shape, const std::vector<std::uint32_t>& row_ptr,
               const std::vector<std::uint32_t>& col_idx, const std::vector<float>& values)
    {
        init_shape(rows, cols, shape);
        detail::require(index_t(row_ptr.size()) == block_rows_ + 1, "bsr.row_ptr.size", row_ptr.size(),
                        "must be block_rows + 1");
        detail::require(row_ptr.front() == 0, "bsr.row_ptr[0]", row_ptr.front(), "must be 0");
        const index_t nnzb = index_t(row_ptr.back());
        detail::require(index_t(col_idx.size()) == nnzb, "bsr.col_idx.size", col_idx.size(),
                        "must equal row_ptr[block_rows] (the block count)");
        detail::require(index_t(values.size()) == detail::checked_mul(nnzb, shape.size(), "bsr.values.size"),
                        "bsr.values.size", values.size(), "must equal block count * r * c");
        allocate(nnzb);
        std::memcpy(row_ptr_.data(), row_ptr.data(), row_ptr.size() * sizeof(std::uint32_t));
        if (nnzb > 0) {
            std::memcpy(col_idx_.data(), col_idx.data(), col_idx.size() * sizeof(std::uint32_t));
            std::memcpy(values_.data(), values.data(), values.size() * sizeof(float));
        }
        validate();
    }

    index_t rows() const noexcept { return rows_; }
    index_t cols() const noexcept { return cols_; }
    block_shape shape() const noexcept { return shape_; }
    index_t block_rows() const noexcept { return block_rows_; }
    index_t block_cols() const noexcept { return block_cols_; }
    /// Stored blocks.
    index_t nnz_blocks() const noexcept { return block_rows_ ? index_t(row_ptr_[block_rows_]) : 0; }
    /// Stored values (explicit zeros inside kept blocks included).
    index_t stored_values() const noexcept { return nnz_blocks() * shape_.size(); }
    /// Fraction of the dense matrix the stored blocks cover (1 - block sparsity).
    double density() const noexcept
    {
        return rows_ ? double(stored_values()) / (double(rows_) * double(cols_)) : 0.0;
    }
    const std::uint32_t* row_ptr() const noexcept { return row_ptr_.data(); }
    const std::uint32_t* col_idx() const noexcept { return col_idx_.data(); }
    const float* values() const noexcept { return values_.data(); }
    /// Bytes of the packed arrays (what a kernel streams for one product).
    std::size_t bytes() const noexcept { return row_ptr_.bytes() + col_idx_.bytes() + values_.bytes(); }

    /// The dense rows x cols matrix, row-major.
    std::vector<float> to_dense() const
    {
        std::vector<float> d(std::size_t(rows_ * cols_), 0.0f);
        if (rows_ > 0) to_dense(matrix_view<float>(d.data(), rows_, cols_));
        return d;
    }
    /// Writes the dense matrix into `out` (rows x cols; every element is written).
    void to_dense(matrix_view<float> out) const
    {
        detail::require(out.rows() == rows_, "out.rows", out.rows(), "must equal the matrix rows");
        detail::require(out.cols() == cols_, "out.cols", out.cols(), "must equal the matrix cols");
        for (index_t i = 0; i < rows_; ++i)
            for (index_t j = 0; j < cols_; ++j) out(i, j) = 0.0f;
        const index_t r = shape_.r, c = shape_.c;
        for (index_t br = 0; br < block_rows_; ++br)
            for (index_t b = row_ptr_[br]; b < index_t(row_ptr_[br + 1]); ++b) {
                const float* v = values_.data() + b * r * c;
                const index_t col0 = index_t(col_idx_[b]) * c;
                for (index_t j = 0; j < c && col0 + j < cols_; ++j)
                    for (index_t i = 0; i < r && br * r + i < rows_; ++i) out(br * r + i, col0 + j) = v[j * r + i];
            }
    }

    /// Checks every invariant of the layout; throws finegrain::error naming the first bad field.
    void validate() const
    {
        const index_t nnzb = index_t(row_ptr_[block_rows_]);
        detail::require(row_ptr_[0] == 0, "bsr.row_ptr[0]", row_ptr_[0], "must be 0");
        for (index_t br = 0; br < block_rows_; ++br) {
            const index_t b0 = row_ptr_[br], b1 = row_ptr_[br + 1];
            detail::require(b1 >= b0 && b1 <= nnzb, "bsr.row_ptr", b1, "must be non-decreasing and <= the block count");
            for (index_t b = b0; b < b1; ++b) {
                const index_t col = col_idx_[b];
                detail::require(col < block_cols_, "bsr.col_idx", col, "must be < block_cols");
                detail::require(b == b0 || index_t(col_idx_[b - 1]) < col, "bsr.col_idx", col,
                                "must be strictly increasing within a block row");
                const float* v = values_.data() + b * shape_.size();
                for (index_t j = 0; j < shape_.c; ++j)
                    for (index_t i = 0; i < shape_.r; ++i) {
                        const bool outside = br * shape_.r + i >= rows_ || col * shape_.c + j >= cols_;
                        const float x = v[j * shape_.r + i];
                        detail::require(std::isfinite(x), "bsr.values", x, "must be finite");
                        detail::require(!outside || x == 0.0f, "bsr.values", x, "must be zero outside the matrix (edge block)");
                    }
            }
        }
    }

private:
    friend bsr_matrix pack(matrix_view<const float> dense, block_shape shape);

    void init_shape(index_t rows, index_t cols, block_shape shape)
    {
        detail::require_positive(rows, "bsr.rows");
        detail::require_positive(cols, "bsr.cols");
        shape.validate("bsr.block_shape.r", "bsr.block_shape.c");
        detail::require_addressable(detail::checked_mul(rows, cols, "bsr.rows*cols"), sizeof(float), "bsr.rows*cols");
        rows_ = rows;
        cols_ = cols;
        shape_ = shape;
        block_rows_ = (rows + shape.r - 1) / shape.r;
        block_cols_ = (cols + shape.c - 1) / shape.c;
        detail::require(block_cols_ <= index_t(std::numeric_limits<std::uint32_t>::max()), "bsr.cols", cols,
                        "block columns must fit in uint32");
    }
    void allocate(index_t nnzb)
    {
        detail::require(nnzb <= index_t(std::numeric_limits<std::uint32_t>::max()), "bsr.row_ptr[block_rows]", nnzb,
                        "block count must fit in uint32");
        row_ptr_ = aligned_buffer<std::uint32_t>(block_rows_ + 1);
        col_idx_ = aligned_buffer<std::uint32_t>(nnzb);
        values_ = aligned_buffer<float>(detail::checked_mul(nnzb, shape_.size(), "bsr.values.size"), value_padding);
    }

    index_t rows_ = 0, cols_ = 0, block_rows_ = 0, block_cols_ = 0;
    block_shape shape_{};
    aligned_buffer<std::uint32_t> row_ptr_{1}, col_idx_;
    aligned_buffer<float> values_;

public:
    bsr_matrix(bsr_matrix&&) noexcept = default;
    bsr_matrix& operator=(bsr_matrix&&) noexcept = default;
    /// A deep copy (explicit: packed matrices can be large).
    bsr_matrix clone() const
    {
        bsr_matrix m;
        m.rows_ = rows_;
        m.cols_ = cols_;
        m.block_rows_ = block_rows_;
        m.block_cols_ = block_cols_;
        m.shape_ = shape_;
        m.row_ptr_ = row_ptr_.clone();
        m.col_idx_ = col_idx_.clone();
        m.values_ = values_.clone();
        return m;
    }
};

/// Packs `dense` into r x c blocks, keeping every block that holds a nonzero (so
/// to_dense() gives back `dense` exactly). Prune first with block::project to choose sparsity.
/// Throws finegrain::error for an unsupported block shape or a non-finite weight.
inline bsr_matrix pack(matrix_view<const float> dense, block_shape shape)
{
    detail::require(!dense.empty(), "dense", "empty", "must be a matrix");
    bsr_matrix m;
    m.init_shape(dense.rows(), dense.cols(), shape);
    const index_t r = shape.r, c = shape.c;
    auto block_nonzero = [&](index_t br, index_t bc) {
        for (index_t i = br * r; i < br * r + r && i < m.rows_; ++i)
            for (index_t j = bc * c; j < bc * c + c && j < m.cols_; ++j) {
                const float v = dense(i, j);
                detail::require(std::isfinite(v), "dense", v, "weights must be finite");
                if (v != 0.0f) return true;
            }
        return false;
    };
    std::vector<std::uint32_t> row_ptr(std::size_t(m.block_rows_ + 1), 0), cols;
    for (index_t br = 0; br < m.block_rows_; ++br) {
        for (index_t bc = 0; bc < m.block_cols_; ++bc)
            if (block_nonzero(br, bc)) cols.push_back(std::uint32_t(bc));
        detail::require(cols.size() <= std::numeric_limits<std::uint32_t>::max(), "dense", "too many blocks",
                        "block count must fit in uint32");
        row_ptr[std::size_t(br + 1)] = std::uint32_t(cols.size());
    }
    m.allocate(index_t(cols.size()));
    std::memcpy(m.row_ptr_.data(), row_ptr.data(), row_ptr.size() * sizeof(std::uint32_t));
    if (!cols.empty()) std::memcpy(m.col_idx_.data(), cols.data(), cols.size() * sizeof(std::uint32_t));
    for (index_t br = 0; br < m.block_rows_; ++br)
        for (index_t b = row_ptr[std::size_t(br)]; b < index_t(row_ptr[std::size_t(br + 1)]); ++b) {
            float* v = m.values_.data() + b * r * c;
            const index_t col0 = index_t(cols[std::size_t(b)]) * c;
            for (index_t j = 0; j < c && col0 + j < m.cols_; ++j)
                for (index_t i = 0; i < r && br * r + i < m.rows_; ++i) v[j * r + i] = dense(br * r + i, col0 + j);
        }
    return m;
}

} // namespace block
} // namespace finegrain
