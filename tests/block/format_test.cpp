#include <cmath>
#include <limits>
#include <vector>

#include "block/block_test_support.hpp"
#include "finegrain/block/format.hpp"
#include "finegrain/block/punched_format.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/gemm.hpp"
#include "finegrain/ref/punched_conv.hpp"
#include "finegrain/ref/spmm.hpp"
#include "finegrain/unstructured/format.hpp"

using namespace finegrain;
using fgtest::random_floats;

TEST_CASE("block bsr pack and to_dense round-trip for every block shape")
{
    std::uint32_t seed = 100;
    for (const auto bs : fgtest::all_block_shapes())
        for (index_t m : {index_t(1), bs.r + 1, 2 * bs.r + 3})
            for (index_t k : {index_t(1), bs.c - 1, 3 * bs.c + 2})
                for (double s : {0.0, 0.5, 1.0}) {
                    if (k < 1) continue;
                    CAPTURE(bs.r);
                    CAPTURE(bs.c);
                    CAPTURE(m);
                    CAPTURE(k);
                    CAPTURE(s);
                    const auto w = fgtest::random_block_sparse(m, k, bs, s, seed++);
                    const auto p = block::pack(matrix_view<const float>(w.data(), m, k), bs);
                    CHECK(p.rows() == m);
                    CHECK(p.cols() == k);
                    CHECK(p.to_dense() == w);
                    if (s == 1.0) CHECK(p.nnz_blocks() == 0);
                    // Re-adopting the arrays through the validating constructor gives the same matrix.
                    std::vector<std::uint32_t> rp(p.row_ptr(), p.row_ptr() + p.block_rows() + 1);
                    std::vector<std::uint32_t> ci(p.col_idx(), p.col_idx() + p.nnz_blocks());
                    std::vector<float> v(p.values(), p.values() + p.stored_values());
                    CHECK(block::bsr_matrix(m, k, bs, rp, ci, v).to_dense() == w);
                }
}

TEST_CASE("block bsr counts blocks and density")
{
    std::vector<float> w = {1, 0, 0, 0,  //
                            0, 0, 0, 2,  //
                            0, 0, 0, 0};
    const auto p = block::pack(matrix_view<const float>(w.data(), 3, 4), {2, 2});
    CHECK(p.block_rows() == 2);
    CHECK(p.block_cols() == 2);
    CHECK(p.nnz_blocks() == 2);  // (0,0) and (0,1); block row 1 is empty
    CHECK(p.row_ptr()[1] == 2);
    CHECK(p.row_ptr()[2] == 2);
    CHECK(p.col_idx()[0] == 0);
    CHECK(p.col_idx()[1] == 1);
    CHECK(p.values()[0] == 1.0f);  // column-major inside the block: (0,0) (1,0) (0,1) (1,1)
    CHECK(p.values()[4 + 3] == 2.0f);
    CHECK(p.density() == doctest::Approx(8.0 / 12.0));
    const auto csr = unstructured::pack(matrix_view<const float>(w.data(), 3, 4));
    CHECK(csr.nnz_blocks() == 2);
    CHECK(csr.stored_values() == 2);
}

