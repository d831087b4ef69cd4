#include <algorithm>
#include <vector>

#include "block/block_test_support.hpp"
#include "finegrain/block/kernels.hpp"
#include "finegrain/block/project.hpp"
#include "finegrain/block/spmm_plan.hpp"
#include "finegrain/ref/gemm.hpp"
#include "finegrain/ref/spmm.hpp"
#include "finegrain/unstructured/plan.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

struct spmm_case {
    index_t m, n, k;
    block::block_shape bs;
    double sparsity = 0.5;
    activation act = activation::none;
    bool bias = true;
    executor* pool = nullptr;
    index_t x_pad = 0, y_pad = 0;  // extra row stride of X and Y
};

void check_spmm(const spmm_case& t, std::uint32_t seed)
{
    CAPTURE(t.m);
    CAPTURE(t.n);
    CAPTURE(t.k);
    CAPTURE(t.bs.r);
    CAPTURE(t.bs.c);
    CAPTURE(t.sparsity);
    const auto w = fgtest::random_block_sparse(t.m, t.k, t.bs, t.sparsity, seed);
    const auto p = block::pack(matrix_view<const float>(w.data(), t.m, t.k), t.bs);
    const index_t ldx = t.n + t.x_pad, ldy = t.n + t.y_pad;
    const auto x = random_floats(std::size_t(t.k * ldx), seed + 1);
    const auto bias = random_floats(std::size_t(t.m), seed + 2);
    std::vector<float> want(std::size_t(t.m * ldy), -3.0f), got(want.size(), -3.0f);
    ref::bsr_spmm(p, {x.data(), t.k, t.n, ldx}, {want.data(), t.m, t.n, ldy}, t.bias ? bias.data() : nullptr, t.act);
    block::spmm_options opt;
    opt.bias = t.bias ? bias.data() : nullptr;
    opt.act = t.act;
    opt.pool = t.pool;
    block::spmm_plan<float> plan(p, t.n, opt);
    plan.run({x.data(), t.k, t.n, ldx}, {got.data(), t.m, t.n, ldy});
    // Padding columns of Y stay untouched (-3), so the whole buffers compare.
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(t.k, 1, 1), plan.kernel_name());
}

} // namespace

TEST_CASE("block spmm plan matches the reference for every block shape on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        std::uint32_t seed = 1000;
        for (const auto bs : fgtest::all_block_shapes()) {
            const index_t tile = block::spmm_vectors<A>(block::spmm_rows<A>(bs.r)) * w;
            block::spmm_plan<float> probe(block::pack(matrix_view<const float>(std::vector<float>(4, 1.f).data(), 2, 2), bs), 3);
            CHECK(probe.arch() == A::id);
            check_spmm({2 * bs.r + 1, 1, 3 * bs.c + 1, bs}, seed++);                    // SpMV, edge block column
            check_spmm({bs.r + 1, w + 3, 2 * bs.c + 3, bs, 0.3, activation::relu}, seed++);
            check_spmm({3 * bs.r - 1, tile + w + 1, 5 * bs.c, bs, 0.6, activation::relu6, false}, seed++);
        }
    });
}

TEST_CASE("block spmm plan: long block rows take the X-prefetch path on every arch")
{
    // K large enough that a tile's X slice exceeds block::spmm_prefetch_min_bytes on every arch
    // (scalar: 3-pixel tiles), 1-column blocks of 4, 8 and 16 rows: the kernel reads col up to
    // spmm_prefetch_blocks entries past the last block (padded; ASan checks) and prefetches.
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        const index_t k = 3000;
        const index_t tile = block::spmm_vectors<A>(block::spmm_rows<A>(4)) * w;
        REQUIRE(k * tile * index_t(sizeof(float)) > block::spmm_prefetch_min_bytes);
        std::uint32_t seed = 3000;
        for (block::block_shape bs : {block::block_shape{4, 1}, block::block_shape{8, 1}, block::block_shape{16, 1}}) {
            check_spmm({2 * bs.r + 1, 2 * tile + 3, k, bs, 0.9, activation::relu, true}, seed++);
            check_spmm({bs.r, tile, k, bs, 0.97, activation::none, false}, seed++);
        }
    });
}

