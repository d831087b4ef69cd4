#include <vector>

#include "block/block_test_support.hpp"
#include "finegrain/block/conv1x1_plan.hpp"
#include "finegrain/block/conv3x3_punched_plan.hpp"
#include "finegrain/block/project.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/punched_conv.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

void check_conv1x1(index_t batch, index_t cin, index_t cout, index_t h, index_t w, block::block_shape bs, double s,
                   executor* pool, std::uint32_t seed, index_t row_pad = 0)
{
    CAPTURE(cin);
    CAPTURE(cout);
    CAPTURE(h);
    CAPTURE(w);
    CAPTURE(bs.r);
    CAPTURE(bs.c);
    const auto shape = conv2d_shape::square(batch, cin, cout, 1, 1);
    conv2d_shape sh = shape;
    sh.in_height = h;
    sh.in_width = w;
    const auto wt = fgtest::random_block_sparse(cout, cin, bs, s, seed);
    const auto p = block::pack(matrix_view<const float>(wt.data(), cout, cin), bs);
    // Input with padded rows (stride_h = w + row_pad) exercises the gather path.
    const index_t sh_in = w + row_pad;
    std::vector<float> in = random_floats(std::size_t(batch * cin * h * sh_in), seed + 1, 0.0f, 1.0f);
    tensor4_view<const float> in_v(in.data(), sh.input_dims(), cin * h * sh_in, h * sh_in, sh_in);
    const auto bias = random_floats(std::size_t(cout), seed + 2);
    std::vector<float> want(std::size_t(sh.output_dims().size())), got(want.size(), -1.0f);
    ref::conv2d(sh, in_v, {wt.data(), sh.weight_dims()}, bias.data(), {want.data(), sh.output_dims()}, activation::relu);
    block::spmm_options opt;
    opt.bias = bias.data();
    opt.act = activation::relu;
    opt.pool = pool;
    block::conv1x1_plan<float> plan(p, sh, opt);
    plan.run(in_v, {got.data(), sh.output_dims()});
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(cin, 1, 1), plan.kernel_name());
}

void check_punched(index_t batch, index_t cin, index_t cout, index_t h, index_t w, index_t stride, index_t pad,
                   block::punched_shape ps, double s, executor* pool, std::uint32_t seed, index_t band_rows = 0)
{
    CAPTURE(band_rows);
    CAPTURE(cin);
    CAPTURE(cout);
    CAPTURE(h);
    CAPTURE(w);
    CAPTURE(stride);
    CAPTURE(pad);
    CAPTURE(ps.filters);
    CAPTURE(ps.channels);
    conv2d_shape sh = conv2d_shape::square(batch, cin, cout, h, 3, stride, pad);
    sh.in_width = w;
    const auto wt = fgtest::random_punched(cout, cin, ps, s, seed);
    const auto p = block::pack_punched(tensor4_view<const float>(wt.data(), {cout, cin, 3, 3}), ps);
    const auto in = random_floats(std::size_t(sh.input_dims().size()), seed + 1);
    const auto bias = random_floats(std::size_t(cout), seed + 2);
    std::vector<float> want(std::size_t(sh.output_dims().size())), got(want.size(), -1.0f);
    ref::punched_conv3x3(sh, {in.data(), sh.input_dims()}, p, bias.data(), {want.data(), sh.output_dims()},
                         activation::relu6);
    block::spmm_options opt;
    opt.bias = bias.data();
    opt.act = activation::relu6;
    opt.pool = pool;
    opt.band_rows = band_rows;
    block::conv3x3_punched_plan<float> plan(p, sh, opt);
    CHECK(plan.band_rows() == (band_rows > 0 ? std::min(band_rows, sh.out_height()) : sh.out_height()));
    plan.run({in.data(), sh.input_dims()}, {got.data(), sh.output_dims()});
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(9 * cin, 1, 1), plan.kernel_name());
}

} // namespace

TEST_CASE("block conv1x1 plan matches ref::conv2d on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 3000;
        block::conv1x1_plan<float> probe(block::pack(matrix_view<const float>(std::vector<float>(4, 1.f).data(), 2, 2), {1, 1}),
                                         [] { auto s = conv2d_shape::square(1, 2, 2, 3, 1); return s; }());
        CHECK(probe.arch() == A::id);
        for (block::block_shape bs : {block::block_shape{1, 1}, block::block_shape{4, 1}, block::block_shape{8, 1},
                                      block::block_shape{2, 4}, block::block_shape{16, 16}})
            for (index_t hw : {1, 3, 7})
                check_conv1x1(2, 19, 21, hw, hw + 1, bs, 0.5, nullptr, seed++);
        check_conv1x1(1, 16, 24, 7, 7, {8, 1}, 0.7, nullptr, seed++, 3);  // padded input rows
        check_conv1x1(1, 3, 5, 1, 1, {1, 1}, 0.0, nullptr, seed++, 2);    // one pixel, strided
        // 7x7 plane, rows of >= spmm_channel_tail_min_blocks 8x1 blocks: the last pixel in channel tiles.
        check_conv1x1(1, 4 * block::spmm_channel_tail_min_blocks, 21, 7, 7, {8, 1}, 0.5, nullptr, seed++);
        thread_pool pool(2);
        check_conv1x1(1, 32, 40, 14, 14, {4, 1}, 0.8, &pool, seed++);
        check_conv1x1(2, 64, 16, 7, 7, {8, 1}, 0.9, &pool, seed++);
    });
}

