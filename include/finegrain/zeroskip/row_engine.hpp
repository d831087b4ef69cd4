// SPDX-License-Identifier: BSD-3-Clause
// The machinery shared by every plan built on rows_kernels: weights laid out input-major,
// the per-call list of rows to run (the non-zero inputs, or all of them) cut into groups, and
// the split of the output columns over workers. Plans in zeroskip/ and polarized/ wrap it.
//
// An engine is made once (weights copied and laid out, scratch sized for the worst case) and
// run many times; run() allocates nothing. Per call:
//   1. gather: entry e = an input k that is non-zero in some sample (every k when skip_zeros is
//      off), with its values for all samples; groups of <= max_group entries. With fragments, a
//      group holds entries of one fragment, or (span_two: signed gemm, not partial sums) of two
//      consecutive fragments, split at entry `split` (pairs: each fragment's part padded to an
//      even count with x = 0); fp32 and uint8 batch 1 without fragments list the non-zeros with
//      rows_kernels::nonzero (a lane mask per vector) and cut the list with group_listed;
//   2. the columns are split in col_step multiples over the workers; each zeroes its slice of
//      the accumulators and runs the kernel over all groups (batch > 1: in column tiles that
//      keep the batch x tile accumulators in L2, fp32, or L1, integer); fp32 at batch 1 with several workers splits
//      the groups instead (slice/part_begin: every worker streams whole rows into its own
//      accumulator row, the caller sums them);
//   3. the epilogue writes the slice to the caller's output (transposed: out[o][s]).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/zeroskip/options.hpp"
#include "finegrain/zeroskip/rows_kernels.hpp"

namespace finegrain {
namespace zeroskip {
namespace detail {

inline index_t round_up(index_t v, index_t m) { return (v + m - 1) / m * m; }

/// The constructor checks every engine makes: n outputs, k inputs, batch; partial sums are batch 1.
inline void require_engine_shape(index_t n, index_t k, index_t batch, bool partial_sums)
{
    finegrain::detail::require_positive(n, "weights.rows");
    finegrain::detail::require_positive(k, "weights.cols");
    finegrain::detail::require(k <= index_t(INT32_MAX), "weights.cols", k, "must fit int32");
    finegrain::detail::require(batch >= 1 && batch <= max_batch, "batch", batch, "must be in 1..64");
    finegrain::detail::require(!partial_sums || batch == 1, "batch", batch, "partial sums are batch 1");
}

/// Fragments of k inputs cut every `fragment` (0: one fragment).
inline index_t fragments_of(index_t k, index_t fragment) { return fragment > 0 ? (k + fragment - 1) / fragment : 1; }

/// The checks of every plan's run(x, y): x is K x batch, y is N x batch.
template <class X, class Y>
void require_io(const matrix_view<X>& x, const matrix_view<Y>& y, index_t inputs, index_t outputs, index_t batch)
{
    finegrain::detail::require(!x.empty() && x.rows() == inputs, "x.rows", x.rows(), "must equal the plan's inputs (K)");
    finegrain::detail::require(x.cols() == batch, "x.cols", x.cols(), "must equal the plan's batch");
    finegrain::detail::require(!y.empty() && y.rows() == outputs, "y.rows", y.rows(), "must equal the plan's outputs (N)");
    finegrain::detail::require(y.cols() == batch, "y.cols", y.cols(), "must equal the plan's batch");
}

/// The checks of a batch-1 run(x, y).
inline void require_batch1_io(index_t batch, const void* x, const void* y)
{
    finegrain::detail::require(batch == 1, "batch", batch, "run(x, y) needs a batch-1 plan");
    finegrain::detail::require(x != nullptr && y != nullptr, "x", "nullptr", "x and y must not be null");
}

/// Is any of x[0..n) non-zero? (fp32: as x != 0, so -0 is zero and NaN is not.) Branch-free over
/// the samples, so it vectorises: an OR of the bits, shifted past the fp32 sign.
template <class X>
inline bool any_nonzero(const X* x, index_t n) noexcept
{
    if constexpr (std::is_same<X, float>::value) {
        std::uint32_t bits = 0;
        for (index_t s = 0; s < n; ++s) {
            std::uint32_t u;
            std::memcpy(&u, x + s, sizeof u);
            bits |= u << 1;
        }
        return bits != 0;
    } else {
        std::uint32_t bits = 0;
        for (index_t s = 0; s < n; ++s) bits |= x[s];
        return bits != 0;
    }
}

/// Per-call row lists: sized for the worst case at plan time.
template <class V>
struct row_lists {
    aligned_buffer<std::int32_t> rows;
    aligned_buffer<V> values;  // values[e*batch + s]
    aligned_buffer<index_t> end, out_offset, sign_offset, split, sign_offset2;
    index_t entries = 0, groups = 0;

