// (a) bsr_matrix's parts constructor accepts NaN/Inf values (pack() rejects them as
//     "weights must be finite"); punched_conv3x3's parts constructor likewise.
// (b) NaN through a ReLU/ReLU6 epilogue: the SIMD block kernels (sse4_2/avx2) turn NaN into 0,
//     the scalar arch and ref::bsr_spmm pass NaN through (core/activation.hpp "NaN passed through").
//     Reached with a NaN input x as well, no weird weights needed.
#include <cmath>
#include <cstdio>
#include <vector>
#include "finegrain/block/spmm_plan.hpp"
#include "finegrain/block/punched_format.hpp"
#include "finegrain/ref/spmm.hpp"
using namespace finegrain;
int main()
{
    // (a)
    block::bsr_matrix w(1, 1, {1, 1}, {0, 1}, {0}, {NAN});
    std::printf("(a) parts ctor accepted NaN weight: values[0] = %g\n", w.values()[0]);
    block::punched_conv3x3 pw(1, 1, {1, 1}, {0, 1}, {4}, {INFINITY});
    std::printf("(a) punched parts ctor accepted inf weight: values[0] = %g\n", pw.values()[0]);
    // (b) finite weights, NaN input, relu; n = 8 pixels (SpMM path)
    std::vector<float> d = {1.0f, 2.0f};
    auto p = block::pack(matrix_view<const float>(d.data(), 1, 2), {1, 1});
    const index_t n = 8;
    std::vector<float> x(2 * n, 1.0f);
    x[0] = NAN;
    int bad = 0;
    for (auto a : {simd::arch_id::scalar, simd::arch_id::sse4_2, simd::arch_id::avx2}) {
        simd::set_arch_cap(a);
        block::spmm_options opt;
        opt.act = activation::relu;
        block::spmm_plan<float> plan(p, n, opt);
        std::vector<float> y(n, -1.f), want(n, -1.f);
        plan.run({x.data(), 2, n}, {y.data(), 1, n});
        ref::bsr_spmm(p, {x.data(), 2, n}, {want.data(), 1, n}, nullptr, activation::relu);
        std::printf("(b) %-36s y[0] = %g, ref = %g\n", plan.kernel_name(), y[0], want[0]);
        bad += std::isnan(y[0]) != std::isnan(want[0]);
    }
    simd::clear_arch_cap();
    return bad ? 1 : 0;
}