TEST_CASE("block spmm plan: 1x1 blocks with long rows take the input-row segment path on every arch")
{
    // K and density such that every row holds >= 2 input-row chunks of >= spmm_segment_min_blocks
    // blocks on every arch: the kernel accumulates partial sums through Y across chunks, in row
    // groups (m past a group boundary where the arch's group is small), and finishes bias and
    // clamp on the last chunk; pixels past the last full tile (with an overlapping vector) run
    // the row order. Also split into pixel chunks by a pool, and half-width tiles (7x7 layers).
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        const index_t tile = block::spmm_vectors<A>(1) * w, tile_bytes = tile * index_t(sizeof(float));
        const index_t chunk_rows = block::spmm_segment_x_bytes / (tile_bytes + 64);
        const index_t k = std::max<index_t>(3 * chunk_rows + 5, 8 * block::spmm_segment_min_blocks);
        const index_t group = block::spmm_segment_y_bytes / tile_bytes;
        const index_t m = group <= 64 ? group + 3 : 21;
        REQUIRE((k + chunk_rows - 1) / chunk_rows >= 2);
        // Rows hold ~0.7 k blocks at 30 % sparsity; k / 2 leaves a margin for the random counts.
        REQUIRE(k / 2 / block::spmm_segment_min_blocks >= 2);
        std::uint32_t seed = 5000;
        check_spmm({m, 2 * tile + w + 3, k, {1, 1}, 0.3, activation::relu6, true}, seed++);
        check_spmm({m, tile, k, {1, 1}, 0.3, activation::none, false}, seed++);
        check_spmm({7, 3 * tile - 1, k, {1, 1}, 0.3, activation::relu, true, nullptr, 5, 3}, seed++);
        thread_pool pool(2);
        check_spmm({m, 10 * tile - 3, k, {1, 1}, 0.3, activation::relu, true, &pool}, seed++);  // pixel chunks
        check_spmm({m, 9 * tile + 1, k, {1, 1}, 0.3, activation::relu, true, &pool}, seed++);   // uneven: block rows
        // Fewer pixels than a tile, K >= spmm_segment_half_min_rows: half-width segment tiles.
        const index_t half = tile / 2, k_half = std::max(k, block::spmm_segment_half_min_rows);
        REQUIRE(k_half / 2 / block::spmm_segment_min_blocks >= 2);
        check_spmm({m, half + 1, k_half, {1, 1}, 0.3, activation::relu6, true}, seed++);
        check_spmm({9, tile - 1, k_half, {1, 1}, 0.3, activation::none, false}, seed++);
    });
}

TEST_CASE("block spmm plan: narrow tiles of long rows and multi-pass blocks on every arch")
{
    // Rows of >= spmm_split_min_blocks blocks: the leftover vectors of a row (narrow tiles, < 6
    // accumulators) rotate over 2 or 4 accumulator sets (remainder blocks after the last full
    // set, rows just under and over the threshold); 8x1 / 16x1 blocks run their row passes back
    // to back on each tile (m past a pass, the later passes' X prefetch on long rows).
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        const index_t k = 3 * block::spmm_split_min_blocks + 7;
        std::uint32_t seed = 6000;
        for (const block::block_shape bs : {block::block_shape{1, 1}, block::block_shape{2, 1}, block::block_shape{4, 1},
                                            block::block_shape{8, 1}, block::block_shape{16, 1}}) {
            const index_t tile = block::spmm_vectors<A>(block::spmm_rows<A>(bs.r)) * w;
            for (const index_t n : {tile + w + 1, tile + 2 * w, 2 * tile + 3 * w - 1, w + 1})
                check_spmm({2 * bs.r + 3, n, k, bs, 0.5, activation::relu, true}, seed++);
            check_spmm({bs.r + 1, tile + w + 2, k, bs, 0.9, activation::none, false}, seed++);
            // Around the threshold: about spmm_split_min_blocks - 2 .. + 2 blocks per row.
            const index_t k_edge = block::spmm_split_min_blocks + 2;
            for (const double s : {0.0, 0.05, 0.1})
                check_spmm({3 * bs.r, tile + w + 1, k_edge, bs, s, activation::relu6, true}, seed++);
        }
        // Long rows whose tile-wide X slice exceeds spmm_pass_l1_bytes: 8x1 / 16x1 passes after
        // the first prefetch X again.
        const index_t tile4 = block::spmm_vectors<A>(block::spmm_rows<A>(8)) * w;
        const index_t k_long = 4 * block::spmm_pass_l1_bytes / (tile4 * index_t(sizeof(float))) + 9;
        for (const block::block_shape bs : {block::block_shape{8, 1}, block::block_shape{16, 1}})
            check_spmm({bs.r + 5, tile4 + w + 1, k_long, bs, 0.5, activation::relu, true}, seed++);
    });
}

