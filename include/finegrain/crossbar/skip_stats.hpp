// SPDX-License-Identifier: BSD-3-Clause
// crossbar::skip_stats: which input cycles each fragment of an MVM runs under zero-skipping,
// decided from the zero-skip family's statistics (zeroskip::bit_stats_plan: per fragment, the
// bit length of its largest input and its all-zero bit planes), computed once per input vector.
//
//   crossbar::skip_stats skip(cfg, geo);   // the bit_stats plan and per-fragment arrays, once
//   skip.compute(x);                       // per MVM: no allocation
//   skip.cycles_run(f, xf, rows);          // how many cycles fragment f runs
//   skip.cycles(f, xf, rows, list);        // which ones (ascending)
//
// Fragment f runs input cycle t (input slice t = bits [t d, t d + d), t < input_cycles T) unless
//   leading          t >= ceil(bitlen[f] / d)            -> runs min(ceil(bitlen / d), T) cycles
//   all_zero_cycles  slice t of every input of f is zero
// (an all-zero fragment runs no cycle). For all_zero_cycles with d = 1 the count is the non-zero
// bit planes, 16 - zero_planes[f]: the inputs are < 2^input_bits, so no plane at or above
// input_bits = T is set (checked through bitlen). bit_stats counts zero planes but does not say
// which ones, nor whether a d-bit slice (d > 1) is zero: the list of cycles, and every
// all_zero_cycles decision with d > 1 (or with an input >= 2^input_bits), come from the
// fragment's own OR here. ref::crossbar_fragment_cycles is the plain oracle of both.
#pragma once

#include <cstdint>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/mapping.hpp"
#include "finegrain/zeroskip/bit_stats.hpp"

namespace finegrain {
namespace crossbar {

class skip_stats {
public:
    skip_stats(const crossbar_config& cfg, const geometry& g)
        : stats_(g.inputs, g.fragment_rows), skip_(cfg.skip), d_(cfg.dac_bits), input_bits_(cfg.input_bits),
          total_(cfg.input_cycles()), bitlen_(g.fragments), zero_planes_(g.fragments)
    {
    }

    /// The statistics of input vector x (geometry's K values).
    void compute(const std::uint16_t* x) { stats_.run(x, bitlen_.data(), zero_planes_.data()); }

    index_t inputs() const noexcept { return stats_.inputs(); }
    index_t fragments() const noexcept { return stats_.fragments(); }
    /// Kernel name of the bit_stats plan, e.g. "u16_bitstats_m8__avx2".
    const char* kernel_name() const noexcept { return stats_.kernel_name(); }
    simd::arch_id arch() const noexcept { return stats_.arch(); }

    /// Bit length of fragment f's largest input and its all-zero planes of 16 (last compute()).
    int bitlen(index_t f) const noexcept { return bitlen_[f]; }
    int zero_planes(index_t f) const noexcept { return zero_planes_[f]; }

    /// How many cycles fragment f (inputs xf[0..rows)) runs.
    int cycles_run(index_t f, const std::uint16_t* xf, index_t rows) const noexcept
    {
        if (skip_ == zero_skip::none) return total_;
        if (skip_ == zero_skip::leading) return leading_cycles(f);
        if (d_ == 1 && bitlen_[f] <= input_bits_) return 16 - zero_planes_[f];
        return slice_cycles(xf, rows, nullptr);  // d > 1: which d-bit slices are zero is not in bit_stats
    }

    /// The cycles fragment f runs, ascending, written to `list` (16 entries); returns how many.
    int cycles(index_t f, const std::uint16_t* xf, index_t rows, int* list) const noexcept
    {
        if (skip_ == zero_skip::all_zero_cycles &&
            !(d_ == 1 && bitlen_[f] <= input_bits_ && 16 - zero_planes_[f] == bitlen_[f]))  // interior zero planes
            return slice_cycles(xf, rows, list);
        const int n = skip_ == zero_skip::none ? total_ : leading_cycles(f);
        for (int t = 0; t < n; ++t) list[t] = t;
        return n;
    }

private:
    int leading_cycles(index_t f) const noexcept
    {
        const int n = (bitlen_[f] + d_ - 1) / d_;
        return n < total_ ? n : total_;
    }

    // The cycles whose slice of the fragment's OR is non-zero (to `list` when not null).
    int slice_cycles(const std::uint16_t* xf, index_t rows, int* list) const noexcept
    {
        unsigned any = 0;
        for (index_t r = 0; r < rows; ++r) any |= xf[r];
        const unsigned mask = (1u << d_) - 1u;
        int n = 0;
        for (int t = 0; t < total_; ++t)
            if ((any >> (t * d_)) & mask) {
                if (list) list[n] = t;
                ++n;
            }
        return n;
    }

    zeroskip::bit_stats_plan<std::uint16_t> stats_;
    zero_skip skip_;
    int d_, input_bits_, total_;
    aligned_buffer<std::uint8_t> bitlen_, zero_planes_;
};

} // namespace crossbar
} // namespace finegrain
