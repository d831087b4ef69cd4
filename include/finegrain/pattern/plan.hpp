// SPDX-License-Identifier: BSD-3-Clause
// pattern::conv3x3_plan<float>: pattern-sparse 3x3 convolution, NCHW fp32, plan once, run many.
//
//   auto packed = finegrain::pattern::pack(projected_weights, finegrain::pattern::pattern_set::patdnn4());
//   finegrain::pattern::conv3x3_options opt;  opt.bias = bias;  opt.act = finegrain::activation::relu;
//   finegrain::pattern::conv3x3_plan<float> plan(packed, shape, opt);
//   plan.run(input, output);                 // no allocation, no dispatch
//   std::puts(plan.kernel_name());           // e.g. "f32_conv3x3_pattern_lre_relu_5x16__avx2"
//
// Shapes: 3x3 kernels, stride 1 or 2 and padding 0 or 1 (per axis), any batch, H and W >= 1.
// At plan time: the kernel (arch, filter block NF, vectors V or rows R x vectors V, tap count) is
// chosen once; the FKW weights are re-laid for it: filters in FKR order are grouped into blocks
// of NF filters with identical kernel lists (dummy zero filters pad a short block), and each
// block's kernels are split per channel block, each carrying its k tap offsets (row tiles: the
// pattern's vertical tap pair first). run() per image: one parallel_for, task = (band of output
// rows, range of filter blocks), at most one per worker (one worker: one task, the whole image),
// the split chosen at plan time by a cost model (bands unless the rows are too few;
// options.row_bands may ask for more bands than workers). A task walks
// its band in tiles of whole rows (~48 vectors); per tile and channel block it (1) copies the
// block's input rows into its worker's slab of zero-padded, aligned tap planes (kernels.hpp), (2)
// runs its filters over them (row tiles: one kernel call loops the filters, block-major when an
// R x V block's planes fit L1), accumulating in its flat output rows, then (3) copies the tile's
// valid columns to NCHW: the planes of one tile and channel block stay in L1/L2 (the whole
// image's planes, 3x the input, overflow a 512 KB L2 on the bench layers), no hand-off, no planes
// shared between cores. Copies and stores are part of the timed work.
// Grouped layouts (runs of 16 or 8 filters with identical kernel lists, as project(..., g)
// produces) take the output-channel-vectorised kernels of group_kernels.hpp instead, with one
// parallel_for per image: task = (band of output rows, range of groups), at most one per worker,
// the split chosen at plan time from a cost model (rows when the input outweighs the weights,
// groups otherwise); each task walks its band in blocks of rows whose input fits L2, copies the block's
// input rows into its worker's zero-bordered slab (no copy for padding 0 on a dense view) and
// runs its groups over them, writing the NCHW output directly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "finegrain/core/activation.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/pattern/format.hpp"
#include "finegrain/pattern/group_kernels.hpp"
#include "finegrain/pattern/kernels.hpp"
#include "finegrain/simd/dispatch.hpp"

namespace finegrain {
namespace pattern {

struct conv3x3_options {
    const float* bias = nullptr;  // out_channels values (copied into the plan), or null
    activation act = activation::none;
    executor* pool = nullptr;     // null = the calling thread
    // Tuning knobs; 0 = the plan decides. Benchmarks sweep them.
    index_t filter_block = 0;     // NF: 1, 2 or 4 filters per register tile (needs shared kernel lists)
    index_t tile_vectors = 0;     // V: vectors per register tile
    index_t channel_block = 0;    // input channels per pass over a pixel tile
    index_t task_vectors = 0;     // vectors per pixel tile of a task (rounded to whole rows)
    // Row tiles with kernel-level LRE (1 filter, R rows x V vectors, one load per input row
    // shared by a pattern's vertical tap pair): 0 = auto (k = 4 and every pattern of the
    // library has such a pair), 1 = off (flat tiles).
    index_t tile_rows = 0;
    // Row tiles: 0 = auto (block-major when one R x V block of a channel block's planes fits
    // L1), 1 = block-major (every filter per R x V block), 2 = filter-major (each filter over
    // the whole task tile, ~48 vectors).
    index_t row_order = 0;
    // Output-channel-vectorised kernels (group_kernels.hpp) for filters that share kernel
    // lists in groups: 0 = auto (16, else 8, when the layout is grouped and the arch has the
    // kernel), 1 = never (tap-plane kernels above), 8 or 16 = that group width.
    index_t filter_group = 0;
    index_t group_rows = 0;       // group kernels: output rows per block (0 = input rows fill ~256 KB)
    // Tap-plane kernels: bands of output rows per image (0 = the plan's cost model, at most
    // one per worker; the workers left over split each band's filters; more bands than
    // workers: tasks taken in turn).
    index_t row_bands = 0;
};

template <class T>
class conv3x3_plan;

template <>
class conv3x3_plan<float> {
public:
    conv3x3_plan(const packed_weights& w, const conv2d_shape& shape, const conv3x3_options& opt = {})
        : shape_(shape), act_(opt.act), pool_(opt.pool)
    {
        validate(w, opt);
        k_ = w.k();
        choose_kernel(w, opt);
        build_blocks(w, opt);
        if (group_) {
            layout_bordered_geometry();
        } else {
            choose_blocking(w, opt);
            layout_geometry();
        }
        build_schedule(w);
        if (group_) plan_group_tasks();
        input_ = aligned_buffer<float>(input_floats_);
        if (!group_)
            output_ = aligned_buffer<float>(detail::checked_mul(detail::checked_mul(rows_, row_stride_, "conv3x3_plan output"),
                                                                index_t(concurrency_of(pool_)), "conv3x3_plan output"));
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    /// Canonical name of the kernel: f32_conv3x3_pattern[_act]_<NF>x<V*lanes>__<arch> (tap
    /// planes), f32_conv3x3_pattern_lre[_act]_<R>x<V*lanes>__<arch> (tap-plane row tiles, R rows)
    /// or f32_conv3x3_pattern_group[_act]_<G>x<P>__<arch> (G filters x P pixels).
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }
    /// Tap-plane kernels on `best` for output rows of `out_width`: do they run the 8-lane avx2
    /// kernels instead? Yes on avx512 for rows of at most 8 outputs: 16-lane planes would waste
    /// half of every vector (Zen 5, rn18_3x3_7 at 8x: 1.49x oneDNN on avx512, 2.13x on avx2).
    static bool takes_8_lanes(simd::arch_id best, index_t out_width)
    {
        return best == simd::arch_id::avx512 && out_width <= 8 && simd::is_compiled<simd::avx2>() &&
               simd::runnable(simd::arch_id::avx2);
    }
    index_t filter_block() const noexcept { return nf_; }
    index_t tile_vectors() const noexcept { return v_; }
    /// R of the row-tile (LRE) kernel, or 0 for flat tiles.
    index_t tile_rows() const noexcept { return r_; }
    index_t channel_block() const noexcept { return cb_; }
    index_t task_vectors() const noexcept { return tv_; }
    /// Row tiles: true when every filter runs per R x V block (block-major).
    bool block_major() const noexcept { return block_major_; }
    /// Tap-plane kernels: bands of output rows per image and ranges of filter blocks per band
    /// (one task each; 1 and 1 on one worker); 0 for the group kernels.
    index_t row_bands() const noexcept { return group_ ? 0 : static_cast<index_t>(band_.size()) - 1; }
    index_t filter_ranges() const noexcept { return group_ ? 0 : ranges_; }
    /// G of the output-channel-vectorised kernel, or 0 when the tap-plane kernels run.
    index_t filter_group() const noexcept { return group_; }
    /// Bytes the plan holds: re-laid weights and schedule, bias, input and output scratch.
    std::size_t bytes() const noexcept
    {
        return (out_channel_.size() + kernel_tap_.size() + kernel_tap_direct_.size()) * sizeof(std::int32_t) +
               runs_.size() * sizeof(conv3x3_filter_run) + run_begin_.size() * sizeof(index_t) +
               weights_.bytes() + bias_.bytes() + input_.bytes() + output_.bytes();
    }

