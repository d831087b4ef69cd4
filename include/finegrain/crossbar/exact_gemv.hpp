// SPDX-License-Identifier: BSD-3-Clause
// crossbar::exact_gemv_plan: y = W x exactly for int16-range weights and unsigned 8/16-bit
// inputs, on the pmaddwd-class kernel crossbar_kernels<Arch>::exact_gemv. It is what an ideal
// crossbar computes, and the digital baseline the crossbar model's speed is measured against.
// This is the library's one exact GEMV for the crossbar: zeroskip::int_gemm_plan (issue 5) also
// computes exact integer GEMVs but cannot serve here - its dense weights are int8 (crossbar
// weights go up to 16 bits), it rejects 16-bit inputs at K = 1152 (its int32 worst case), and on
// the 1152x128 8-bit-input FC case it measured 8.9 us against 4.5 us for this kernel (avx2,
// bench/RESULTS.md, crossbar section). The kernel's int16 pair dot product is simd::dot2.
//
//   crossbar::exact_gemv_plan plan(w /* N x K int32, |w| <= 32767 */, 16 /* input bits */);
//   plan.run(x /* K uint16 */, y /* N int64 */);
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/crossbar/kernels.hpp"
#include "finegrain/simd/dispatch.hpp"

namespace finegrain {
namespace crossbar {

class exact_gemv_plan {
public:
    exact_gemv_plan(matrix_view<const std::int32_t> w, int input_bits)
    {
        detail::require(!w.empty(), "weights", "empty", "must be a matrix");
        detail::require(input_bits >= 1 && input_bits <= 16, "input_bits", input_bits, "must be in [1, 16]");
        n_ = w.rows();
        k_ = w.cols();
        wide_inputs_ = input_bits > 8;
        arch_ = simd::with_best_arch([&](auto arch) {
            using K = crossbar_kernels<decltype(arch)>;
            block_ = K::gemv_block;
            kernel_ = &K::exact_gemv;
        });
        // K is cut into chunks of at most 128 pairs so int32 byte-half sums cannot overflow.
        k_pairs_ = (k_ + 1) / 2;
        blocks_ = (n_ + block_ - 1) / block_;
        packed_ = aligned_buffer<std::int16_t>(detail::checked_mul(blocks_ * k_pairs_, block_ * 2, "exact_gemv_plan weights"));
        for (index_t n = 0; n < n_; ++n)
            for (index_t k = 0; k < k_; ++k) {
                const std::int32_t v = w(n, k);
                detail::require(v >= -32767 && v <= 32767, "weights", v, "must be in [-32767, 32767]");
                const index_t b = n / block_, o = n % block_;
                packed_[((b * k_pairs_ + k / 2) * block_ + o) * 2 + k % 2] = static_cast<std::int16_t>(v);
            }
        x_lo_ = aligned_buffer<std::int32_t>(k_pairs_);
        x_hi_ = aligned_buffer<std::int32_t>(k_pairs_);
        y_ = aligned_buffer<std::int64_t>(blocks_ * block_);
        name_ = std::string(wide_inputs_ ? "u16" : "u8") + "_exact_gemv_" + std::to_string(block_) + "__" + simd::to_string(arch_);
    }

    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }

    /// y (N) = W x (K inputs < 2^input_bits, unchecked). One call at a time per plan.
    void run(const std::uint16_t* x, std::int64_t* y) const
    {
        for (index_t j = 0; j < k_pairs_; ++j) {
            const unsigned a = x[2 * j], b = 2 * j + 1 < k_ ? x[2 * j + 1] : 0u;
            x_lo_[j] = std::int32_t((a & 0xFFu) | ((b & 0xFFu) << 16));
            x_hi_[j] = std::int32_t((a >> 8) | ((b >> 8) << 16));
        }
        std::memset(y_.data(), 0, y_.bytes());
        const index_t chunk = 128;  // 256 k x 255 x 32767 < 2^31
        for (index_t j0 = 0; j0 < k_pairs_; j0 += chunk) {
            exact_gemv_args a;
            a.k_pairs = k_pairs_ - j0 < chunk ? k_pairs_ - j0 : chunk;
            a.blocks = blocks_;
            a.w = packed_.data() + j0 * block_ * 2;
            a.x_lo = x_lo_.data() + j0;
            a.x_hi = wide_inputs_ ? x_hi_.data() + j0 : nullptr;
            a.y = y_.data();
            a.k_stride = k_pairs_;
            kernel_(a);
        }
        std::memcpy(y, y_.data(), sizeof(std::int64_t) * std::size_t(n_));
    }

private:
    index_t n_ = 0, k_ = 0, k_pairs_ = 0, blocks_ = 0, block_ = 1;
    bool wide_inputs_ = true;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*kernel_)(const exact_gemv_args&) noexcept = nullptr;
    std::string name_;
    aligned_buffer<std::int16_t> packed_;
    mutable aligned_buffer<std::int32_t> x_lo_, x_hi_;
    mutable aligned_buffer<std::int64_t> y_;
};

} // namespace crossbar
} // namespace finegrain
