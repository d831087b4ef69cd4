// SPDX-License-Identifier: BSD-3-Clause
// Fused epilogues: out = clamp(acc + bias[row], lo, hi). ReLU is [0, inf), ReLU6 is [0, 6].
#pragma once

#include <limits>

namespace finegrain {

enum class activation { none, relu, relu6 };

inline const char* to_string(activation a) noexcept
{
    switch (a) {
    case activation::relu: return "relu";
    case activation::relu6: return "relu6";
    default: return "none";
    }
}

/// The clamp bounds an activation stands for.
struct clamp_bounds {
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();
};

inline clamp_bounds bounds_of(activation a) noexcept
{
    clamp_bounds b;
    if (a != activation::none) b.lo = 0.0f;
    if (a == activation::relu6) b.hi = 6.0f;
    return b;
}

/// Scalar epilogue shared by reference kernels: clamp(v, lo, hi) with NaN passed through.
inline float apply_activation(float v, activation a) noexcept
{
    const clamp_bounds b = bounds_of(a);
    if (v < b.lo) v = b.lo;
    if (v > b.hi) v = b.hi;
    return v;
}

} // namespace finegrain