TEST_CASE("block conv3x3 punched plan matches the reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto) {
        std::uint32_t seed = 4000;
        for (index_t stride : {1, 2})
            for (index_t pad : {0, 1})
                for (block::punched_shape ps : {block::punched_shape{8, 4}, block::punched_shape{4, 2},
                                                block::punched_shape{1, 1}, block::punched_shape{16, 8}})
                    check_punched(1, 6, 11, 7, 9, stride, pad, ps, 0.5, nullptr, seed++);
        check_punched(2, 5, 3, 3, 3, 1, 0, {8, 4}, 0.0, nullptr, seed++);   // one output pixel
        check_punched(1, 4, 8, 4, 5, 2, 0, {8, 4}, 0.0, nullptr, seed++);   // even sizes, stride 2
        check_punched(1, 8, 8, 6, 6, 1, 1, {8, 4}, 1.0, nullptr, seed++);   // everything pruned: bias only
        thread_pool pool(3);
        check_punched(1, 16, 24, 14, 14, 1, 1, {8, 4}, 0.875, &pool, seed++);
        check_punched(1, 12, 16, 15, 13, 2, 1, {4, 4}, 0.7, &pool, seed++);
        // Bands of output rows (one scratch slab per worker): 1 row, bands not dividing the
        // height (the last band recomputes rows of the one before), every stride and padding,
        // batch 2, more bands than workers, and one band covering the image.
        for (index_t stride : {1, 2})
            for (index_t pad : {0, 1})
                for (index_t rows : {1, 3})
                    check_punched(2, 6, 11, 13, 9, stride, pad, {8, 4}, 0.5, rows == 3 ? &pool : nullptr, seed++, rows);
        check_punched(1, 9, 16, 11, 11, 1, 1, {4, 2}, 0.6, &pool, seed++, 4);
        check_punched(1, 5, 8, 6, 7, 1, 1, {8, 4}, 0.5, nullptr, seed++, 100);
    });
}

TEST_CASE("block conv3x3 punched plan bands large images by default")
{
    // Scratch of one image (padded input + output rows): 64 -> 64 at 112 x 112 is ~6.5 MB, so
    // the plan bands it (~1 MB bands, a multiple of the workers); 56 x 56 (~1.6 MB) runs whole.
    std::vector<float> w(64 * 64 * 9, 0.0f);
    w[0] = 1.0f;
    const auto p = block::pack_punched(tensor4_view<const float>(w.data(), {64, 64, 3, 3}), {8, 4});
    const block::conv3x3_punched_plan<float> large(p, conv2d_shape::square(1, 64, 64, 112, 3, 1, 1));
    CHECK(large.band_rows() > 1);
    CHECK(large.band_rows() < 112);
    thread_pool pool(2);
    block::spmm_options opt;
    opt.pool = &pool;
    const block::conv3x3_punched_plan<float> large2(p, conv2d_shape::square(1, 64, 64, 112, 3, 1, 1), opt);
    CHECK((112 + large2.band_rows() - 1) / large2.band_rows() % 2 == 0);
    const block::conv3x3_punched_plan<float> small(p, conv2d_shape::square(1, 64, 64, 56, 3, 1, 1));
    CHECK(small.band_rows() == 56);
    opt.band_rows = -1;
    CHECK_THROWS_WITH_AS(block::conv3x3_punched_plan<float>(p, conv2d_shape::square(1, 64, 64, 56, 3, 1, 1), opt),
                         doctest::Contains("options.band_rows = -1"), finegrain::error);
}

TEST_CASE("block conv plans reject bad shapes")
{
    std::vector<float> w(8 * 4, 1.0f);
    const auto p = block::pack(matrix_view<const float>(w.data(), 8, 4), {4, 1});
    CHECK_THROWS_WITH_AS(block::conv1x1_plan<float>(p, conv2d_shape::square(1, 4, 8, 5, 3, 1, 1)),
                         doctest::Contains("shape.kernel_h"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::conv1x1_plan<float>(p, conv2d_shape::square(1, 4, 8, 5, 1, 2, 0)),
                         doctest::Contains("shape.stride_h"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::conv1x1_plan<float>(p, conv2d_shape::square(1, 5, 8, 5, 1)),
                         doctest::Contains("w.cols"), finegrain::error);
    block::conv1x1_plan<float> ok(p, conv2d_shape::square(1, 4, 8, 5, 1));
    std::vector<float> in(4 * 25), out(8 * 25);
    CHECK_THROWS_WITH_AS(ok.run({in.data(), {1, 4, 5, 5}}, {out.data(), {1, 8, 5, 4}}), doctest::Contains("output"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(ok.run({in.data(), {1, 2, 5, 10}}, {out.data(), {1, 8, 5, 5}}), doctest::Contains("input"),
                         finegrain::error);

    std::vector<float> w3(8 * 4 * 9, 1.0f);
    const auto q = block::pack_punched(tensor4_view<const float>(w3.data(), {8, 4, 3, 3}), {8, 4});
    CHECK_THROWS_WITH_AS(block::conv3x3_punched_plan<float>(q, conv2d_shape::square(1, 4, 8, 9, 3, 3, 1)),
                         doctest::Contains("shape.stride_h = 3"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::conv3x3_punched_plan<float>(q, conv2d_shape::square(1, 4, 8, 9, 5, 1, 2)),
                         doctest::Contains("shape.kernel_h = 5"), finegrain::error);
    CHECK_THROWS_WITH_AS(block::conv3x3_punched_plan<float>(q, conv2d_shape::square(1, 4, 16, 9, 3, 1, 1)),
                         doctest::Contains("w.out_channels"), finegrain::error);
}
