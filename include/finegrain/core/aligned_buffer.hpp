// SPDX-License-Identifier: BSD-3-Clause
// aligned_buffer<T>: an owning, zero-initialised, 64-byte aligned array (move-only).
#pragma once

#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "finegrain/core/index.hpp"

namespace finegrain {

template <class T>
class aligned_buffer {
    static_assert(std::is_trivially_copyable<T>::value, "aligned_buffer holds trivially copyable values");

public:
    static constexpr std::size_t alignment = 64;  // one cache line; enough for any SIMD load

    aligned_buffer() = default;
    /// `size` zero-initialised elements, plus `padding` more (also zero) that kernels may
    /// over-read; size() excludes the padding.
    explicit aligned_buffer(index_t size, index_t padding = 0)
    {
        detail::require_non_negative(size, "aligned_buffer.size");
        detail::require_non_negative(padding, "aligned_buffer.padding");
        const index_t total = detail::checked_add(size, padding, "aligned_buffer.size+padding");
        detail::require_addressable(total, sizeof(T), "aligned_buffer.size");
        size_ = size;
        capacity_ = total;
        if (total > 0) {
            const std::size_t bytes = static_cast<std::size_t>(total) * sizeof(T);
            data_ = static_cast<T*>(::operator new(bytes, std::align_val_t{alignment}));
            std::memset(static_cast<void*>(data_), 0, bytes);
        }
    }
    aligned_buffer(aligned_buffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
          capacity_(std::exchange(o.capacity_, 0))
    {
    }
    aligned_buffer& operator=(aligned_buffer&& o) noexcept
    {
        if (this != &o) {
            release();
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            capacity_ = std::exchange(o.capacity_, 0);
        }
        return *this;
    }
    aligned_buffer(const aligned_buffer&) = delete;
    aligned_buffer& operator=(const aligned_buffer&) = delete;
    ~aligned_buffer() { release(); }

    /// A deep copy (explicit, since buffers can be large).
    aligned_buffer clone() const
    {
        aligned_buffer b(size_, capacity_ - size_);
        if (capacity_ > 0) std::memcpy(static_cast<void*>(b.data_), data_, static_cast<std::size_t>(capacity_) * sizeof(T));
        return b;
    }

    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    index_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    /// Bytes owned, padding included: what a memory report counts.
    std::size_t bytes() const noexcept { return static_cast<std::size_t>(capacity_) * sizeof(T); }
    T& operator[](index_t i) noexcept { return data_[i]; }
    const T& operator[](index_t i) const noexcept { return data_[i]; }
    T* begin() noexcept { return data_; }
    T* end() noexcept { return data_ + size_; }
    const T* begin() const noexcept { return data_; }
    const T* end() const noexcept { return data_ + size_; }

private:
    void release() noexcept
    {
        if (data_) ::operator delete(static_cast<void*>(data_), std::align_val_t{alignment});
        data_ = nullptr;
    }

    T* data_ = nullptr;
    index_t size_ = 0;
    index_t capacity_ = 0;
};

} // namespace finegrain