TEST_CASE("block spmm plan edge battery: sizes from 1, sparsity 0 to 100%")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        std::uint32_t seed = 2000;
        for (block::block_shape bs : {block::block_shape{1, 1}, block::block_shape{4, 1}, block::block_shape{8, 1},
                                      block::block_shape{16, 1}, block::block_shape{1, 4}})
            for (index_t m : {index_t(1), bs.r, bs.r + 3})
                for (index_t n : {index_t(1), index_t(2), w - 1, w, 2 * w + 1, 13 * w + 3})
                    for (index_t k : {index_t(1), index_t(9)})
                        for (double s : {0.0, 0.5, 0.99, 1.0})
                            if (n >= 1) check_spmm({m, n, k, bs, s, activation::relu, true}, seed++);
    });
}

TEST_CASE("block spmv plan: interleaved block-row streams on every arch")
{
    // 1-column blocks of lanes and 2 lanes rows take the interleaved SpMV (spmv_streams parts of
    // the task's block rows at once): block-row counts around multiples of the stream count,
    // rows of very different lengths (some empty), edge rows past m, and split tasks.
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        const index_t s = block::spmv_streams;
        thread_pool pool(2);
        std::uint32_t seed = 4000;
        for (index_t r : {w, 2 * w}) {
            if (r > 16) continue;
            const block::block_shape bs{r, 1};
            for (index_t block_rows : {index_t(1), s - 1, s, s + 1, 3 * s + 2})
                for (double sp : {0.0, 0.5, 0.99, 1.0}) {
                    check_spmm({block_rows * r, 1, 37, bs, sp, activation::relu, true}, seed++);
                    if (block_rows * r > 1) check_spmm({block_rows * r - 1, 1, 5, bs, sp, activation::none, false}, seed++);
                }
            check_spmm({(4 * s + 3) * r - 2, 1, 300, bs, 0.7, activation::relu6, true, &pool}, seed++);
        }
        // Uneven rows: the first rows dense, the rest nearly empty (the common part ends early).
        for (index_t r : {w, 2 * w}) {
            if (r > 16) continue;
            const index_t m = (2 * s + 1) * r, k = 50;
            auto wts = fgtest::random_block_sparse(m, k, {r, 1}, 0.95, seed++);
            const auto dense = random_floats(std::size_t(3 * r * k), seed++);
            std::copy(dense.begin(), dense.end(), wts.begin());
            const auto p = block::pack(matrix_view<const float>(wts.data(), m, k), {r, 1});
            const auto x = random_floats(std::size_t(k), seed++);
            std::vector<float> want(static_cast<std::size_t>(m), 0.0f), got(want.size(), 0.0f);
            ref::bsr_spmm(p, {x.data(), k, 1}, {want.data(), m, 1}, nullptr, activation::none);
            block::spmm_plan<float> plan(p, 1);
            plan.run({x.data(), k, 1}, {got.data(), m, 1});
            fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 1, 1), plan.kernel_name());
        }
    });
}