    void reserve(index_t inputs, index_t fragments, index_t batch)
    {
        // At most 3 pad entries per group (quads), groups <= inputs/max_group + fragments.
        const index_t groups_max = inputs / max_group + fragments + 1;
        const index_t entries_max = inputs + 3 * groups_max;
        rows = aligned_buffer<std::int32_t>(entries_max);
        values = aligned_buffer<V>(finegrain::detail::checked_mul(entries_max, batch, "row lists"));
        end = aligned_buffer<index_t>(groups_max);
        out_offset = aligned_buffer<index_t>(groups_max);
        sign_offset = aligned_buffer<index_t>(groups_max);
        split = aligned_buffer<index_t>(groups_max);
        sign_offset2 = aligned_buffer<index_t>(groups_max);
    }

    row_groups view(bool offsets) const
    {
        row_groups g;
        g.count = groups;
        g.end = end.data();
        g.rows = rows.data();
        g.out_offset = offsets ? out_offset.data() : nullptr;
        g.sign_offset = sign_offset.data();
        g.split = split.data();
        g.sign_offset2 = sign_offset2.data();
        return g;
    }

    /// Groups [g0, g1) as a list of their own (entries keep their indices; no out offsets).
    row_groups slice(index_t g0, index_t g1) const
    {
        row_groups g;
        g.count = g1 - g0;
        g.first = g0 > 0 ? end[g0 - 1] : 0;
        g.end = end.data() + g0;
        g.rows = rows.data();
        g.sign_offset = sign_offset.data() + g0;
        g.split = split.data() + g0;
        g.sign_offset2 = sign_offset2.data() + g0;
        return g;
    }

    /// The first group of part p of `parts` (p = parts: the group count): parts of about equal
    /// entry counts, cut at group boundaries.
    index_t part_begin(index_t p, index_t parts) const
    {
        const index_t target = entries * p / parts;
        return static_cast<index_t>(std::upper_bound(end.data(), end.data() + groups, target) - end.data());
    }

    /// Lists the rows of x (inputs x batch, row stride ldx) to run. `fragment` > 0 cuts groups at
    /// fragment boundaries and records each group's fragment f as out_offset = f*out_stride and
    /// sign_offset = f*sign_stride; `span_two` lets a group continue into the next fragment
    /// (entries [split, end) of the group, sign_offset2 = its f*sign_stride; a one-fragment group
    /// has split = end and sign_offset2 = sign_offset); each fragment's part of a group is padded
    /// to a multiple of `multiple` entries (1, 2 for pairs, 4 for quads; pad entries: x = 0).
    template <class X>
    void gather(const X* x, index_t ldx, index_t inputs, index_t batch, bool skip_zeros, index_t fragment,
                index_t out_stride, index_t sign_stride, index_t multiple, bool span_two = false)
    {
        entries = 0;
        groups = 0;
        const index_t span = fragment > 0 ? fragment : inputs;
        index_t start = 0;  // first entry of the open group
        bool two = false;   // the open group already holds a part of an earlier fragment
        auto open = [&](index_t f) {
            out_offset[groups] = f * out_stride;
            sign_offset[groups] = f * sign_stride;
            sign_offset2[groups] = f * sign_stride;
            two = false;
        };
        auto pad = [&](index_t part_begin) {
            while ((entries - part_begin) % multiple) {
                rows[entries] = rows[entries - 1];
                for (index_t s = 0; s < batch; ++s) values[entries * batch + s] = V(0);
                ++entries;
            }
        };
        auto close = [&](index_t f) {
            if (entries == start) return;
            end[groups] = entries;
            if (!two) split[groups] = entries;
            ++groups;
            start = entries;
            open(f);
        };
        for (index_t f0 = 0, f = 0; f0 < inputs; f0 += span, ++f) {
            const index_t f1 = inputs - f0 < span ? inputs : f0 + span;
            if (entries == start) {
                open(f);
            } else {  // span_two: the open group (one fragment so far) continues into fragment f
                split[groups] = entries;
                sign_offset2[groups] = f * sign_stride;
                two = true;
            }
            auto part_begin = [&] { return two ? split[groups] : start; };
            if (batch == 1) {
                for (index_t k = f0; k < f1; ++k) {
                    const X v = x[k * ldx];
                    rows[entries] = static_cast<std::int32_t>(k);
                    values[entries] = static_cast<V>(v);
                    entries += (!skip_zeros || v != X(0)) ? 1 : 0;  // branch-free: overwritten when zero
                    if (entries - start == max_group) close(f);
                }
            } else {
                for (index_t k = f0; k < f1; ++k) {
                    const X* xk = x + k * ldx;
                    if (skip_zeros && !any_nonzero(xk, batch)) continue;
                    rows[entries] = static_cast<std::int32_t>(k);
                    for (index_t s = 0; s < batch; ++s) values[entries * batch + s] = static_cast<V>(xk[s]);
                    ++entries;
                    if (entries - start == max_group) close(f);
                }
            }
            if (two && entries == split[groups]) {  // fragment f added nothing: the group stays one-fragment
                sign_offset2[groups] = sign_offset[groups];
                two = false;
            }
            if (entries > start) pad(part_begin());
            if (entries - start >= max_group || !span_two || two) close(f + 1);
        }
        close(0);
    }

