// SPDX-License-Identifier: BSD-3-Clause
// The signed index type of the public API and overflow-checked size arithmetic.
#pragma once

#include <cstddef>
#include <limits>

#include "finegrain/core/error.hpp"

namespace finegrain {

/// Sizes and strides in the public API are signed, so a negative value is reported as such
/// instead of wrapping to a huge unsigned one. Units are always elements, never bytes.
using index_t = std::ptrdiff_t;

namespace detail {

/// a * b, or finegrain::error naming `argument` when the product overflows index_t.
inline index_t checked_mul(index_t a, index_t b, const char* argument)
{
    index_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) throw_invalid(argument, "overflow", "size product exceeds index range");
    return r;
}

inline index_t checked_add(index_t a, index_t b, const char* argument)
{
    index_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) throw_invalid(argument, "overflow", "size sum exceeds index range");
    return r;
}

inline void require_positive(index_t v, const char* argument)
{
    require(v > 0, argument, v, "must be > 0");
}

inline void require_non_negative(index_t v, const char* argument)
{
    require(v >= 0, argument, v, "must be >= 0");
}

/// Elements of a byte buffer of `count` values of size `elem` must fit in index_t bytes.
inline void require_addressable(index_t count, std::size_t elem, const char* argument)
{
    require(count >= 0 && static_cast<std::size_t>(count) <=
                              static_cast<std::size_t>(std::numeric_limits<index_t>::max()) / elem,
            argument, count, "byte size exceeds address range");
}

} // namespace detail
} // namespace finegrain
