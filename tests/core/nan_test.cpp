// Fused activations pass a NaN through on every arch, as the references (apply_activation) do:
// the SIMD epilogues once clamped a NaN lane to ReLU's 0 on x86 while the scalar and SpMV paths
// kept it (found by a fuzzer).
#include <cmath>
#include <limits>
#include <vector>

#include "finegrain/block/spmm_plan.hpp"
#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"
#include "finegrain/ref/pattern_conv.hpp"
#include "finegrain/ref/gemm.hpp"
#include "finegrain/ref/spmm.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

constexpr float nan_value = std::numeric_limits<float>::quiet_NaN();

// Same NaN positions as the reference, the other values within tol; returns the NaN count.
index_t check_nan_close(const std::vector<float>& got, const std::vector<float>& want, double tol)
{
    index_t nans = 0, nan_mismatch = 0, far = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        nans += std::isnan(want[i]);
        if (std::isnan(got[i]) != std::isnan(want[i]))
            ++nan_mismatch;
        else if (!std::isnan(want[i]) && std::fabs(double(got[i]) - double(want[i])) > tol)
            ++far;
    }
    CHECK(nan_mismatch == 0);
    CHECK(far == 0);
    return nans;
}

} // namespace

TEST_CASE("fused activations pass NaN through on every arch (dense gemm, block spmm, pattern conv)")
{
    fgtest::for_each_runnable_arch([](auto) {
        for (activation act : {activation::relu, activation::relu6, activation::none}) {
            CAPTURE(to_string(act));
            const index_t m = 13, k = 21, n = 19;
            const auto a = random_floats(std::size_t(m * k), 1);
            auto x = random_floats(std::size_t(k * n), 2);
            x[std::size_t(5 * n + 3)] = nan_value;  // column 3 of row 5: every output of column 3
            std::vector<float> want(std::size_t(m * n)), got(want.size());
            ref::gemm({a.data(), m, k}, {x.data(), k, n}, {want.data(), m, n}, nullptr, act);
            dense::gemm_options dopt;
            dopt.act = act;
            dense::gemm_plan<float> gemm(matrix_view<const float>(a.data(), m, k), n, dopt);
            gemm.run({x.data(), k, n}, {got.data(), m, n});
            CHECK(check_nan_close(got, want, fgtest::fp32_tol(k, 1, 1)) == m);

            const auto w = block::pack(matrix_view<const float>(a.data(), m, k), {4, 1});
            ref::bsr_spmm(w, {x.data(), k, n}, {want.data(), m, n}, nullptr, act);
            block::spmm_options bopt;
            bopt.act = act;
            block::spmm_plan<float> spmm(w, n, bopt);
            spmm.run({x.data(), k, n}, {got.data(), m, n});
            CHECK(check_nan_close(got, want, fgtest::fp32_tol(k, 1, 1)) == m);

            const auto s = conv2d_shape::square(1, 3, 5, 11, 3, 1, 1);
            const auto dense_w = random_floats(std::size_t(s.weight_dims().size()), 3);
            const auto lib = pattern::pattern_set::patdnn4();
            const auto proj = pattern::project(tensor4_view<const float>(dense_w.data(), s.weight_dims()), lib);
            const auto pw = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
            auto in = random_floats(std::size_t(s.input_dims().size()), 4);
            in[std::size_t(1 * 121 + 5 * 11 + 5)] = nan_value;  // channel 1, pixel (5, 5)
            std::vector<float> cwant(std::size_t(s.output_dims().size())), cgot(cwant.size());
            // The pattern reference: a NaN reaches the outputs whose kept taps read it (pruned
            // taps are skipped, not multiplied by zero).
            ref::pattern_conv3x3(s, tensor4_view<const float>(in.data(), s.input_dims()), pw, nullptr,
                                 tensor4_view<float>(cwant.data(), s.output_dims()), act);
            for (index_t rows : {0, 1}) {  // row tiles (kernel-level LRE), flat tiles
                pattern::conv3x3_options popt;
                popt.act = act;
                popt.tile_rows = rows;
                pattern::conv3x3_plan<float> conv(pw, s, popt);
                conv.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(cgot.data(), s.output_dims()));
                CHECK(check_nan_close(cgot, cwant, fgtest::fp32_tol(s.taps(), 1, 1)) > 0);
            }
        }
    });
}