TEST_CASE("block spmm: every leftover tile width below the register tile")
{
    // Pixels past the last full tile take tiles of NV/2 vectors while NV > 5, then one vector
    // fewer per step: n = tile + v vectors (+ 1 pixel) reaches each of those widths.
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        std::uint32_t seed = 9000;
        for (const block::block_shape bs : {block::block_shape{1, 1}, block::block_shape{2, 1}, block::block_shape{4, 1},
                                            block::block_shape{8, 1}, block::block_shape{16, 1}, block::block_shape{4, 2}}) {
            const index_t nv = block::spmm_vectors<A>(block::spmm_rows<A>(bs.r)), tile = nv * w;
            for (index_t v = 1; v < nv; ++v) {
                check_spmm({2 * bs.r + 1, tile + v * w, 23, bs, 0.5, activation::relu, true}, seed++);
                check_spmm({bs.r, tile + v * w + 1, 9, bs, 0.3, activation::none, false}, seed++);
            }
        }
    });
}

TEST_CASE("block spmv plan: 1-column blocks take the widest arch whose lanes divide r")
{
    // On avx512 (16 lanes), 8x1 blocks run the avx2 SpMV and 4x1 the sse4_2 one: their vector
    // path needs the lanes to divide r (else scalar FMAs). SpMM (n > 1) keeps the best arch.
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        std::uint32_t seed = 4500;
        for (index_t r : {4, 8, 16}) {
            const block::block_shape bs{r, 1};
            simd::arch_id want = A::id;
            if (w > 1 && r % w != 0) want = r % 8 == 0 ? simd::arch_id::avx2 : simd::arch_id::sse4_2;
            const auto wts = fgtest::random_block_sparse(2 * r, 9, bs, 0.5, seed++);
            const auto p = block::pack(matrix_view<const float>(wts.data(), 2 * r, 9), bs);
            CHECK(block::spmm_plan<float>(p, 1).arch() == want);
            CHECK(block::spmm_plan<float>(p, 2).arch() == A::id);
            check_spmm({3 * r - 1, 1, 41, bs, 0.5, activation::relu, true}, seed++);
        }
    });
}

TEST_CASE("block spmm plan: strided operands, threads, a real FC layer")
{
    fgtest::for_each_runnable_arch([](auto) {
        check_spmm({33, 1, 70, {8, 1}, 0.5, activation::none, true, nullptr, 3, 2}, 1);  // strided SpMV
        check_spmm({33, 40, 70, {4, 1}, 0.5, activation::relu, true, nullptr, 5, 7}, 2);
        thread_pool pool(3);
        check_spmm({70, 200, 50, {4, 1}, 0.7, activation::relu, true, &pool}, 3);   // pixel chunks split
        check_spmm({130, 9, 64, {8, 1}, 0.8, activation::none, true, &pool}, 4);     // block-row groups
        check_spmm({129, 1, 300, {1, 1}, 0.9, activation::relu, true, &pool}, 5);    // SpMV groups
        check_spmm({5, 1, 70000, {1, 1}, 0.99, activation::none, true, &pool}, 6);   // uint32 column indices
    });
}

TEST_CASE("block spmm plan on a real-size 1x1 layer agrees with dense ref::gemm")
{
    // ResNet-50 conv_a at 14x14 (256 x 1024, 196 pixels), 8x1 blocks at 90%: one check on the
    // best arch, compared with the dense oracle on to_dense().
    const index_t m = 256, k = 1024, n = 196;
    const auto dense = random_floats(std::size_t(m * k), 77);
    const auto pruned = block::project(matrix_view<const float>(dense.data(), m, k), {8, 1}, 0.9);
    const auto p = block::pack(matrix_view<const float>(pruned.data(), m, k), {8, 1});
    const auto x = random_floats(std::size_t(k * n), 78, 0.0f, 1.0f);
    std::vector<float> want(std::size_t(m * n)), got(want.size());
    const auto back = p.to_dense();
    ref::gemm({back.data(), m, k}, {x.data(), k, n}, {want.data(), m, n});
    unstructured::spmm_plan<float> plan(p, n);
    plan.run({x.data(), k, n}, {got.data(), m, n});
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 1, 1), plan.kernel_name());
}