TEST_CASE("block bsr rejects bad packed data")
{
    // 3 x 5 matrix, 2 x 2 blocks: 2 block rows, 3 block columns.
    const block::block_shape bs{2, 2};
    std::vector<std::uint32_t> rp = {0, 2, 3}, ci = {0, 2, 1};
    std::vector<float> v(12, 1.0f);
    v[4 + 2] = v[4 + 3] = 0.0f;  // block (0, 2): column 5 is outside the matrix
    v[8 + 1] = v[8 + 3] = 0.0f;  // block (1, 1): row 3 is outside the matrix
    CHECK_NOTHROW(block::bsr_matrix(3, 5, bs, rp, ci, v));

    auto bad = [&](std::vector<std::uint32_t> r, std::vector<std::uint32_t> c, std::vector<float> vv, const char* what) {
        CHECK_THROWS_WITH_AS(block::bsr_matrix(3, 5, bs, r, c, vv), doctest::Contains(what), finegrain::error);
    };
    bad({0, 2}, ci, v, "bsr.row_ptr.size");
    bad({1, 2, 3}, ci, v, "bsr.row_ptr[0]");
    bad({0, 3, 2}, {0, 1}, std::vector<float>(8, 0.0f), "bsr.row_ptr = 3");
    bad(rp, {0, 2}, v, "bsr.col_idx.size");
    bad(rp, {0, 3, 1}, v, "bsr.col_idx = 3");                    // out of range
    bad(rp, {1, 0, 1}, v, "strictly increasing");              // unsorted
    bad({0, 2, 2}, {1, 1}, std::vector<float>(8, 0.0f), "strictly increasing");  // duplicate
    bad(rp, ci, std::vector<float>(11, 1.0f), "bsr.values.size");
    auto outside = v;
    outside[4 + 3] = 5.0f;
    bad(rp, ci, outside, "bsr.values = 5");
    auto not_finite = v;
    not_finite[2] = std::numeric_limits<float>::quiet_NaN();
    bad(rp, ci, not_finite, "must be finite");  // as pack() rejects
    not_finite[2] = std::numeric_limits<float>::infinity();
    bad(rp, ci, not_finite, "bsr.values = inf");
    CHECK_THROWS_WITH_AS(block::bsr_matrix(3, 5, {3, 1}, rp, ci, v), doctest::Contains("bsr.block_shape.r = 3"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(block::bsr_matrix(0, 5, bs, rp, ci, v), doctest::Contains("bsr.rows = 0"), finegrain::error);

    std::vector<float> dense(6, 1.0f);
    CHECK_THROWS_WITH_AS(block::pack(matrix_view<const float>(dense.data(), 2, 3), {1, 32}),
                         doctest::Contains("bsr.block_shape.c = 32"), finegrain::error);
    dense[4] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(block::pack(matrix_view<const float>(dense.data(), 2, 3), {1, 1}), doctest::Contains("dense"),
                         finegrain::error);
}

TEST_CASE("block punched pack and to_dense round-trip")
{
    std::uint32_t seed = 300;
    for (block::punched_shape ps : {block::punched_shape{8, 4}, block::punched_shape{4, 4}, block::punched_shape{1, 1},
                                    block::punched_shape{16, 2}})
        for (index_t o : {1, 9, 17})
            for (index_t ch : {1, 5, 8})
                for (double s : {0.0, 0.6, 1.0}) {
                    CAPTURE(o);
                    CAPTURE(ch);
                    const auto w = fgtest::random_punched(o, ch, ps, s, seed++);
                    const auto p = block::pack_punched(tensor4_view<const float>(w.data(), {o, ch, 3, 3}), ps);
                    CHECK(p.to_dense() == w);
                    if (s == 1.0) CHECK(p.n_entries() == 0);
                    if (s == 0.0) CHECK(p.n_entries() == p.filter_blocks() * p.channel_blocks() * 9);
                }
}

TEST_CASE("block punched rejects bad packed data")
{
    // 4 filters x 6 channels, 4x4 blocks: 1 filter block, 2 channel blocks (codes < 18).
    const block::punched_shape ps{4, 4};
    std::vector<std::uint32_t> rp = {0, 2}, codes = {0, 13};
    std::vector<float> v(32, 1.0f);
    for (index_t j = 2; j < 4; ++j)
        for (index_t i = 0; i < 4; ++i) v[std::size_t(16 + j * 4 + i)] = 0.0f;  // channels 6, 7 are outside
    CHECK_NOTHROW(block::punched_conv3x3(4, 6, ps, rp, codes, v));
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, ps, rp, {0, 18}, v), doctest::Contains("punched.entries = 18"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, ps, rp, {4, 0}, v), doctest::Contains("strictly increasing"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, ps, {0, 3}, codes, v), doctest::Contains("punched.entries.size"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, ps, {1, 2}, codes, v), doctest::Contains("punched.row_ptr[0]"),
                         finegrain::error);
    auto outside = v;
    outside[16 + 12] = 2.0f;
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, ps, rp, codes, outside), doctest::Contains("punched.values = 2"),
                         finegrain::error);
    auto not_finite = v;
    not_finite[3] = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, ps, rp, codes, not_finite), doctest::Contains("punched.values = -inf"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(block::punched_conv3x3(4, 6, {4, 3}, rp, codes, v), doctest::Contains("punched_shape.channels = 3"),
                         finegrain::error);
    std::vector<float> w5(2 * 2 * 25, 1.0f);
    CHECK_THROWS_WITH_AS(block::pack_punched(tensor4_view<const float>(w5.data(), {2, 2, 5, 5}), ps),
                         doctest::Contains("weights.kernel"), finegrain::error);
}