    /// out = act(conv(in) + bias). Throws finegrain::error on a shape mismatch. One call at a
    /// time per plan (it owns the scratch); in and out must not overlap.
    void run(tensor4_view<const float> in, tensor4_view<float> out) const
    {
        detail::require_tensor_dims(in, shape_.input_dims(), "input");
        detail::require_tensor_dims(out, shape_.output_dims(), "output");
        for (index_t b = 0; b < shape_.batch; ++b) {
            if (group_) {
                run_groups(in, out, b);
                continue;
            }
            run_bands(in, out, b);
        }
    }

private:
    void validate(const packed_weights& w, const conv3x3_options& opt) const
    {
        shape_.validate();
        detail::require(shape_.kernel_h == 3 && shape_.kernel_w == 3, "conv2d_shape.kernel_h", shape_.kernel_h,
                        "pattern conv needs 3x3 kernels");
        detail::require(shape_.stride_h == 1 || shape_.stride_h == 2, "conv2d_shape.stride_h", shape_.stride_h, "must be 1 or 2");
        detail::require(shape_.stride_w == 1 || shape_.stride_w == 2, "conv2d_shape.stride_w", shape_.stride_w, "must be 1 or 2");
        detail::require(shape_.pad_h <= 1, "conv2d_shape.pad_h", shape_.pad_h, "must be 0 or 1");
        detail::require(shape_.pad_w <= 1, "conv2d_shape.pad_w", shape_.pad_w, "must be 0 or 1");
        detail::require(!w.patterns().empty(), "weights", "empty", "must be packed weights");
        detail::require(w.out_channels() == shape_.out_channels, "weights.out_channels", w.out_channels(), "must match the shape");
        detail::require(w.in_channels() == shape_.in_channels, "weights.in_channels", w.in_channels(), "must match the shape");
        detail::require(opt.filter_block == 0 || opt.filter_block == 1 || opt.filter_block == 2 || opt.filter_block == 4,
                        "options.filter_block", opt.filter_block, "must be 0 (auto), 1, 2 or 4");
        detail::require(opt.tile_vectors >= 0, "options.tile_vectors", opt.tile_vectors, "must be >= 0");
        detail::require(opt.channel_block >= 0, "options.channel_block", opt.channel_block, "must be >= 0");
        detail::require(opt.task_vectors >= 0, "options.task_vectors", opt.task_vectors, "must be >= 0");
        detail::require(opt.tile_rows == 0 || opt.tile_rows == 1, "options.tile_rows", opt.tile_rows, "must be 0 (auto) or 1 (off)");
        detail::require(opt.row_order >= 0 && opt.row_order <= 2, "options.row_order", opt.row_order,
                        "must be 0 (auto), 1 (block-major) or 2 (filter-major)");
        detail::require(opt.filter_group == 0 || opt.filter_group == 1 || opt.filter_group == 8 || opt.filter_group == 16,
                        "options.filter_group", opt.filter_group, "must be 0 (auto), 1 (off), 8 or 16");
        detail::require(opt.group_rows >= 0, "options.group_rows", opt.group_rows, "must be >= 0");
        detail::require(opt.row_bands >= 0, "options.row_bands", opt.row_bands, "must be >= 0");
    }

    // Do stored filters i and j keep the same (channel, pattern) list?
    static bool same_kernels(const packed_weights& w, index_t i, index_t j)
    {
        const auto& off = w.offset();
        const index_t n = off[std::size_t(i) + 1] - off[std::size_t(i)];
        if (off[std::size_t(j) + 1] - off[std::size_t(j)] != n) return false;
        for (index_t t = 0; t < n; ++t) {
            const auto a = std::size_t(off[std::size_t(i)] + t), b = std::size_t(off[std::size_t(j)] + t);
            if (w.channel()[a] != w.channel()[b] || w.pattern()[a] != w.pattern()[b]) return false;
        }
        return true;
    }

    // Filters with identical kernel lists, consecutive in stored order, can share a register
    // tile of nf filters: does padding each such run to a multiple of nf with dummy filters add
    // at most 1/8 of the filters?
    static bool shares_blocks_of(const packed_weights& w, index_t nf)
    {
        const index_t co = w.out_channels();
        index_t padded = 0;
        for (index_t i = 0; i < co;) {
            index_t j = i + 1;
            while (j < co && same_kernels(w, i, j)) ++j;
            padded += (j - i + nf - 1) / nf * nf;
            i = j;
        }
        return 8 * (padded - co) <= co;
    }

    // NF = the largest of 4, 2 that shares blocks, else 1.
    static index_t auto_filter_block(const packed_weights& w)
    {
        for (index_t nf : {4, 2})
            if (shares_blocks_of(w, nf)) return nf;
        return 1;
    }

    // Row tiles: does every pattern of the library have a vertical tap pair (same column, rows
    // dy and dy + S_h: one plane, one flat row apart)? Sets tap_order_ (per pattern, the pair's
    // two taps first).
    bool find_tap_pairs(const packed_weights& w)
    {
        const int np = w.patterns().size();
        tap_order_.assign(std::size_t(np * 4), 0);
        int taps[9];
        for (int p = 0; p < np; ++p) {
            w.patterns().taps(p, taps);
            int first = -1, second = -1;
            for (int t = 0; t < 4 && first < 0; ++t)
                for (int u = 0; u < 4; ++u)
                    if (taps[u] % 3 == taps[t] % 3 && taps[u] / 3 == taps[t] / 3 + shape_.stride_h) {
                        first = t;
                        second = u;
                        break;
                    }
            if (first < 0) return false;
            int* order = tap_order_.data() + p * 4;
            order[0] = first;
            order[1] = second;
            for (int t = 0, n = 2; t < 4; ++t)
                if (t != first && t != second) order[n++] = t;
        }
        return true;
    }

    // G of the output-channel-vectorised kernel: the requested width, or automatically 16,
    // else 8, when the filters share blocks of it and the arch has the kernel; 0 = none.
    index_t choose_filter_group(const packed_weights& w, const conv3x3_options& opt)
    {
        if (opt.filter_group == 1) return 0;
        if (opt.filter_group == 0 && (opt.filter_block != 0 || opt.tile_vectors != 0)) return 0;  // tap-plane knobs given
        for (index_t g : {16, 8}) {
            if (opt.filter_group != 0 && opt.filter_group != g) continue;
            if (opt.filter_group == 0 && !shares_blocks_of(w, g)) continue;
            group_fn_ = group_select_(int(g), int(shape_.stride_w), k_);
            if (group_fn_) return g;
            detail::require(opt.filter_group == 0, "options.filter_group", opt.filter_group,
                            "this arch has no output-channel-vectorised kernel of that width");
        }
        return 0;
    }

