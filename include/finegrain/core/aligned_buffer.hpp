// SPDX-License-Identifier: BSD-3-Clause
// aligned_buffer<T>: an owning, zero-initialised, 64-byte aligned array (move-only).
// Opt-in page_policy::huge: on Linux, a buffer of at least 2 MB gets its own 2 MB-aligned
// mapping advised MADV_HUGEPAGE before its first touch (transparent huge pages in `madvise`
// mode): large streamed weights then cost few TLB misses. Elsewhere, or if the mapping fails,
// it is an ordinary buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "finegrain/core/index.hpp"

namespace finegrain {

/// How an aligned_buffer takes its pages.
enum class page_policy {
    normal,  // operator new
    huge     // Linux, >= 2 MB: a 2 MB-aligned anonymous mapping with MADV_HUGEPAGE (a hint)
};

template <class T>
class aligned_buffer {
    static_assert(std::is_trivially_copyable<T>::value, "aligned_buffer holds trivially copyable values");

public:
    static constexpr std::size_t alignment = 64;  // one cache line; enough for any SIMD load

    aligned_buffer() = default;
    /// `size` zero-initialised elements, plus `padding` more (also zero) that kernels may
    /// over-read; size() excludes the padding.
    explicit aligned_buffer(index_t size, index_t padding = 0, page_policy pages = page_policy::normal)
    {
        detail::require_non_negative(size, "aligned_buffer.size");
        detail::require_non_negative(padding, "aligned_buffer.padding");
        const index_t total = detail::checked_add(size, padding, "aligned_buffer.size+padding");
        detail::require_addressable(total, sizeof(T), "aligned_buffer.size");
        size_ = size;
        capacity_ = total;
        if (total > 0) {
            const std::size_t bytes = static_cast<std::size_t>(total) * sizeof(T);
            if (pages == page_policy::huge && map_huge(bytes)) return;  // fresh anonymous pages are zero
            data_ = static_cast<T*>(::operator new(bytes, std::align_val_t{alignment}));
            std::memset(static_cast<void*>(data_), 0, bytes);
        }
    }
    aligned_buffer(aligned_buffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
          capacity_(std::exchange(o.capacity_, 0)), mapped_(std::exchange(o.mapped_, 0))
    {
    }
    aligned_buffer& operator=(aligned_buffer&& o) noexcept
    {
        if (this != &o) {
            release();
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            capacity_ = std::exchange(o.capacity_, 0);
            mapped_ = std::exchange(o.mapped_, 0);
        }
        return *this;
    }
    aligned_buffer(const aligned_buffer&) = delete;
    aligned_buffer& operator=(const aligned_buffer&) = delete;
    ~aligned_buffer() { release(); }

    /// A deep copy (explicit, since buffers can be large).
    aligned_buffer clone() const
    {
        aligned_buffer b(size_, capacity_ - size_, mapped_ ? page_policy::huge : page_policy::normal);
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
    /// True when the buffer is a huge-page-advised mapping (page_policy::huge took effect).
    bool huge_pages_advised() const noexcept { return mapped_ != 0; }

private:
    static constexpr std::size_t huge_page = std::size_t(2) << 20;

    /// page_policy::huge: maps round_up(bytes, 2 MB) at a 2 MB boundary (over-map, trim both
    /// ends), advises MADV_HUGEPAGE before any touch. False (nothing mapped) when not applicable.
    bool map_huge(std::size_t bytes) noexcept
    {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (bytes < huge_page) return false;
        const std::size_t len = (bytes + huge_page - 1) / huge_page * huge_page;
        void* p = ::mmap(nullptr, len + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return false;
        char* const base = static_cast<char*>(p);
        char* const aligned = base + (huge_page - reinterpret_cast<std::uintptr_t>(base) % huge_page) % huge_page;
        if (aligned > base) ::munmap(base, static_cast<std::size_t>(aligned - base));
        if (aligned + len < base + len + huge_page)
            ::munmap(aligned + len, static_cast<std::size_t>(base + len + huge_page - (aligned + len)));
        ::madvise(aligned, len, MADV_HUGEPAGE);  // a hint: ignored where THP is off
        data_ = reinterpret_cast<T*>(aligned);
        mapped_ = len;
        return true;
#else
        (void)bytes;
        return false;
#endif
    }

    void release() noexcept
    {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (data_ && mapped_) ::munmap(static_cast<void*>(data_), mapped_);
#endif
        if (data_ && !mapped_) ::operator delete(static_cast<void*>(data_), std::align_val_t{alignment});
        data_ = nullptr;
        mapped_ = 0;
    }

    T* data_ = nullptr;
    index_t size_ = 0;
    index_t capacity_ = 0;
    std::size_t mapped_ = 0;  // bytes of the huge-page mapping, 0 = operator new
};

} // namespace finegrain