TEST_CASE("ref bsr_spmm and bsr_spmv match ref::gemm on to_dense")
{
    std::uint32_t seed = 500;
    for (block::block_shape bs : {block::block_shape{1, 1}, block::block_shape{4, 1}, block::block_shape{2, 8},
                                  block::block_shape{16, 4}})
        for (index_t n : {1, 5}) {
            const index_t m = 19, k = 23;
            const auto w = fgtest::random_block_sparse(m, k, bs, 0.5, seed++);
            const auto p = block::pack(matrix_view<const float>(w.data(), m, k), bs);
            const auto x = random_floats(std::size_t(k * n), seed++);
            const auto bias = random_floats(std::size_t(m), seed++);
            std::vector<float> got(std::size_t(m * n)), want(got.size());
            const auto dense = p.to_dense();
            ref::bsr_spmm(p, {x.data(), k, n}, {got.data(), m, n}, bias.data(), activation::relu);
            ref::gemm({dense.data(), m, k}, {x.data(), k, n}, {want.data(), m, n}, bias.data(), activation::relu);
            fgtest::check_close(got.data(), want.data(), got.size(), 1e-5, "ref::bsr_spmm");
            if (n == 1) {
                std::vector<float> y(static_cast<std::size_t>(m));
                ref::bsr_spmv(p, x.data(), y.data(), bias.data(), activation::relu);
                fgtest::check_close(y.data(), want.data(), y.size(), 1e-5, "ref::bsr_spmv");
            }
        }
}

TEST_CASE("ref punched_conv3x3 matches ref::conv2d on to_dense")
{
    std::uint32_t seed = 700;
    for (index_t stride : {1, 2})
        for (index_t pad : {0, 1}) {
            CAPTURE(stride);
            CAPTURE(pad);
            conv2d_shape s;
            s.batch = 2;
            s.in_channels = 6;
            s.out_channels = 10;
            s.in_height = 7;
            s.in_width = 6;
            s.stride_h = s.stride_w = stride;
            s.pad_h = s.pad_w = pad;
            const auto w = fgtest::random_punched(10, 6, {4, 4}, 0.5, seed++);
            const auto p = block::pack_punched(tensor4_view<const float>(w.data(), {10, 6, 3, 3}), {4, 4});
            const auto in = random_floats(std::size_t(s.input_dims().size()), seed++);
            const auto bias = random_floats(10, seed++);
            std::vector<float> got(std::size_t(s.output_dims().size())), want(got.size());
            ref::punched_conv3x3(s, {in.data(), s.input_dims()}, p, bias.data(), {got.data(), s.output_dims()},
                                 activation::relu6);
            const auto dense = p.to_dense();
            ref::conv2d(s, {in.data(), s.input_dims()}, {dense.data(), s.weight_dims()}, bias.data(),
                        {want.data(), s.output_dims()}, activation::relu6);
            fgtest::check_close(got.data(), want.data(), got.size(), 1e-5, "ref::punched_conv3x3");
        }
}