    void choose_kernel(const packed_weights& w, const conv3x3_options& opt)
    {
        lanes_ = 1;
        int (*group_pixels)(int) noexcept = nullptr;
        conv3x3_tile_fn (*select_rows)(int, int) noexcept = nullptr;
        auto use = [&](auto arch) {
            using A = decltype(arch);
            arch_ = A::id;
            lanes_ = static_cast<index_t>(simd::lanes_of<float, A>());
            select_ = &conv3x3_kernels<A>::select;
            select_rows = &conv3x3_kernels<A>::select_rows;
            group_select_ = &conv3x3_group_kernels<A>::select;
            group_pixels = &conv3x3_group_kernels<A>::pixels;
        };
        simd::with_best_arch(use);
        group_ = choose_filter_group(w, opt);
        if (!group_ && takes_8_lanes(arch_, shape_.out_width())) simd::with_arch(simd::arch_id::avx2, use);
        if (group_) {
            nf_ = group_;
            group_rows_ = opt.group_rows;
            name_ = "f32_conv3x3_pattern_group";
            if (act_ != activation::none) (name_ += "_") += to_string(act_);
            name_ += "_" + std::to_string(group_) + "x" + std::to_string(group_pixels(int(group_))) + "__" + simd::to_string(arch_);
            return;
        }
        nf_ = opt.filter_block ? opt.filter_block : auto_filter_block(w);
        // Tap planes are P = OW rounded up to the lanes wide; the flat output is OH * P.
        pitch_ = (shape_.out_width() + lanes_ - 1) / lanes_ * lanes_;
        flat_vectors_ = shape_.out_height() * pitch_ / lanes_;
        if (opt.tile_rows != 1 && nf_ == 1 && k_ == 4 && opt.tile_vectors == 0 && find_tap_pairs(w)) {
            // R x V row tiles, about 8-10 accumulators (4 weights + 1 input stay in registers):
            // 8 x 1, 5 x 2 or 3 x 3 on rows of 1, 2 or 3 vectors; 5 x 2 on wider rows (Zen 3, in-
            // process x the 2 x 4 tiles they had on the 56- and 28-wide VGG / ResNet layers: 4x
            // 1.03-1.15 at 1 thread, 1.03-1.10 at 2; 8x 0.98-1.08; 2.25x took 5 x 2 since session 4).
            const index_t pv = pitch_ / lanes_;
            v_ = pv >= 4 ? 2 : pv;
            r_ = v_ == 3 ? 3 : v_ == 2 ? 5 : 8;
            tile_ = select_rows(int(r_), int(v_));
            if (tile_) {
                name_ = "f32_conv3x3_pattern_lre";
                if (act_ != activation::none) (name_ += "_") += to_string(act_);
                name_ += "_" + std::to_string(r_) + "x" + std::to_string(v_ * lanes_) + "__" + simd::to_string(arch_);
                return;
            }
            r_ = 0;
        }
        // 16 registers: 12 accumulators (1 x 12, 2 x 6) or 8 (4 x 2, which leaves room for the
        // 4 weight broadcasts and the shared input vector); measured best on AVX2.
        v_ = opt.tile_vectors ? opt.tile_vectors : nf_ == 1 ? 12 : nf_ == 2 ? 6 : 2;
        tile_ = select_(int(nf_), int(v_), k_);
        detail::require(tile_ != nullptr, "options.tile_vectors", v_, "no compiled kernel has this filter block x vectors tile");
        name_ = "f32_conv3x3_pattern";
        if (act_ != activation::none) (name_ += "_") += to_string(act_);
        name_ += "_" + std::to_string(nf_) + "x" + std::to_string(v_ * lanes_) + "__" + simd::to_string(arch_);
    }

    // Tap planes: S_h x 3 per channel, rows OH + 2/S_h, pitch P; tap offsets per pattern.
    // Banded (more than one worker): each worker's slab holds the planes of one channel block
    // for one tile of tv_ / (P / L) output rows (rows + 2/S_h plane rows), and its flat output
    // one tile of every filter.
    void layout_geometry()
    {
        const index_t tile_rows = tv_ / (pitch_ / lanes_);
        plane_rows_ = tile_rows + 2 / shape_.stride_h;
        // Planes a whole even number of 64-byte lines long are padded by one line: a stride of
        // 2^n lines (16 on 14 x 14 maps, 60 = 4 x 15 on 28 x 28) folds the rows of a block's
        // planes into 1/2^n of the L1 sets (measured +7-13 % on 14 x 14 at 2.25x and 4x).
        plane_stride_ = plane_rows_ * pitch_;
        if (plane_stride_ % 32 == 0) plane_stride_ += 16;
        channel_stride_ = shape_.stride_h * 3 * plane_stride_;
        // Wasted positions of the last tile read up to one tile (V vectors) + 2P past a plane.
        const index_t slack = 2 * pitch_ + (v_ + 1) * lanes_;
        input_floats_ = detail::checked_add(
            detail::checked_mul(cb_, channel_stride_, "conv3x3_plan input"), slack,
            "conv3x3_plan input");
        detail::require(input_floats_ < std::numeric_limits<std::int32_t>::max(), "conv2d_shape.input size", input_floats_,
                        "padded input planes must stay below 2^31 floats");
        row_stride_ = tv_ * lanes_;
        slab_floats_ = (input_floats_ + 15) / 16 * 16;  // 64-byte aligned slabs
        input_floats_ = detail::checked_mul(slab_floats_, index_t(concurrency_of(pool_)), "conv3x3_plan input");
    }

    // Zero-bordered image: per channel (H + 2 pad_h) padded rows of W + 2 pad_w floats; tap
    // (dy, dx) of output pixel (y, x) reads padded pixel (S_h*y + dy, S_w*x + dx). Each worker
    // owns a slab holding the padded rows of one block of group_rows_ output rows, S_h *
    // (group_rows_ - 1) + 3 of them per channel (channel_stride_ apart; the kernel tap offsets
    // use it); the direct path (padding 0, dense view) reads the whole image instead.
    void layout_bordered_geometry()
    {
        const index_t oh = shape_.out_height(), sh = shape_.stride_h;
        pitch_ = shape_.in_width + 2 * shape_.pad_w;
        plane_rows_ = shape_.in_height + 2 * shape_.pad_h;
        if (group_rows_ == 0) {
            const index_t row_bytes =
                detail::checked_mul(shape_.in_channels * sh, pitch_ * index_t(sizeof(float)), "conv3x3_plan input");
            group_rows_ = std::max<index_t>(1, (index_t(256) << 10) / row_bytes);
        }
        group_rows_ = std::min(group_rows_, oh);
        channel_stride_ = std::min(plane_rows_, sh * (group_rows_ - 1) + 3) * pitch_;
        const index_t slab = detail::checked_mul(shape_.in_channels, channel_stride_, "conv3x3_plan input");
        detail::require(slab < std::numeric_limits<std::int32_t>::max(), "conv2d_shape.input size", slab,
                        "padded input rows must stay below 2^31 floats");
        if (shape_.pad_h == 0 && shape_.pad_w == 0) {  // the direct path's offsets span the whole image
            const index_t image = detail::checked_mul(shape_.in_channels, plane_rows_ * pitch_, "conv3x3_plan input");
            detail::require(image < std::numeric_limits<std::int32_t>::max(), "conv2d_shape.input size", image,
                            "input must stay below 2^31 floats");
        }
        slab_floats_ = (slab + 15) / 16 * 16;  // 64-byte aligned slabs
        const index_t workers = static_cast<index_t>(concurrency_of(pool_));
        input_floats_ = detail::checked_mul(slab_floats_, workers, "conv3x3_plan input");
    }

