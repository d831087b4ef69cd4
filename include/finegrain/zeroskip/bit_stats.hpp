// SPDX-License-Identifier: BSD-3-Clause
// zeroskip::bit_stats_plan<X>: per fragment of an input vector, the bit length of its largest
// value and its all-zero bit planes: what a crossbar streaming inputs bit-serially skips.
//
//   finegrain::zeroskip::bit_stats_plan<std::uint16_t> stats(4096, 8);
//   stats.run(x, bitlen /* 512 */, zero_planes /* 512 */);
//   // cycles with leading-zero skipping: max(1, bitlen[f]); with all-zero planes skipped too:
//   // max(1, 16 - zero_planes[f])
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/simd/dispatch.hpp"
#include "finegrain/zeroskip/stats_kernels.hpp"

namespace finegrain {
namespace zeroskip {

template <class X>
class bit_stats_plan {
    static_assert(std::is_same<X, std::uint8_t>::value || std::is_same<X, std::uint16_t>::value,
                  "inputs are std::uint8_t or std::uint16_t");

public:
    /// k inputs cut into fragments of m (the last one shorter when m does not divide k).
    bit_stats_plan(index_t k, index_t m) : k_(k), m_(m)
    {
        finegrain::detail::require_positive(k, "k");
        finegrain::detail::require(m >= 1, "m", m, "fragment size must be >= 1");
        auto use = [&](auto arch) {
            using K = stats_kernels<decltype(arch)>;
            arch_ = decltype(arch)::id;
            if constexpr (std::is_same<X, std::uint8_t>::value)
                fn_ = &K::bit_stats_u8;
            else
                fn_ = &K::bit_stats_u16;
        };
        simd::with_best_arch(use);
        // The fragment sizes with avx2's 16-fragment pshufb path run it on avx512 too (whose
        // kernel ORs them one by one; Zen 5, 4096 u16 at m = 8: 0.13 us on avx2, 0.61 on avx512).
        const bool x16 = sizeof(X) == 2 ? (m == 4 || m == 8 || m == 16) : (m == 8 || m == 16);
        if (arch_ == simd::arch_id::avx512 && x16) simd::with_arch(simd::arch_id::avx2, use);
        name_ = std::string(sizeof(X) == 1 ? "u8" : "u16") + "_bitstats_m" + std::to_string(m) + "__" + simd::to_string(arch_);
    }

    index_t inputs() const noexcept { return k_; }
    index_t fragments() const noexcept { return (k_ + m_ - 1) / m_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }

    /// x: inputs() values; bitlen, zero_planes: fragments() values each.
    void run(const X* x, std::uint8_t* bitlen, std::uint8_t* zero_planes) const
    {
        finegrain::detail::require(x != nullptr && bitlen != nullptr && zero_planes != nullptr, "x", "nullptr",
                        "x, bitlen and zero_planes must not be null");
        fn_(x, k_, m_, bitlen, zero_planes);
    }

private:
    index_t k_, m_;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*fn_)(const X*, index_t, index_t, std::uint8_t*, std::uint8_t*) noexcept = nullptr;
    std::string name_;
};

} // namespace zeroskip
} // namespace finegrain
