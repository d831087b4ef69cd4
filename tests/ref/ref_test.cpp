// The oracles themselves, checked against hand-computed values.
#include <vector>

#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/gemm.hpp"
#include "support/testing.hpp"

using namespace finegrain;

TEST_CASE("ref::gemm and ref::gemv on a hand-checked case")
{
    const float a[] = {1, 2, 3, 4, 5, 6};       // 2 x 3
    const float b[] = {1, -1, 0, 2, 3, 0.5f};   // 3 x 2
    const float bias[] = {0.5f, -100};
    float c[4];
    ref::gemm({a, 2, 3}, {b, 3, 2}, {c, 2, 2}, bias, activation::none);
    CHECK(c[0] == 1 + 0 + 9 + 0.5f);
    CHECK(c[1] == -1 + 4 + 1.5f + 0.5f);
    CHECK(c[2] == 4 + 0 + 18 - 100);
    ref::gemm({a, 2, 3}, {b, 3, 2}, {c, 2, 2}, bias, activation::relu);
    CHECK(c[2] == 0.0f);
    ref::gemm({a, 2, 3}, {b, 3, 2}, {c, 2, 2}, nullptr, activation::relu6);
    CHECK(c[0] == 6.0f);
    CHECK(c[1] == 4.5f);

    const float x[] = {1, 0, -1};
    float y[2];
    ref::gemv({a, 2, 3}, x, y, bias, activation::none);
    CHECK(y[0] == -2 + 0.5f);
    CHECK(y[1] == -2 - 100);
    CHECK_THROWS_WITH_AS(ref::gemm({a, 2, 3}, {b, 2, 3}, {c, 2, 2}), doctest::Contains("b.rows = 2"), finegrain::error);
}

TEST_CASE("ref::conv2d: padding, stride, bias, activation by hand")
{
    // 1 image, 1 channel, 3x3 input 1..9; 2 filters of 3x3.
    std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<float> w(2 * 9, 0.0f);
    w[4] = 1.0f;             // filter 0: identity (centre tap)
    for (int i = 0; i < 9; ++i) w[9 + i] = 1.0f;  // filter 1: box sum
    const float bias[] = {0.0f, -20.0f};
    auto s = conv2d_shape::square(1, 1, 2, 3, 3, 1, 1);
    std::vector<float> out(2 * 9);
    ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<const float>(w.data(), s.weight_dims()),
                bias, tensor4_view<float>(out.data(), s.output_dims()), activation::none);
    for (int i = 0; i < 9; ++i) CHECK(out[std::size_t(i)] == in[std::size_t(i)]);
    CHECK(out[9 + 0] == 1 + 2 + 4 + 5 - 20.0f);       // corner sees 4 inputs
    CHECK(out[9 + 4] == 45 - 20.0f);                  // centre sees all 9
    CHECK(out[9 + 8] == 5 + 6 + 8 + 9 - 20.0f);

    ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<const float>(w.data(), s.weight_dims()),
                bias, tensor4_view<float>(out.data(), s.output_dims()), activation::relu);
    CHECK(out[9 + 0] == 0.0f);

    // Stride 2, no padding on a 5x5 input: a 2x2 output of box sums.
    std::vector<float> in5(25);
    for (int i = 0; i < 25; ++i) in5[std::size_t(i)] = float(i);
    auto s2 = conv2d_shape::square(1, 1, 2, 5, 3, 2, 0);
    std::vector<float> out2(2 * 4);
    ref::conv2d(s2, tensor4_view<const float>(in5.data(), s2.input_dims()),
                tensor4_view<const float>(w.data(), s2.weight_dims()), nullptr,
                tensor4_view<float>(out2.data(), s2.output_dims()));
    CHECK(out2[0] == 6.0f);   // centre (1,1)
    CHECK(out2[3] == 18.0f);  // centre (3,3)
    CHECK(out2[4] == 0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12);
    CHECK_THROWS_WITH_AS(ref::conv2d(s2, tensor4_view<const float>(in.data(), s.input_dims()),
                                     tensor4_view<const float>(w.data(), s2.weight_dims()), nullptr,
                                     tensor4_view<float>(out2.data(), s2.output_dims())),
                         doctest::Contains("input"), finegrain::error);
}