    void build_blocks(const packed_weights& w, const conv3x3_options& opt)
    {
        const index_t co = w.out_channels();
        // block_filter_[b * NF + f] = stored filter index, or -1 for a dummy.
        for (index_t i = 0; i < co;) {
            block_filter_.push_back(static_cast<std::int32_t>(i));
            index_t j = i + 1;
            while (j < co && j - i < nf_ && same_kernels(w, i, j)) block_filter_.push_back(static_cast<std::int32_t>(j++));
            while (static_cast<index_t>(block_filter_.size()) % nf_) block_filter_.push_back(-1);
            i = j;
        }
        blocks_ = static_cast<index_t>(block_filter_.size()) / nf_;
        rows_ = blocks_ * nf_;
        out_channel_.assign(std::size_t(rows_), -1);
        for (index_t r = 0; r < rows_; ++r)
            if (block_filter_[std::size_t(r)] >= 0) out_channel_[std::size_t(r)] = w.reorder()[std::size_t(block_filter_[std::size_t(r)])];
        bias_ = aligned_buffer<float>(rows_);
        has_bias_ = opt.bias != nullptr;
        if (has_bias_)
            for (index_t r = 0; r < rows_; ++r)
                if (out_channel_[std::size_t(r)] >= 0) bias_[slot(r)] = opt.bias[out_channel_[std::size_t(r)]];
    }

    // Where filter row r (FKR order) accumulates: row tiles (one filter per block, no dummies)
    // use the output channel, so a tile of NCHW rows can serve as the flat output (run_bands);
    // flat tiles the row itself. Bias values are stored at the same index.
    index_t slot(index_t r) const noexcept { return r_ ? index_t(out_channel_[std::size_t(r)]) : r; }

    // Tap-plane kernels: rows per task tile (tv_ vectors, whole rows), the bands x filter ranges
    // and the channel block (cb_). Channel block: about 9 kept kernels per (filter, channel
    // block), at least 16 channels (8 lost up to 2x: the accumulator round trip dominates), when
    // nearly every kernel is kept (> 3/4: 2.25x, 16 channels: 0-17 % faster than the 256 KB
    // blocks on 6 of 7 layers at 2 threads) or when that block's row-tile planes fit the 28 KB
    // L1 budget below, so the tile runs block-major (2 threads, x oneDNN, geomean over VGG
    // conv3-5 + ResNet-18: 4x 1.83-1.86 -> 2.15-2.16; 8x rn18_3x3_7, 8 x 1 tiles, 32 channels:
    // 3.52 -> 4.07); else blocks whose tile planes fill ~256 KB.
    void choose_blocking(const packed_weights& w, const conv3x3_options& opt)
    {
        const index_t ci = shape_.in_channels, sh = shape_.stride_h;
        const index_t unit = pitch_ / lanes_;  // whole rows
        tv_ = opt.task_vectors ? (opt.task_vectors + unit - 1) / unit * unit : default_task_vectors();
        tv_ = std::min(flat_vectors_, std::max(unit, (tv_ + unit / 2) / unit * unit));
        plan_bands(w, opt);
        const double density = w.density();
        const index_t per_nine = std::max<index_t>(16, density > 0 ? index_t(9.0 / density / 16.0 + 0.5) * 16 : ci);
        const index_t per_channel = sh * 3 * (tv_ * lanes_ + (2 / sh) * pitch_);
        const index_t l2_block = std::max<index_t>(16, 65536 / per_channel);
        // Bytes of one channel's tap planes for one R x V row-tile block.
        const index_t block_channel_bytes = sh * 3 * (r_ + 1) * v_ * lanes_ * index_t(sizeof(float));
        // The planes of a block-major channel block should sit in L1 (28 KB); when the task
        // tile's output rows of all filters take at most half of a 512 KB L2, blocks of up to
        // 40 KB of planes still win (8x, ResNet-18 56 / 28 / 14: 32 channels block-major x the
        // 48-85-channel filter-major blocks, in-process 1.02-1.07; the VGG layers, 256-512
        // filters, 340-650 KB of outputs, lost 4-9 % that way).
        const index_t out_tile_bytes = rows_ * tv_ * lanes_ * index_t(sizeof(float));
        const index_t l1_budget = index_t(out_tile_bytes <= (index_t(256) << 10) ? 40 : 28) << 10;
        const bool nine_fits_l1 = r_ && opt.row_order != 2 && std::min(ci, per_nine) * block_channel_bytes <= l1_budget;
        // When the task tile's output rows of all filters overflow half of a 512 KB L2 (so every
        // channel block streams them from L3 again), block-major blocks grow to ~14 kept kernels
        // per (filter, block) while they fit L1: fewer passes (4x, 16 -> 24 channels, in-process
        // x 16: vgg_c4_x / c5_1 (512 filters, 460-650 KB) 1.05-1.11 at 1 thread, 1.00-1.07 at 2;
        // the 56-wide VGG layers (256 filters, 340 KB) 0.96-0.98; 2.25x, 24 channels: 0.92-1.04).
        const bool output_spills = out_tile_bytes > (index_t(384) << 10);
        const index_t per_run = std::max<index_t>(16, density > 0 ? index_t(14.0 / density / 8.0 + 0.5) * 8 : ci);
        const index_t block = nine_fits_l1 && output_spills
                                  ? std::max(per_nine, std::min(per_run, l1_budget / block_channel_bytes / 8 * 8))
                                  : per_nine;
        cb_ = std::min(ci, opt.channel_block ? opt.channel_block : density > 0.75 || nine_fits_l1 ? block : l2_block);
        // Row tiles: block-major (every filter over one R x V block) when the block's planes of
        // a channel block fit in ~28 KB of L1 (2 workers: 2.25x +4 to +44 %, ResNet 4x +2 to
        // +11 %); else filter-major over the tile. 16-lane tiles of 2 vectors (avx512: 28- and
        // 56-wide rows) are block-major whatever the block's bytes (Zen 5, in-process x filter-
        // major, 1 thread: 8x +4 to +13 %, 4x +14 to +18 %, 2.25x vgg_c3_2 +24 %, vgg_c4_2 -4 %).
        const bool wide_block = lanes_ >= 16 && v_ >= 2;
        const bool fits_l1 = cb_ * block_channel_bytes <= l1_budget;
        block_major_ = r_ && (opt.row_order == 0 ? fits_l1 || wide_block : opt.row_order == 1);
    }