TEST_CASE("block spmm plan rejects bad shapes")
{
    std::vector<float> w(6, 1.0f), x(12, 1.0f), y(12);
    const auto p = block::pack(matrix_view<const float>(w.data(), 2, 3), {2, 1});
    block::spmm_plan<float> plan(p, 4);
    CHECK_THROWS_WITH_AS(plan.run({x.data(), 4, 3}, {y.data(), 2, 4}), doctest::Contains("x.rows"), finegrain::error);
    CHECK_THROWS_WITH_AS(plan.run({x.data(), 3, 4}, {y.data(), 3, 4}), doctest::Contains("y.rows"), finegrain::error);
    CHECK_THROWS_WITH_AS(plan.run({x.data(), 3, 4}, {y.data(), 2, 3}), doctest::Contains("y.cols"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::spmm_plan<float>(p, 0), doctest::Contains("gemm_shape.n = 0"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::spmm_plan<float>(block::bsr_matrix(), 2), doctest::Contains("gemm_shape.m = 0"),
                         finegrain::error);
}

TEST_CASE("block spmm plan: leftover pixels of lanes/4, lanes/2, lanes, 2 lanes row blocks on long rows take channel or group tiles on every arch")
{
    // Rows of >= spmm_channel_tail_min_blocks blocks of r = lanes or 2 lanes rows compute the
    // pixels past the last full vector (1..lanes-1 of them) with vectors over the rows; 1-column
    // blocks of lanes/2 or lanes/4 rows with 1 or 2 pixels left take group tiles (two or four
    // blocks per vector; block counts with every remainder). Pixel counts with 1, 2, half-lanes and lanes-1 leftover pixels after
    // full tiles and after narrower tiles (7x7 = 49), a partial last block row (m not a multiple
    // of r), 2-column blocks with an edge block column (k_limit), and sparsities 0 / 50 / 90 / 99 /
    // 100 % (90 %: rows long enough for group tiles, not channel tiles; the last two keep the rows
    // short: the pixel-vector path on the same shapes); one
    // case split by a pool.
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const index_t w = block::bsr_kernels<A>::lanes;
        std::uint32_t seed = 7000;
        for (block::block_shape bs : {block::block_shape{w, 1}, block::block_shape{2 * w, 1}, block::block_shape{w, 2},
                                      block::block_shape{w / 2, 1}, block::block_shape{w / 4, 1}}) {
            if (!bs.supported(bs.r)) continue;
            // 50 %: ~2 x the minimum blocks per row; with c = 2 an edge block column.
            const index_t k = bs.c * (4 * block::spmm_channel_tail_min_blocks + 5) + bs.c - 1;
            const index_t tile = block::spmm_vectors<A>(block::spmm_rows<A>(bs.r)) * w;
            REQUIRE(k / bs.c / 2 * 3 / 4 >= block::spmm_channel_tail_min_blocks);
            for (index_t n : {tile + 1, tile + 2, tile + std::max<index_t>(1, w / 2), 2 * tile + w - 1, index_t(49)})
                check_spmm({2 * bs.r + 3, n, k, bs, 0.5, activation::relu, true}, seed++);
            check_spmm({bs.r + 1, 49, k, bs, 0.0, activation::relu6, true}, seed++);
            check_spmm({bs.r, w - 1 > 0 ? w - 1 : 1, k, bs, 0.0, activation::none, false}, seed++);  // tail only
            check_spmm({3 * bs.r + 1, 49, k, bs, 0.9, activation::relu6, true}, seed++);  // rows of ~26 blocks: group tiles only
            check_spmm({3 * bs.r, 49, k, bs, 0.99, activation::relu, true}, seed++);
            check_spmm({bs.r + 2, 49, k, bs, 1.0, activation::relu, true}, seed++);
            thread_pool pool(2);
            check_spmm({4 * bs.r + 1, 49, k, bs, 0.5, activation::none, true, &pool, 3, 5}, seed++);
        }
    });
}
