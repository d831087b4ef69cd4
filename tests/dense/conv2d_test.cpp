#include <vector>

#include "finegrain/dense/conv2d_plan.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

void check_conv(const conv2d_shape& s, activation act, executor* pool, std::uint32_t seed, bool padded_views = false)
{
    CAPTURE(s.batch);
    CAPTURE(s.in_channels);
    CAPTURE(s.out_channels);
    CAPTURE(s.in_height);
    CAPTURE(s.in_width);
    CAPTURE(s.kernel_h);
    CAPTURE(s.stride_h);
    CAPTURE(s.pad_h);
    auto in = random_floats(std::size_t(s.input_dims().size()), seed);
    auto w = random_floats(std::size_t(s.weight_dims().size()), seed + 1);
    auto bias = random_floats(std::size_t(s.out_channels), seed + 2);
    const auto od = s.output_dims();
    std::vector<float> want(std::size_t(od.size()));
    tensor4_view<const float> wv(w.data(), s.weight_dims());
    ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), wv, bias.data(),
                tensor4_view<float>(want.data(), od), act);

    dense::conv2d_options opt;
    opt.bias = bias.data();
    opt.act = act;
    opt.pool = pool;
    dense::conv2d_plan<float> plan(wv, s, opt);
    std::vector<float> got(std::size_t(od.size()), -3.0f);
    if (!padded_views) {
        plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(got.data(), od));
    } else {  // rows padded by 3 in both tensors: the plan must honour strides
        const auto id = s.input_dims();
        const index_t ish = id.w + 3, osh = od.w + 3;
        std::vector<float> pin(std::size_t(id.n * id.c * id.h * ish), 99.0f);
        std::vector<float> pout(std::size_t(od.n * od.c * od.h * osh), 77.0f);
        tensor4_view<float> piv(pin.data(), id, id.c * id.h * ish, id.h * ish, ish);
        for (index_t n = 0; n < id.n; ++n)
            for (index_t c = 0; c < id.c; ++c)
                for (index_t y = 0; y < id.h; ++y)
                    for (index_t x = 0; x < id.w; ++x) piv(n, c, y, x) = in[std::size_t(((n * id.c + c) * id.h + y) * id.w + x)];
        tensor4_view<float> pov(pout.data(), od, od.c * od.h * osh, od.h * osh, osh);
        plan.run(tensor4_view<const float>(piv), pov);
        for (index_t n = 0; n < od.n; ++n)
            for (index_t c = 0; c < od.c; ++c)
                for (index_t y = 0; y < od.h; ++y) {
                    for (index_t x = 0; x < od.w; ++x) got[std::size_t(((n * od.c + c) * od.h + y) * od.w + x)] = pov(n, c, y, x);
                    for (index_t x = od.w; x < osh; ++x) CHECK(pov.plane(n, c)[y * osh + x] == 77.0f);  // padding untouched
                }
    }
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(s.taps(), 1, 1), plan.kernel_name());
}

} // namespace

TEST_CASE("dense conv2d plan (im2col rows + GEMM) matches the reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto) {
        std::uint32_t seed = 100;
        SUBCASE("3x3 stride 1 and 2, padding 0 and 1, odd sizes")
        {
            for (index_t size : {1, 2, 5, 8, 13})
                for (index_t stride : {1, 2})
                    for (index_t pad : {0, 1}) {
                        if (size + 2 * pad < 3) continue;
                        check_conv(conv2d_shape::square(1, 3, 5, size, 3, stride, pad), activation::relu, nullptr, seed++);
                    }
        }
        SUBCASE("other kernel sizes, rectangular, batch")
        {
            conv2d_shape s = conv2d_shape::square(2, 4, 7, 9, 5, 1, 2);
            check_conv(s, activation::none, nullptr, seed++);
            s = conv2d_shape::square(3, 2, 3, 7, 1, 1, 0);  // 1x1 direct path
            check_conv(s, activation::relu6, nullptr, seed++);
            s = conv2d_shape::square(1, 2, 3, 7, 1, 2, 0);  // 1x1 stride 2 goes through im2col
            check_conv(s, activation::none, nullptr, seed++);
            s = conv2d_shape::square(1, 3, 4, 11, 7, 3, 3);
            check_conv(s, activation::none, nullptr, seed++);
            s.in_height = 6;
            s.kernel_h = 3;
            s.pad_h = 1;
            s.stride_h = 1;
            check_conv(s, activation::relu, nullptr, seed++);
        }
        SUBCASE("strided (row-padded) input and output views")
        {
            check_conv(conv2d_shape::square(2, 3, 4, 6, 3, 1, 1), activation::none, nullptr, seed++, true);
            check_conv(conv2d_shape::square(1, 5, 4, 6, 1, 1, 0), activation::none, nullptr, seed++, true);
        }
        SUBCASE("patch rows of large layers: several column chunks (cut mid-row) and K blocks")
        {
            // K = 333: blocks of 256 + 77 rows (row groups of 16 with a remainder); P = 2500 and
            // 2601: two column chunks whose boundary falls inside an output row.
            check_conv(conv2d_shape::square(1, 37, 5, 50, 3, 1, 1), activation::none, nullptr, seed++);
            check_conv(conv2d_shape::square(1, 40, 3, 101, 3, 2, 1), activation::relu, nullptr, seed++);
            thread_pool pool(2);
            check_conv(conv2d_shape::square(1, 37, 5, 50, 3, 1, 0), activation::none, &pool, seed++);
        }
        SUBCASE("threads, a real layer shape")
        {
            thread_pool pool(2);
            check_conv(conv2d_shape::square(1, 16, 24, 14, 3, 1, 1), activation::relu, &pool, seed++);
            check_conv(conv2d_shape::square(2, 8, 16, 7, 3, 2, 1), activation::relu, &pool, seed++);
        }
    });
}

TEST_CASE("dense conv2d plan rejects mismatched tensors")
{
    auto s = conv2d_shape::square(1, 2, 3, 5, 3, 1, 1);
    std::vector<float> w(std::size_t(s.weight_dims().size()), 1.0f), in(100), out(100);
    dense::conv2d_plan<float> plan(tensor4_view<const float>(w.data(), s.weight_dims()), s);
    CHECK_THROWS_WITH_AS(plan.run(tensor4_view<const float>(in.data(), {1, 3, 5, 5}), tensor4_view<float>(out.data(), s.output_dims())),
                         doctest::Contains("input"), finegrain::error);
    CHECK_THROWS_WITH_AS(dense::conv2d_plan<float>(tensor4_view<const float>(w.data(), {3, 2, 3, 2}), s),
                         doctest::Contains("weights"), finegrain::error);
    auto bad = s;
    bad.kernel_w = 0;
    CHECK_THROWS_WITH_AS(dense::conv2d_plan<float>(tensor4_view<const float>(w.data(), s.weight_dims()), bad),
                         doctest::Contains("kernel_w = 0"), finegrain::error);
}
