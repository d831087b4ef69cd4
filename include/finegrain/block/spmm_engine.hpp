// SPDX-License-Identifier: BSD-3-Clause
// block::spmm_engine: the part every block plan shares. Chooses the kernel once, owns the
// weights laid out for it (row pointers, per-block column units, values, bias), splits the
// work into tasks (pixel chunks x block-row groups balanced by nonzeros), cuts 1x1-block rows
// into input-row segments, and runs the tasks through parallel_for. spmm_plan, conv1x1_plan
// and conv3x3_punched_plan are thin adapters that say where X and Y live.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "finegrain/block/format.hpp"
#include "finegrain/block/kernels.hpp"
#include "finegrain/core/activation.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/simd/dispatch.hpp"

namespace finegrain {
namespace block {

/// What a block plan takes besides the weights.
struct spmm_options {
    const float* bias = nullptr;  // one value per output row / channel, copied; null = none
    activation act = activation::none;
    executor* pool = nullptr;     // null = the calling thread
    // Block-punched 3x3 conv only: output rows per band (0 = the plan's rule, see
    // conv3x3_punched_plan.hpp; >= the output height = the whole image at once).
    index_t band_rows = 0;
};

/// SpMM, 1-column blocks of >= 2 rows, X slice of a tile larger than spmm_prefetch_min_bytes:
/// X rows are prefetched this many blocks ahead (measured: +5-12 % on ResNet-50 conv_a 4x1 @90 %,
/// a loss on narrow layers whose X stays in L1, and on 1x1 blocks, which are L2-bandwidth-bound).
constexpr index_t spmm_prefetch_blocks = 8;
constexpr index_t spmm_prefetch_min_bytes = 32 * 1024;

/// SpMM, 1x1 blocks: input-row segments (plan_segments below). Measured on ResNet-50 / MobileNet
/// 1x1 layers at 70 %: +20-48 % where rows hold >= 2 chunks of >= 16 blocks and there are >= 2
/// tiles of pixels; the same order with 4x1 blocks lost 5-20 % (their X vector already feeds 4
/// rows; the partial sums cost more than the L1 hits save).
constexpr index_t spmm_segment_x_bytes = 24 * 1024;
constexpr index_t spmm_segment_y_bytes = 16 * 1024;
constexpr index_t spmm_segment_min_blocks = 16;
/// Layers with fewer pixels than a tile (7x7) take half-width segment tiles from this K on
/// (measured at 70 %: K = 960-2048 +10-18 %; K = 320 lost 10 % at 90 %, K = 160 3 % at 70 %).
constexpr index_t spmm_segment_half_min_rows = 512;

class spmm_engine {
public:
    /// Weights of `rows` output rows in r x c blocks: row_ptr over block rows, one column unit
    /// per block (X offset = unit * col_stride at run time), values as in bsr_matrix. `n` pixels.
    /// `x_rows` = distinct X rows (of n pixels) the product reads, used to size pixel chunks;
    /// `vector_only` forbids the SpMV path (n == 1 then runs the SpMM kernel).
    spmm_engine(index_t rows, block_shape shape, const std::uint32_t* row_ptr, const std::uint32_t* col,
                const float* values, index_t n, const spmm_options& opt, index_t x_rows, bool vector_only = false)
        : rows_(rows), n_(n), shape_(shape), act_(opt.act), pool_(opt.pool)
    {
        block_rows_ = (rows + shape.r - 1) / shape.r;
        const index_t nnzb = index_t(row_ptr[block_rows_]);
        index_t rt = 1, nv = 1;
        arch_ = simd::with_best_arch([&](auto arch) {
            using A = decltype(arch);
            using K = bsr_kernels<A>;
            spmm_ = &K::spmm;
            spmv16_ = &K::spmv_u16;
            spmv32_ = &K::spmv_u32;
            lanes_ = K::lanes;
            rt = spmm_rows<A>(shape.r);
            nv = spmm_vectors<A>(rt);
        });
        spmv_ = n == 1 && !vector_only;
        if (spmv_ && shape.c == 1 && shape.r % lanes_ != 0) {
            // The SpMV streams 1-column blocks as r/L weight vectors only when the lanes L divide
            // r; else it falls back to scalar FMAs. Take the widest arch whose lanes do (Zen 5, fc7
            // 90 % cold: 8x1 on avx2 0.22 ms, on avx512 0.41; 4x1 on sse4_2 0.31, avx2 0.44).
            bool found = false;
            simd::for_each_compiled_arch([&](auto arch) {
                using A = decltype(arch);
                using K = bsr_kernels<A>;
                if (found || K::lanes < 4 || shape.r % K::lanes != 0 || !simd::runnable(A::id)) return;
                found = true;
                arch_ = A::id;
                spmv16_ = &K::spmv_u16;
                spmv32_ = &K::spmv_u32;
                lanes_ = K::lanes;
            });
        }
        row_ptr_ = aligned_buffer<std::uint32_t>(block_rows_ + 1);
        std::memcpy(row_ptr_.data(), row_ptr, sizeof(std::uint32_t) * std::size_t(block_rows_ + 1));
        // Weights of >= 2 MB take 2 MB pages (aligned_buffer's page_policy::huge): FC at batch 1
        // streams them from DRAM, and 4 KB pages cost a TLB miss per 4 KB (fc7 8x1 @90 % cold:
        // 0.39 -> 0.36 ms).
        const page_policy pages = page_policy::huge;
        values_ = aligned_buffer<float>(nnzb * shape.size(), bsr_matrix::value_padding, pages);
        if (nnzb > 0) std::memcpy(values_.data(), values, sizeof(float) * std::size_t(nnzb * shape.size()));
        std::uint32_t max_col = 0;
        for (index_t b = 0; b < nnzb; ++b) max_col = std::max(max_col, col[b]);
        narrow_ = spmv_ && max_col <= std::numeric_limits<std::uint16_t>::max();
        if (narrow_) {
            col16_ = aligned_buffer<std::uint16_t>(nnzb, 0, pages);
            for (index_t b = 0; b < nnzb; ++b) col16_[b] = static_cast<std::uint16_t>(col[b]);
        } else {
            col32_ = aligned_buffer<std::uint32_t>(nnzb, spmm_prefetch_blocks, pages);
            if (nnzb > 0) std::memcpy(col32_.data(), col, sizeof(std::uint32_t) * std::size_t(nnzb));
        }
        if (opt.bias) {
            bias_ = aligned_buffer<float>(rows);
            std::memcpy(bias_.data(), opt.bias, sizeof(float) * std::size_t(rows));
        }
        tile_rows_ = spmv_ ? shape.r : rt;
        tile_pixels_ = spmv_ ? 1 : nv * lanes_;
        if (!spmv_ && shape.c == 1 && rt >= 2 && x_rows * tile_pixels_ * index_t(sizeof(float)) > spmm_prefetch_min_bytes)
            prefetch_blocks_ = spmm_prefetch_blocks;
        plan_tasks(static_cast<index_t>(concurrency_of(pool_)), x_rows);
        plan_segments(col, x_rows);
    }