    void build_schedule(const packed_weights& w)
    {
        const index_t ci = shape_.in_channels, sh = shape_.stride_h;
        const int k = k_;
        // Tap offsets per pattern inside a channel's planes.
        std::vector<std::int32_t> tap_off(std::size_t(w.patterns().size() * k));
        int taps[9];
        for (int p = 0; p < w.patterns().size(); ++p) {
            w.patterns().taps(p, taps);
            for (int t = 0; t < k; ++t) {
                const index_t dy = taps[t] / 3, dx = taps[t] % 3;
                tap_off[std::size_t(p * k + t)] = static_cast<std::int32_t>(
                    group_ ? dy * pitch_ + dx : ((dy % sh) * 3 + dx) * plane_stride_ + (dy / sh) * pitch_);
            }
        }
        // The group kernels accumulate every channel in registers: one block.
        if (group_) cb_ = ci;
        cblocks_ = (ci + cb_ - 1) / cb_;

        const auto& off = w.offset();
        seg_kernel_.assign(std::size_t(blocks_ * cblocks_ + 1), 0);
        first_cb_.assign(std::size_t(blocks_), 0);
        last_cb_.assign(std::size_t(blocks_), 0);
        block_kernels_.assign(std::size_t(blocks_), 0);
        std::vector<float> wts;
        index_t kernels = 0;
        for (index_t b = 0; b < blocks_; ++b) {
            const index_t lead = block_filter_[std::size_t(b * nf_)];
            const index_t j0 = off[std::size_t(lead)], j1 = off[std::size_t(lead) + 1];
            bool any = false;
            for (index_t c = 0; c < cblocks_; ++c) {
                const std::size_t seg = std::size_t(b * cblocks_ + c);
                // The block's kernels of channel block c, in stored (pattern, channel) order; each
                // carries its own k tap offsets (channel plane + pattern tap).
                for (index_t q = j0; q < j1; ++q) {
                    const index_t ch = w.channel()[std::size_t(q)];
                    if (ch / cb_ != c) continue;
                    ++kernels;
                    const std::size_t p = std::size_t(w.pattern()[std::size_t(q)]);
                    for (int u = 0; u < k; ++u) {
                        const int t = r_ ? tap_order_[p * 4 + std::size_t(u)] : u;
                        // The slab holds one channel block.
                        const index_t plane_ch = ch - c * cb_;
                        kernel_tap_.push_back(static_cast<std::int32_t>(plane_ch * channel_stride_) + tap_off[p * std::size_t(k) + std::size_t(t)]);
                    }
                    for (int u = 0; u < k; ++u)
                        for (index_t f = 0; f < nf_; ++f) {
                            const int t = r_ ? tap_order_[p * 4 + std::size_t(u)] : u;
                            const std::int32_t filt = block_filter_[std::size_t(b * nf_ + f)];
                            wts.push_back(filt < 0 ? 0.0f : w.weight()[std::size_t((off[std::size_t(filt)] + (q - j0)) * k + t)]);
                        }
                }
                seg_kernel_[seg + 1] = kernels;
                if (seg_kernel_[seg + 1] > seg_kernel_[seg]) {
                    if (!any) first_cb_[std::size_t(b)] = c;
                    last_cb_[std::size_t(b)] = c;
                    any = true;
                }
            }
            block_kernels_[std::size_t(b)] = j1 - j0;
        }
        build_runs();
        weights_ = aligned_buffer<float>(static_cast<index_t>(wts.size()));
        if (!wts.empty()) std::memcpy(weights_.data(), wts.data(), wts.size() * sizeof(float));
    }

    // Per channel block, the runs of the filter blocks that touch it (kept kernels in it, or an
    // all-pruned block's act(bias) pass in channel block 0), in filter order (row tiles take a
    // range of runs per call, flat tiles one call per run);
    // run_begin_[c * (blocks_ + 1) + b] = the first run of channel block c with filter >= b.
    void build_runs()
    {
        runs_.clear();
        run_begin_.assign(std::size_t(cblocks_ * (blocks_ + 1)), 0);
        for (index_t c = 0; c < cblocks_; ++c) {
            index_t* begin = run_begin_.data() + c * (blocks_ + 1);
            for (index_t b = 0; b < blocks_; ++b) {
                begin[b] = static_cast<index_t>(runs_.size());
                const std::size_t seg = std::size_t(b * cblocks_ + c);
                if (seg_kernel_[seg + 1] == seg_kernel_[seg] && !(c == 0 && block_kernels_[std::size_t(b)] == 0)) continue;
                conv3x3_filter_run run;
                run.first = static_cast<std::int32_t>(seg_kernel_[seg]);
                run.kernels = static_cast<std::int32_t>(seg_kernel_[seg + 1] - seg_kernel_[seg]);
                run.row = static_cast<std::int32_t>(slot(b));
                run.flags = (c != first_cb_[std::size_t(b)] ? run_accumulate : 0) | (c == last_cb_[std::size_t(b)] ? run_epilogue : 0);
                runs_.push_back(run);
            }
            begin[blocks_] = static_cast<index_t>(runs_.size());
        }
    }

    index_t default_task_vectors() const
    {
        // A task tile of ~32-48 vectors: each kernel's weights serve a few register tiles, and
        // the tile's planes of a channel block and output rows of all filters stay in L2.
        if (r_) {  // whole bands of R rows, about 48 vectors (measured: 0-10 % faster than 24 at 1
            // thread; at 2 threads 0-13 % faster on vgg_c3_2, vgg_c4_2, rn18_3x3_28, while 56-64
            // vectors lost up to 25 % on the 28-wide layers)
            const index_t band = r_ * (pitch_ / lanes_);
            return std::min(flat_vectors_, std::max<index_t>(1, (48 + band / 2) / band) * band);
        }
        const index_t target = std::max<index_t>(v_, (32 / v_) * v_);
        return std::min(flat_vectors_, target);
    }

