// SPDX-License-Identifier: BSD-3-Clause
// simd::batch<T, Arch>: the vector type kernels are written in. For SIMD tags it is
// xsimd::batch<T, Arch::xsimd_arch>; for `scalar` it is scalar_batch<T>, one lane with the
// same interface, so one kernel source serves every architecture.
//
// Kernels call the free functions below (simd::fma, simd::max, simd::reduce_add, ...), never
// xsimd directly, so the scalar tag and xsimd version differences stay in this file and compat.hpp.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "finegrain/simd/arch.hpp"
#include "finegrain/simd/compat.hpp"

namespace finegrain {
namespace simd {

/// One lane with the subset of the xsimd::batch interface the kernels use.
template <class T>
struct scalar_batch {
    static constexpr std::size_t size = 1;
    T v{};

    scalar_batch() = default;
    scalar_batch(T x) : v(x) {}  // NOLINT(google-explicit-constructor): broadcast, as xsimd
    static scalar_batch broadcast(T x) { return scalar_batch(x); }
    static scalar_batch load_unaligned(const T* p) { return scalar_batch(*p); }
    static scalar_batch load_aligned(const T* p) { return scalar_batch(*p); }
    void store_unaligned(T* p) const { *p = v; }
    void store_aligned(T* p) const { *p = v; }
    T get(std::size_t) const { return v; }

    friend scalar_batch operator+(scalar_batch a, scalar_batch b) { return a.v + b.v; }
    friend scalar_batch operator-(scalar_batch a, scalar_batch b) { return a.v - b.v; }
    friend scalar_batch operator*(scalar_batch a, scalar_batch b) { return a.v * b.v; }
    scalar_batch& operator+=(scalar_batch b) { v += b.v; return *this; }
};

namespace detail {
template <class T, class Arch>
struct batch_of {
    using type = xsimd::batch<T, typename Arch::xsimd_arch>;
};
template <class T>
struct batch_of<T, scalar> {
    using type = scalar_batch<T>;
};
} // namespace detail

template <class T, class Arch>
using batch = typename detail::batch_of<T, Arch>::type;

// ---- ops: a*b + c, max, min, clamp, horizontal sum ------------------------------------------
// Written as one overload for xsimd batches and one for scalar_batch; each is a template, so
// every architecture gets its own instantiation (no ODR sharing between arch TUs).

template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> fma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b,
                                               const xsimd::batch<T, A>& c) noexcept
{
    return xsimd::fma(a, b, c);
}
template <class T>
FINEGRAIN_ALWAYS_INLINE scalar_batch<T> fma(scalar_batch<T> a, scalar_batch<T> b, scalar_batch<T> c) noexcept
{
    return a.v * b.v + c.v;
}

template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
{
    return xsimd::max(a, b);
}
template <class T>
FINEGRAIN_ALWAYS_INLINE scalar_batch<T> max(scalar_batch<T> a, scalar_batch<T> b) noexcept
{
    return a.v < b.v ? b.v : a.v;
}

template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> min(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
{
    return xsimd::min(a, b);
}
template <class T>
FINEGRAIN_ALWAYS_INLINE scalar_batch<T> min(scalar_batch<T> a, scalar_batch<T> b) noexcept
{
    return b.v < a.v ? b.v : a.v;
}

/// The fused-activation clamp: min(max(x, lo), hi) with a NaN x passed through on every arch,
/// as apply_activation (core/activation.hpp) does. x86 max/min return their second operand when
/// either is NaN, so x goes second (NEON's propagate NaN either way).
template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> clamp(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& lo,
                                                 const xsimd::batch<T, A>& hi) noexcept
{
    return xsimd::min(hi, xsimd::max(lo, x));
}
template <class T>
FINEGRAIN_ALWAYS_INLINE scalar_batch<T> clamp(scalar_batch<T> x, scalar_batch<T> lo, scalar_batch<T> hi) noexcept
{
    const T v = x.v < lo.v ? lo.v : x.v;
    return v > hi.v ? hi.v : v;
}

template <class T, class A>
FINEGRAIN_ALWAYS_INLINE T reduce_add(const xsimd::batch<T, A>& b) noexcept
{
    return compat::reduce_add(b);
}
template <class T>
FINEGRAIN_ALWAYS_INLINE T reduce_add(scalar_batch<T> b) noexcept
{
    return b.v;
}

// ---- lane reinterpretation and interleave (SIMD tags only) ----------------------------------

/// The bits of `v` as a batch of another lane type of the same register (xsimd::bitwise_cast).
template <class To, class T, class A>
FINEGRAIN_ALWAYS_INLINE To reinterpret(const xsimd::batch<T, A>& v) noexcept
{
    return xsimd::bitwise_cast<To>(v);
}

/// a0 b0 a1 b1 ... from the low halves of a and b (zip_lo), or from the high halves (zip_hi).
template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> zip_lo(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
{
    return xsimd::zip_lo(a, b);
}
template <class T, class A>
FINEGRAIN_ALWAYS_INLINE xsimd::batch<T, A> zip_hi(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
{
    return xsimd::zip_hi(a, b);
}

} // namespace simd
} // namespace finegrain
