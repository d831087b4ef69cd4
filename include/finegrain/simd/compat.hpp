// SPDX-License-Identifier: BSD-3-Clause
// The only file that looks at XSIMD_VERSION_MAJOR: spellings that changed after 8.1.
#pragma once

#include <xsimd/xsimd.hpp>

namespace finegrain {
namespace simd {
namespace compat {

/// Horizontal sum of all lanes (`hadd` in xsimd 8, `reduce_add` from 9).
template <class T, class A>
inline T reduce_add(const xsimd::batch<T, A>& b) noexcept
{
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_add(b);
#else
    return xsimd::hadd(b);
#endif
}

} // namespace compat
} // namespace simd
} // namespace finegrain