    // Tap-plane kernels: tasks = bands of output rows x ranges of filter
    // blocks, at most one per worker, each filling its own slab (one channel block of one tile
    // of its band at a time), running its filters over it and storing its tiles: no hand-off
    // and no pass over the whole image. The split (B bands x Q ranges, B * Q <= workers)
    // minimises the estimated time of the slowest task, in units of one FMA vector: per kernel
    // and tile, 4 FMA per output vector plus ~6 per register tile (row tiles: row_tile_cost, where
    // a short band's tiles cost their FMA latency: 2 threads on 14-wide layers then split filters,
    // not 7-row bands); the fill, ~35 per plane row copied plus 0.1 per float, repeated by
    // every range of a band (each copies the band's rows); the store, 0.1 per output float.
    // Bands are even in rows; tiles of a band at most tv_ vectors, evened out in multiples of R (a rest
    // of fewer than R / 2 rows joins the last tile, see tile_end).
    // Sets band_, band_tile_, range_begin_, ranges_ and tv_ (the largest tile).
    void plan_bands(const packed_weights& w, const conv3x3_options& opt)
    {
        const index_t oh = shape_.out_height(), ow = shape_.out_width(), sh = shape_.stride_h, ci = shape_.in_channels;
        const index_t workers = static_cast<index_t>(concurrency_of(pool_));
        const index_t pv = pitch_ / lanes_, rt = r_ ? r_ : 1, tile_max = std::max<index_t>(1, tv_ / pv);
        std::vector<double> kernels(std::size_t(blocks_) + 1, 0.0);  // prefix sums of the blocks' kernel counts
        for (index_t b = 0; b < blocks_; ++b) {
            const index_t lead = block_filter_[std::size_t(b * nf_)];
            kernels[std::size_t(b) + 1] = kernels[std::size_t(b)] + double(w.offset()[std::size_t(lead) + 1] - w.offset()[std::size_t(lead)]);
        }
        auto tile_rows_of = [&](index_t rows) {  // rows per tile of a band of `rows` rows
            const index_t tiles = (rows + tile_max - 1) / tile_max;
            return std::min(std::min(tile_max, rows), ((rows + tiles - 1) / tiles + rt - 1) / rt * rt);
        };
        auto ranges_of = [&](index_t q) {  // block boundaries of q ranges balanced by kernel count (+4 per block)
            std::vector<index_t> begin(std::size_t(q) + 1, blocks_);
            begin[0] = 0;
            const double total = kernels[std::size_t(blocks_)] + 4.0 * double(blocks_);
            for (index_t r = 1, b = 0; r < q; ++r) {
                while (b < blocks_ && kernels[std::size_t(b)] + 4.0 * double(b) < total * double(r) / double(q)) ++b;
                begin[std::size_t(r)] = std::max(b, begin[std::size_t(r) - 1]);
            }
            return begin;
        };
        double best = -1;
        index_t best_tile = 1;
        // Candidates: 1..workers bands, or exactly options.row_bands (more bands than workers
        // run as tasks the workers take in turn).
        const index_t most = std::min(oh, opt.row_bands ? opt.row_bands : workers), fewest = opt.row_bands ? most : 1;
        for (index_t bands = most; bands >= fewest; --bands) {
            const index_t q = std::min(blocks_, std::max<index_t>(1, workers / bands));
            const std::vector<index_t> begin = ranges_of(q);
            double slowest = 0;
            index_t largest = 1;
            for (index_t i = 0; i < bands; ++i) {
                const index_t rows = oh * (i + 1) / bands - oh * i / bands, t = tile_rows_of(rows);
                double per_kernel = 0, fill = 0;
                for (index_t y = 0, y1; y < rows; y = y1) {
                    y1 = tile_end(y, rows, t, r_);
                    const index_t n = y1 - y;
                    largest = std::max(largest, n);
                    per_kernel += r_ ? row_tile_cost(n, pv) : double(4 * n * pv + 6 * n * ((pv + v_ - 1) / v_));
                    fill += double(sh * ci * (n + 2 / sh)) * (3.0 * 35.0 + 0.3 * double(pitch_));
                }
                for (index_t j = 0; j < q; ++j) {
                    const index_t b0 = begin[std::size_t(j)], b1 = begin[std::size_t(j) + 1];
                    const double t_task = per_kernel * (kernels[std::size_t(b1)] - kernels[std::size_t(b0)]) + fill +
                                          0.1 * double(rows * ow * (b1 - b0) * nf_);
                    slowest = std::max(slowest, t_task);
                }
            }
            if (best < 0 || slowest < best) {
                best = slowest;
                best_tile = largest;
                band_.assign(std::size_t(bands) + 1, 0);
                band_tile_.assign(std::size_t(bands), 0);
                for (index_t i = 0; i <= bands; ++i) band_[std::size_t(i)] = oh * i / bands;
                for (index_t i = 0; i < bands; ++i) band_tile_[std::size_t(i)] = tile_rows_of(band_[std::size_t(i) + 1] - band_[std::size_t(i)]);
                range_begin_ = begin;
                ranges_ = q;
            }
        }
        tv_ = best_tile * pv;
    }

    // One kernel over a tile of n rows x pv vectors of row tiles, in FMA-vector slots: per
    // register tile of r rows x v vectors (the kernel's split_into_bands cut), its 4 r v FMAs or,
    // when fewer, the 4-FMA chain each accumulator takes per kernel (16 cycles: 32 slots; bands of
    // 1-3 rows are latency-bound), plus ~6 of set-up.
    double row_tile_cost(index_t n, index_t pv) const
    {
        auto band = [&](index_t r) {
            if (r == 0) return 0.0;
            auto block = [&](index_t v) { return double(std::max<index_t>(4 * r * v, 32) + 6); };
            return double(pv / v_) * block(v_) + (pv % v_ ? block(pv % v_) : 0.0);
        };
        const band_split split = split_into_bands(n, r_);
        return double(split.full) * band(r_) + band(split.upper) + band(split.lower);
    }

    // End of the tile of a band (ending at y_end) that starts at row y0: `step` rows on, or the
    // band's end when fewer than half a row tile (r rows) would be left after it: a last tile of
    // 1-2 rows runs register tiles of 2-4 accumulators and refills 3 plane rows per output row
    // (56 rows in tiles of 5: the 11th tile takes 6 rows, which the kernel runs as 3 + 3).
    static index_t tile_end(index_t y0, index_t y_end, index_t step, index_t r) noexcept
    {
        const index_t y1 = std::min(y_end, y0 + step);
        return y1 < y_end && 2 * (y_end - y1) < r ? y_end : y1;
    }

    // Group kernels: tasks = bands of output rows x ranges of groups, at most one per worker.
    // The split (R bands x Q ranges, R * Q <= workers) minimises the estimated time of the
    // slowest task: compute ~ rows x out_width x (taps + 12 fixed) per group, plus the copy of
    // its input rows (~1/4 per float) and its groups' weights read once per row block (~1/10 per
    // float), so bands win when the input outweighs the weights and ranges when the weights do.
    // Ranges balance the groups' kernel counts. Also the direct-path tap offsets (padding 0).
    void plan_group_tasks()
    {
        const index_t oh = shape_.out_height(), ow = shape_.out_width(), sh = shape_.stride_h, ci = shape_.in_channels;
        const index_t workers = static_cast<index_t>(concurrency_of(pool_));
        std::vector<double> cost(std::size_t(blocks_) + 1, 0.0);  // per pixel, prefix sums over the groups
        for (index_t b = 0; b < blocks_; ++b) {
            const index_t kernels = seg_kernel_[std::size_t(b) + 1] - seg_kernel_[std::size_t(b)];
            cost[std::size_t(b) + 1] = cost[std::size_t(b)] + double(kernels * k_) + 12.0;
        }
        // Weight floats of an average group.
        const double weight_floats =
            double(kernel_tap_.size()) * double(group_) / double(std::max<index_t>(1, blocks_));
        auto ranges_of = [&](index_t q) {  // group boundaries of q ranges balanced by cost
            std::vector<index_t> begin(std::size_t(q) + 1, blocks_);
            begin[0] = 0;
            for (index_t r = 1, b = 0; r < q; ++r) {
                while (b < blocks_ && cost[std::size_t(b)] < cost[std::size_t(blocks_)] * double(r) / double(q)) ++b;
                begin[std::size_t(r)] = std::max(b, begin[std::size_t(r) - 1]);
            }
            return begin;
        };
        double best = -1;
        for (index_t r = 1; r <= std::min(oh, workers); ++r) {
            const index_t q = std::min(blocks_, std::max<index_t>(1, workers / r));
            const std::vector<index_t> begin = ranges_of(q);
            const index_t rows = (oh + r - 1) / r, blocks = (rows + group_rows_ - 1) / group_rows_;
            const index_t in_rows = std::min(plane_rows_, sh * (rows - 1) + 3 + (blocks - 1) * (3 - sh));
            double slowest = 0;
            for (index_t i = 0; i < q; ++i) {
                const index_t g0 = begin[std::size_t(i)], g1 = begin[std::size_t(i) + 1];
                const double t = double(rows * ow) * (cost[std::size_t(g1)] - cost[std::size_t(g0)]) +
                                 0.25 * double(in_rows * pitch_ * ci) +
                                 0.1 * double(blocks) * weight_floats * double(g1 - g0);
                slowest = std::max(slowest, t);
            }
            if (best < 0 || slowest < best) {
                best = slowest;
                group_band_.assign(std::size_t(r) + 1, 0);
                for (index_t i = 0; i <= r; ++i) group_band_[std::size_t(i)] = oh * i / r;
                group_range_ = begin;
            }
        }
        if (shape_.pad_h == 0 && shape_.pad_w == 0) {  // taps into the whole image (plane_rows_ rows per channel)
            kernel_tap_direct_.resize(kernel_tap_.size());
            for (std::size_t j = 0; j < kernel_tap_.size(); ++j) {
                const index_t channel = kernel_tap_[j] / channel_stride_, tap = kernel_tap_[j] % channel_stride_;
                kernel_tap_direct_[j] = static_cast<std::int32_t>(channel * plane_rows_ * pitch_ + tap);
            }
        }
    }