    simd::arch_id arch() const noexcept { return arch_; }
    bool uses_spmv() const noexcept { return spmv_; }
    index_t lanes() const noexcept { return lanes_; }
    index_t tasks() const noexcept { return chunks_ * groups_; }
    /// "f32_<op>[_<act>]_<MR>x<NR>__<arch>".
    std::string name(const std::string& op) const
    {
        std::string s = "f32_" + op;
        if (act_ != activation::none) (s += "_") += to_string(act_);
        return s + "_" + std::to_string(tile_rows_) + "x" + std::to_string(tile_pixels_) + "__" + simd::to_string(arch_);
    }
    std::size_t bytes() const noexcept
    {
        return row_ptr_.bytes() + col16_.bytes() + col32_.bytes() + values_.bytes() + bias_.bytes() + seg_.bytes();
    }

    /// Y (rows x n, row stride ldy) = act(W X + bias). Block b of a row reads X rows starting at
    /// x + unit_b * col_stride, its c rows row_step apart; block rows j with unit*c + j >= k_limit
    /// are skipped. With the SpMV path x and y are contiguous vectors (col_stride 1, row_step 1).
    void run(const float* x, index_t col_stride, index_t row_step, index_t k_limit, float* y, index_t ldy) const
    {
        const clamp_bounds cb = bounds_of(act_);
        const float* bias = bias_.empty() ? nullptr : bias_.data();
        if (spmv_) {
            parallel_for(pool_, static_cast<std::size_t>(groups_), [&](std::size_t g, std::size_t) {
                spmv_args a;
                a.r = shape_.r;
                a.c = shape_.c;
                a.row_begin = cuts_[g];
                a.row_end = cuts_[g + 1];
                a.m = rows_;
                a.k = k_limit;
                a.row_ptr = row_ptr_.data();
                a.col = narrow_ ? static_cast<const void*>(col16_.data()) : static_cast<const void*>(col32_.data());
                a.values = values_.data();
                a.x = x;
                a.y = y;
                a.bias = bias;
                a.lo = cb.lo;
                a.hi = cb.hi;
                a.interleave = true;
                if (a.row_begin < a.row_end) (narrow_ ? spmv16_ : spmv32_)(a);
            });
            return;
        }
        parallel_for(pool_, static_cast<std::size_t>(chunks_ * groups_), [&](std::size_t t, std::size_t) {
            const index_t chunk = index_t(t) / groups_, g = index_t(t) % groups_;
            spmm_args a;
            a.r = shape_.r;
            a.c = shape_.c;
            a.row_begin = cuts_[std::size_t(g)];
            a.row_end = cuts_[std::size_t(g + 1)];
            a.m = rows_;
            a.k_limit = k_limit;
            a.row_ptr = row_ptr_.data();
            a.col = col32_.data();
            a.values = values_.data();
            a.col_stride = col_stride;
            a.row_step = row_step;
            a.x = x;
            a.n_begin = chunk * chunk_;
            a.n_end = chunk + 1 == chunks_ ? n_ : a.n_begin + chunk_;
            a.y = y;
            a.ldy = ldy;
            a.bias = bias;
            a.lo = cb.lo;
            a.hi = cb.hi;
            a.clamp = act_ != activation::none;
            a.prefetch_blocks = prefetch_blocks_;
            a.stream_values = values_.bytes() >= std::size_t(spmm_stream_values_bytes);
            if (seg_chunks_ > 0) {
                a.seg = seg_.data();
                a.seg_chunks = seg_chunks_;
                a.seg_rows = seg_rows_;
                a.seg_half = seg_half_;
            }
            if (a.row_begin < a.row_end) spmm_(a);
        });
    }

private:
    // Pixel chunks keep the X slice they read (k_rows x chunk floats) in L2 while every block
    // row passes over it; workers split pixels when each gets several full tiles, else block
    // rows (cut where the running nonzero count crosses equal shares).
    void plan_tasks(index_t workers, index_t x_rows)
    {
        const index_t nnzb = index_t(row_ptr_[block_rows_]);
        chunks_ = 1;
        chunk_ = n_;
        index_t groups = 1;
        if (!spmv_) {
            const index_t tile = tile_pixels_;
            const index_t target = std::max(tile, (index_t(96 * 1024) / std::max<index_t>(1, x_rows)) / tile * tile);
            bool split_pixels = workers > 1 && n_ >= workers * 4 * tile;
            cut_pixels(target, split_pixels ? workers : 1);
            // One whole-tile chunk per worker can split a short pixel range unevenly (14 x 14 =
            // 196 pixels in 24-pixel tiles: 120 + 76, and both workers write the output line
            // where the chunks meet in every row); the workers then share block rows instead.
            // Measured, 2 threads, 4x1 @90 %, 64 -> 384 at 14 x 14: 19-61 us -> 16-19 us.
            if (split_pixels && chunks_ == workers && chunk_ * chunks_ * 10 > n_ * 11) {
                split_pixels = false;
                cut_pixels(target, 1);
            }
            if (!split_pixels && workers > 1) groups = 2 * workers;
        } else if (workers > 1) {
            groups = 4 * workers;
        }
        groups = std::max<index_t>(1, std::min(groups, block_rows_));
        cuts_.assign(std::size_t(groups + 1), 0);
        const double total = double(nnzb + block_rows_);
        index_t g = 1;
        for (index_t br = 0; br < block_rows_ && g < groups; ++br) {
            const double done = double(index_t(row_ptr_[br + 1]) + br + 1);
            while (g < groups && done >= total * double(g) / double(groups)) cuts_[std::size_t(g++)] = br + 1;
        }
        for (; g <= groups; ++g) cuts_[std::size_t(g)] = block_rows_;
        groups_ = groups;
    }
    // Pixel chunks of about `target` pixels, their count a multiple of `multiple`, each whole
    // tiles: a chunk that ends mid-tile runs narrower tiles plus an overlapping vector (ResNet-50
    // conv_a at 7x7 split 32 + 17 ran 4 tile passes per block row instead of 3).
    void cut_pixels(index_t target, index_t multiple)
    {
        const index_t tile = tile_pixels_;
        index_t chunks = (n_ + target - 1) / target;
        chunks = (chunks + multiple - 1) / multiple * multiple;
        chunk_ = ((n_ + chunks - 1) / chunks + tile - 1) / tile * tile;
        chunks_ = (n_ + chunk_ - 1) / chunk_;
        if (chunks_ > 1 && n_ - (chunks_ - 1) * chunk_ < lanes_) --chunks_;  // last chunk keeps >= lanes pixels
    }
    // Input-row segments for 1x1 blocks (kernels.hpp, spmm_segments): chunks of input rows whose
    // tile-wide X slice fits spmm_segment_x_bytes, as many as keep >= spmm_segment_min_blocks
    // blocks per row and chunk; groups of rows whose Y tile fits spmm_segment_y_bytes. Off with
    // one chunk (the row order without partial sums is then as good: measured on 1x1 @90 %).
    void plan_segments(const std::uint32_t* col, index_t x_rows)
    {
        if (spmv_ || shape_.r != 1 || shape_.c != 1 || block_rows_ == 0) return;
        // Fewer pixels than a tile (7x7 layers): tiles of half the vectors (48 pixels on AVX2),
        // when K >= spmm_segment_half_min_rows.
        const bool half = n_ < tile_pixels_;
        const index_t tile = half ? tile_pixels_ / 2 : tile_pixels_;
        if (n_ < tile || (half && x_rows < spmm_segment_half_min_rows)) return;
        const index_t tile_bytes = tile * index_t(sizeof(float));
        const index_t rows_per_chunk = std::max<index_t>(1, spmm_segment_x_bytes / (tile_bytes + 64));
        const index_t blocks_per_row = index_t(row_ptr_[block_rows_]) / block_rows_;
        const index_t chunks = std::min((x_rows + rows_per_chunk - 1) / rows_per_chunk,
                                        blocks_per_row / spmm_segment_min_blocks);
        if (chunks <= 1) return;
        const index_t width = (x_rows + chunks - 1) / chunks;
        seg_ = aligned_buffer<std::uint32_t>(block_rows_ * (chunks + 1));
        for (index_t rb = 0; rb < block_rows_; ++rb) {
            std::uint32_t* s = seg_.data() + rb * (chunks + 1);
            index_t b = row_ptr_[rb];
            const index_t e = row_ptr_[rb + 1];
            s[0] = std::uint32_t(b);
            for (index_t q = 1; q < chunks; ++q) {
                while (b < e && index_t(col[b]) < q * width) ++b;
                s[q] = std::uint32_t(b);
            }
            s[chunks] = std::uint32_t(e);
        }
        seg_chunks_ = chunks;
        seg_half_ = half;
        seg_rows_ = std::max<index_t>(1, spmm_segment_y_bytes / tile_bytes);
    }

    index_t rows_ = 0, n_ = 0, block_rows_ = 0;
    block_shape shape_{};
    activation act_ = activation::none;
    executor* pool_ = nullptr;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*spmm_)(const spmm_args&) noexcept = nullptr;
    void (*spmv16_)(const spmv_args&) noexcept = nullptr;
    void (*spmv32_)(const spmv_args&) noexcept = nullptr;
    index_t lanes_ = 1, tile_rows_ = 1, tile_pixels_ = 1;
    bool spmv_ = false, narrow_ = false;
    aligned_buffer<std::uint32_t> row_ptr_, col32_;
    aligned_buffer<std::uint16_t> col16_;
    aligned_buffer<float> values_, bias_;
    index_t chunks_ = 1, chunk_ = 0, groups_ = 1, prefetch_blocks_ = 0;
    std::vector<index_t> cuts_;
    aligned_buffer<std::uint32_t> seg_;
    index_t seg_chunks_ = 0, seg_rows_ = 1;
    bool seg_half_ = false;
};

} // namespace block
} // namespace finegrain