    /// Groups for `count` entries already listed in rows/values (no fragments, batch 1):
    /// max_group each; the list is padded to a multiple of `multiple` entries (x = 0), so every
    /// group holds whole pairs (2) or quads (4).
    void group_listed(index_t count, index_t multiple = 1)
    {
        while (count % multiple) {
            rows[count] = rows[count - 1];
            values[count] = V(0);
            ++count;
        }
        entries = count;
        groups = (count + max_group - 1) / max_group;
        for (index_t g = 0; g < groups; ++g) {
            end[g] = (g + 1) * max_group < count ? (g + 1) * max_group : count;
            out_offset[g] = sign_offset[g] = sign_offset2[g] = 0;
            split[g] = end[g];
        }
    }

    /// Every row in order as one group of `count` entries (quad_panels: values are filled by the plan).
    void all_rows(index_t count)
    {
        entries = count;
        groups = 1;
        end[0] = count;
        out_offset[0] = sign_offset[0] = sign_offset2[0] = 0;
        split[0] = count;
    }

    /// Pairs (width 2): values[p*batch + s] = x(2p) | x(2p+1) << 16; quads (width 4, uint8
    /// values): x(4p) | x(4p+1) << 8 | x(4p+2) << 16 | x(4p+3) << 24. In place; every group holds
    /// whole pairs or quads.
    void pack(index_t width, index_t batch)
    {
        static_assert(std::is_same<V, std::int32_t>::value, "packed inputs are int32");
        const unsigned shift = width == 4 ? 8u : 16u;
        for (index_t p = 0; p < entries / width; ++p)
            for (index_t s = 0; s < batch; ++s) {
                std::uint32_t v = 0;
                for (index_t i = width; i-- > 0;) v = (v << shift) | static_cast<std::uint32_t>(values[(width * p + i) * batch + s]);
                values[p * batch + s] = static_cast<std::int32_t>(v);
            }
    }
};

/// Columns [0, padded) split over `tasks` workers in col_step multiples.
struct column_split {
    index_t padded = 0, per_task = 0, tasks = 1;

    void plan(index_t columns, index_t workers)
    {
        padded = round_up(columns, col_step);
        per_task = round_up((padded + workers - 1) / workers, col_step);
        tasks = (padded + per_task - 1) / per_task;
    }
    index_t begin(index_t t) const { return t * per_task; }
    index_t end(index_t t) const { return std::min(padded, (t + 1) * per_task); }
};

/// Accumulators per column tile at batch > 1 (batch x tile values). fp32: 128 KB, in L2; the
/// weight rows are then read in 8 KB pieces at batch 16 (Zen 5, fc7 from DRAM, 0 / 70 / 90 %
/// shared zeros, against 32 KB tiles: batch 16 0.73-0.75 / 2.26-2.30 / 5.76-5.93 -> 0.75 /
/// 2.39-2.44 / 6.06-6.46 x our GEMM, batch 8 0.83-0.88 / 2.73-2.79 / 6.94-7.75 -> 0.98-1.04 /
/// 3.16-3.21 / 7.86-9.07; 64 KB gained less, 256 and 512 KB no more). Integer: 32 KB, in
/// L1 (their benchmarks read the weights from L3, and 128 KB lost 5-10 % at batch 16).
constexpr index_t f32_tile_values = 32768;
constexpr index_t int_tile_values = 8192;

/// Columns per tile for batch > 1: about `values` accumulators (batch x tile).
inline index_t column_tile(index_t batch, index_t values)
{
    return std::max(col_step, (values / std::max<index_t>(1, batch)) / col_step * col_step);
}

} // namespace detail
} // namespace zeroskip
} // namespace finegrain