    // Padded rows [r0, r1) of image b into a worker's slab: rows outside the image zeroed, the
    // border columns never written (zero since allocation).
    void copy_rows(const tensor4_view<const float>& in, index_t b, index_t r0, index_t r1, float* slab) const
    {
        const index_t h = shape_.in_height, wd = shape_.in_width, ph = shape_.pad_h, pw = shape_.pad_w;
        for (index_t ch = 0; ch < shape_.in_channels; ++ch) {
            const float* src = in.plane(b, ch);
            float* dst = slab + ch * channel_stride_;
            for (index_t r = r0; r < r1; ++r, dst += pitch_) {
                const index_t iy = r - ph;
                if (iy >= 0 && iy < h)
                    std::memcpy(dst + pw, src + iy * in.stride_h(), sizeof(float) * static_cast<std::size_t>(wd));
                else
                    std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(pitch_));
            }
        }
    }

    // One image on the group kernels: one parallel_for, each task copies (or, padding 0 on a
    // dense view, reads in place) the input rows of each row block of its band and runs its
    // range of groups over them.
    void run_groups(const tensor4_view<const float>& in, const tensor4_view<float>& out, index_t b) const
    {
        const index_t h = shape_.in_height, wd = shape_.in_width, sh = shape_.stride_h;
        const bool direct = shape_.pad_h == 0 && shape_.pad_w == 0 && in.stride_h() == wd && in.stride_c() == h * wd;
        const clamp_bounds cb = bounds_of(act_);
        const index_t ranges = static_cast<index_t>(group_range_.size()) - 1;
        const index_t tasks = (static_cast<index_t>(group_band_.size()) - 1) * ranges;
        parallel_for(pool_, static_cast<std::size_t>(tasks), [&](std::size_t task, std::size_t worker) {
            const index_t band = static_cast<index_t>(task) / ranges, range = static_cast<index_t>(task) % ranges;
            const index_t y_begin = group_band_[std::size_t(band)], y_end = group_band_[std::size_t(band) + 1];
            // Row blocks of at most group_rows_ rows, evened out over the band.
            const index_t blocks = (y_end - y_begin + group_rows_ - 1) / group_rows_;
            const index_t step = (y_end - y_begin + blocks - 1) / std::max<index_t>(1, blocks);
            float* slab = input_.data() + static_cast<index_t>(worker) * slab_floats_;
            conv3x3_group_args a;
            a.row_pitch = pitch_;
            a.stride_h = sh;
            a.out_plane = out.stride_c();
            a.out_row = out.stride_h();
            a.out_width = shape_.out_width();
            a.y_begin = 0;
            a.k = k_;
            a.lo = cb.lo;
            a.hi = cb.hi;
            const std::int32_t* taps = direct ? kernel_tap_direct_.data() : kernel_tap_.data();
            for (index_t y0 = y_begin, y1; y0 < y_end; y0 = y1) {
                y1 = tile_end(y0, y_end, step, r_);
                if (direct) {
                    a.input = in.plane(b, 0) + sh * y0 * wd;
                } else {
                    copy_rows(in, b, sh * y0, sh * (y1 - 1) + 3, slab);
                    a.input = slab;
                }
                a.output = out.plane(b, 0) + y0 * out.stride_h();
                a.y_end = y1 - y0;
                for (index_t g = group_range_[std::size_t(range)]; g < group_range_[std::size_t(range) + 1]; ++g) {
                    const index_t first = seg_kernel_[std::size_t(g)];
                    a.out_channels = out_channel_.data() + g * group_;
                    a.kernels = seg_kernel_[std::size_t(g) + 1] - first;
                    a.tap_offsets = taps + first * k_;
                    a.weights = weights_.data() + first * k_ * group_;
                    a.bias = bias_.data() + g * group_;
                    group_fn_(a);
                }
            }
        });
    }

    // Plane rows [r0, r1) of channels [c0, c1) of image b into tap planes at dst (channel c0,
    // row r0 first): plane (a, dx) row r, column x = padded input (S_h*r + a, S_w*x + dx). Rows
    // outside the input are zeroed (slabs are reused); columns outside it are never written and
    // stay zero.
    void fill_rows(const tensor4_view<const float>& in, index_t b, index_t c0, index_t c1, index_t r0, index_t r1,
                   float* dst) const
    {
        const index_t sh = shape_.stride_h, sw = shape_.stride_w, ph = shape_.pad_h, pw = shape_.pad_w;
        const index_t h = shape_.in_height, wd = shape_.in_width, ow = shape_.out_width();
        index_t x0[3], x1[3];  // per dx, the columns x whose input column S_w*x + dx - pw lies in [0, W)
        for (index_t dx = 0; dx < 3; ++dx) {
            const index_t last = wd - 1 + pw - dx;
            x0[dx] = std::max<index_t>(0, (pw - dx + sw - 1) / sw);
            x1[dx] = last < 0 ? 0 : std::min(ow, last / sw + 1);
        }
        for (index_t ch = c0; ch < c1; ++ch) {
            const float* src = in.plane(b, ch);
            for (index_t a = 0; a < sh; ++a) {
                float* row = dst + (ch - c0) * channel_stride_ + a * 3 * plane_stride_;
                for (index_t r = r0; r < r1; ++r, row += pitch_) {
                    const index_t iy = sh * r + a - ph;
                    if (iy < 0 || iy >= h) {
                        for (index_t dx = 0; dx < 3; ++dx)
                            std::memset(row + dx * plane_stride_, 0, sizeof(float) * static_cast<std::size_t>(pitch_));
                        continue;
                    }
                    const float* s = src + iy * in.stride_h();
                    for (index_t dx = 0; dx < 3; ++dx) {
                        float* d = row + dx * plane_stride_;
                        if (sw == 1) {
                            if (x1[dx] > x0[dx])
                                std::memcpy(d + x0[dx], s + x0[dx] + dx - pw, sizeof(float) * static_cast<std::size_t>(x1[dx] - x0[dx]));
                        } else {
                            for (index_t x = x0[dx]; x < x1[dx]; ++x) d[x] = s[2 * x + dx - pw];
                        }
                    }
                }
            }
        }
    }

