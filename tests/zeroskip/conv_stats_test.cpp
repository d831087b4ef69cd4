// Zero-skip direct 3x3 conv (scatter form) and the bit statistics helper, against the scalar
// references, on every arch.
#include <cstdint>
#include <vector>

#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/polarized.hpp"
#include "finegrain/zeroskip/bit_stats.hpp"
#include "finegrain/zeroskip/conv3x3_plan.hpp"
#include "support/testing.hpp"
#include "zeroskip/zeroskip_support.hpp"

using namespace finegrain;
using fgtest::random_floats;

TEST_CASE("zeroskip conv3x3 (scatter) matches ref::conv2d on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 5;
        struct cfg { index_t batch, cin, cout, h, w, stride, pad; double zeros; };
        for (const cfg& c : {cfg{1, 3, 5, 7, 7, 1, 1, 0.0}, cfg{2, 9, 17, 6, 9, 1, 1, 0.7}, cfg{1, 16, 64, 8, 8, 2, 1, 0.5},
                             cfg{1, 5, 70, 9, 5, 1, 0, 0.9}, cfg{1, 4, 8, 5, 5, 2, 2, 1.0}, cfg{1, 20, 3, 4, 4, 3, 1, 0.3}}) {
            conv2d_shape s;
            s.batch = c.batch;
            s.in_channels = c.cin;
            s.out_channels = c.cout;
            s.in_height = c.h;
            s.in_width = c.w;
            s.stride_h = s.stride_w = c.stride;
            s.pad_h = s.pad_w = c.pad;
            CAPTURE(c.cin);
            CAPTURE(c.cout);
            CAPTURE(c.zeros);
            const auto w = random_floats(std::size_t(s.weight_dims().size()), seed++);
            const auto bias = random_floats(std::size_t(c.cout), seed++);
            const std::uint32_t data_seed = seed++;
            const auto in = fgtest::relu_like<float>(std::size_t(s.input_dims().size()), c.zeros, data_seed, 1.0, data_seed % 2 == 0);
            std::vector<float> want(std::size_t(s.output_dims().size())), got(want.size(), -5.0f);
            ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<const float>(w.data(), s.weight_dims()),
                        bias.data(), tensor4_view<float>(want.data(), s.output_dims()), activation::relu);
            zeroskip::gemm_options opt;
            opt.bias = bias.data();
            opt.act = activation::relu;
            thread_pool pool(2);
            opt.pool = c.cout > 60 ? &pool : nullptr;
            zeroskip::conv3x3_plan<float> plan(tensor4_view<const float>(w.data(), s.weight_dims()), s, opt);
            CHECK(plan.arch() == A::id);
            plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(got.data(), s.output_dims()));
            fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(s.taps(), 1, 1), plan.kernel_name());
            index_t nz = 0;
            for (index_t i = s.input_dims().size() - s.in_channels * c.h * c.w; i < s.input_dims().size(); ++i) nz += in[std::size_t(i)] != 0;
            CHECK(plan.nonzeros() == nz);
        }
    });
    std::vector<float> w(2 * 3 * 5 * 5);
    CHECK_THROWS_WITH_AS(zeroskip::conv3x3_plan<float>(tensor4_view<const float>(w.data(), {2, 3, 5, 5}),
                                                       conv2d_shape::square(1, 3, 2, 8, 5)),
                         doctest::Contains("shape.kernel = 5"), finegrain::error);
}

TEST_CASE("zeroskip bit statistics match the reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 9;
        // 300, 1000: whole 16-fragment steps (AVX2 u16, m = 8, 16), then 8-fragment steps, then a tail.
        for (index_t k : {1, 7, 64, 100, 300, 1000, 4096})
            for (index_t m : {1, 3, 4, 8, 16, 128})
                for (double z : {0.0, 0.8, 1.0}) {
                    CAPTURE(k);
                    CAPTURE(m);
                    CAPTURE(z);
                    const index_t frags = (k + m - 1) / m;
                    std::vector<std::uint8_t> want_len(static_cast<std::size_t>(frags)), want_zero(want_len.size()), len(want_len.size()),
                        zero(want_len.size());
                    {
                        const std::uint32_t data_seed = seed++;
                        const auto x = fgtest::relu_like<std::uint16_t>(std::size_t(k), z, data_seed, data_seed % 3 ? 300 : 65535, true);
                        ref::fragment_bit_stats(x.data(), k, m, 16, want_len.data(), want_zero.data());
                        zeroskip::bit_stats_plan<std::uint16_t> plan(k, m);
                        // avx512 takes avx2's 16-fragment path for the fragment sizes it serves
                        const bool x16 = m == 4 || m == 8 || m == 16;
                        CHECK(plan.arch() == (A::id == simd::arch_id::avx512 && x16 ? simd::arch_id::avx2 : A::id));
                        plan.run(x.data(), len.data(), zero.data());
                        CHECK(len == want_len);
                        CHECK(zero == want_zero);
                    }
                    {
                        const auto x = fgtest::relu_like<std::uint8_t>(std::size_t(k), z, seed++, 255, true);
                        ref::fragment_bit_stats(x.data(), k, m, 8, want_len.data(), want_zero.data());
                        zeroskip::bit_stats_plan<std::uint8_t> plan(k, m);
                        const bool x16 = m == 8 || m == 16;
                        CHECK(plan.arch() == (A::id == simd::arch_id::avx512 && x16 ? simd::arch_id::avx2 : A::id));
                        plan.run(x.data(), len.data(), zero.data());
                        CHECK(len == want_len);
                        CHECK(zero == want_zero);
                    }
                }
        // Hand-checked: {0, 5, 0, 0 | 0x8000, 1 | 0, 0, 0, 0}, m = 4 (u16).
        const std::uint16_t x[] = {0, 5, 0, 0, 0x8000, 1, 0, 0, 0, 0, 0, 0};
        std::uint8_t len[3], zero[3];
        zeroskip::bit_stats_plan<std::uint16_t>(12, 4).run(x, len, zero);
        CHECK(len[0] == 3);
        CHECK(zero[0] == 14);
        CHECK(len[1] == 16);
        CHECK(zero[1] == 14);
        CHECK(len[2] == 0);
        CHECK(zero[2] == 16);
    });
    CHECK_THROWS_WITH_AS(zeroskip::bit_stats_plan<std::uint8_t>(10, 0), doctest::Contains("m = 0"), finegrain::error);
}