    // Runs the register tiles of filter blocks [b0, b1) x channel block c over `vectors` flat
    // vectors of planes at `planes` into the flat output at `out` (out_stride floats per filter
    // slot: row_stride_ in the scratch, the channel stride in place).
    void run_tiles(const float* planes, float* out, index_t out_stride, index_t vectors, index_t c, index_t b0, index_t b1,
                   const clamp_bounds& cb) const
    {
        conv3x3_tile_args a;
        a.input = planes;
        a.output_stride = out_stride;
        a.vectors = vectors;
        a.row_vectors = pitch_ / lanes_;
        a.k = k_;
        a.lo = cb.lo;
        a.hi = cb.hi;
        const index_t* begin = run_begin_.data() + c * (blocks_ + 1);
        if (r_) {  // row tiles: one call runs every filter of the range, block by block
            a.output = out;
            a.tap_offsets = kernel_tap_.data();
            a.weights = weights_.data();
            a.bias = has_bias_ ? bias_.data() : nullptr;
            a.runs = runs_.data() + begin[b0];
            a.run_count = begin[b1] - begin[b0];
            a.block_major = block_major_;
            if (a.run_count > 0) tile_(a);
            return;
        }
        for (const conv3x3_filter_run* run = runs_.data() + begin[b0]; run != runs_.data() + begin[b1]; ++run) {
            a.output = out + index_t(run->row) * nf_ * out_stride;
            a.kernels = run->kernels;
            a.tap_offsets = kernel_tap_.data() + index_t(run->first) * k_;
            a.weights = weights_.data() + index_t(run->first) * k_ * nf_;
            a.accumulate = run->flags & run_accumulate;
            a.epilogue = run->flags & run_epilogue;
            a.bias = has_bias_ ? bias_.data() + index_t(run->row) * nf_ : nullptr;
            tile_(a);
        }
    }

    // One image on the tap-plane kernels: one parallel_for, task =
    // (band, range of filter blocks); per tile of its band, per channel block: fill the block's
    // plane rows into the worker's slab, run the range's filters; then store the tile's rows of
    // those filters to NCHW (row tiles on rows of OW = P floats: computed in place there).
    void run_bands(const tensor4_view<const float>& in, const tensor4_view<float>& out, index_t b) const
    {
        const index_t ci = shape_.in_channels, ow = shape_.out_width(), pv = pitch_ / lanes_, halo = 2 / shape_.stride_h;
        const clamp_bounds cb = bounds_of(act_);
        // Filter-major row tiles accumulate straight into the output when its rows are the flat
        // rows (OW = P, rows OW apart): no flat scratch, no copy to NCHW (in-process x the copy,
        // 56-wide layers at 8x: 1.00-1.05 at 1 thread, 0.97-1.04 at 2). Block-major order visits
        // every filter per register tile, and the filters' NCHW planes then cost a TLB miss each
        // (0.94-0.99 there), so it keeps the compact scratch.
        const bool direct = r_ && !block_major_ && pitch_ == ow && out.stride_h() == ow;
        const index_t tasks = (static_cast<index_t>(band_.size()) - 1) * ranges_;
        parallel_for(pool_, static_cast<std::size_t>(tasks), [&](std::size_t task, std::size_t worker) {
            const index_t band = static_cast<index_t>(task) / ranges_, range = static_cast<index_t>(task) % ranges_;
            const index_t y_begin = band_[std::size_t(band)], y_end = band_[std::size_t(band) + 1];
            const index_t b0 = range_begin_[std::size_t(range)], b1 = range_begin_[std::size_t(range) + 1];
            const index_t step = band_tile_[std::size_t(band)];
            float* slab = input_.data() + static_cast<index_t>(worker) * slab_floats_;
            float* flat = output_.data() + static_cast<index_t>(worker) * rows_ * row_stride_;
            for (index_t y0 = y_begin, y1; y0 < y_end; y0 = y1) {
                y1 = tile_end(y0, y_end, step, r_);
                for (index_t c = 0; c < cblocks_; ++c) {
                    fill_rows(in, b, c * cb_, std::min(ci, (c + 1) * cb_), y0, y1 + halo, slab);
                    if (direct)
                        run_tiles(slab, out.plane(b, 0) + y0 * ow, out.stride_c(), (y1 - y0) * pv, c, b0, b1, cb);
                    else
                        run_tiles(slab, flat, row_stride_, (y1 - y0) * pv, c, b0, b1, cb);
                }
                if (direct) continue;
                for (index_t row = b0 * nf_; row < b1 * nf_; ++row) {
                    const std::int32_t o = out_channel_[std::size_t(row)];
                    if (o < 0) continue;
                    const float* src = flat + slot(row) * row_stride_;
                    float* dst = out.plane(b, o) + y0 * out.stride_h();
                    for (index_t y = 0; y < y1 - y0; ++y)
                        std::memcpy(dst + y * out.stride_h(), src + y * pitch_, sizeof(float) * static_cast<std::size_t>(ow));
                }
            }
        });
    }

    conv2d_shape shape_;
    activation act_;
    executor* pool_;
    bool has_bias_ = false;
    simd::arch_id arch_ = simd::arch_id::scalar;
    conv3x3_tile_fn (*select_)(int, int, int) noexcept = nullptr;
    conv3x3_tile_fn tile_ = nullptr;
    conv3x3_group_fn (*group_select_)(int, int, int) noexcept = nullptr;
    conv3x3_group_fn group_fn_ = nullptr;
    index_t group_ = 0, group_rows_ = 0, slab_floats_ = 0;
    std::vector<index_t> group_band_, group_range_;  // group kernels: task = output-row band x range of groups
    std::vector<std::int32_t> kernel_tap_direct_;    // group kernels, padding 0: kernel_tap_ into the whole image
    int k_ = 4;
    index_t lanes_ = 1, nf_ = 1, v_ = 1, r_ = 0, cb_ = 1, tv_ = 1;  // r_: rows of a row tile, 0 = flat tiles
    index_t pitch_ = 0, plane_rows_ = 0, plane_stride_ = 0, channel_stride_ = 0, input_floats_ = 0;
    index_t flat_vectors_ = 0, row_stride_ = 0, rows_ = 0, blocks_ = 0, cblocks_ = 1, ranges_ = 1;
    bool block_major_ = false;   // row tiles: every filter per R x V block (see choose_blocking)
    std::vector<index_t> band_, band_tile_;  // first output row of each band, then OH; rows per tile
    std::vector<std::int32_t> block_filter_, out_channel_, kernel_tap_;
    std::vector<int> tap_order_;  // row tiles: per pattern, its 4 taps with the vertical pair first
    std::vector<index_t> seg_kernel_, first_cb_, last_cb_, block_kernels_, range_begin_;
    std::vector<conv3x3_filter_run> runs_;  // per channel block, its filter blocks' kernels
    std::vector<index_t> run_begin_;        // first run per (channel block, filter block)
    aligned_buffer<float> weights_, bias_;
    mutable aligned_buffer<float> input_, output_;
    std::string name_;
};

} // namespace pattern
} // namespace finegrain
