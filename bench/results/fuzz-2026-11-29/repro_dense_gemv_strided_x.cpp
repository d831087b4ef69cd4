// dense::gemm_plan<float> (and polarized::gemm_plan<float>, which wraps it) with n == 1 ignores
// the row stride of B (x): run() accepts a K x 1 matrix_view with row_stride > 1 but the GEMV reads
// x as contiguous, giving wrong results.
#include <cstdio>
#include <vector>
#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/polarized/plan.hpp"
using namespace finegrain;
int main()
{
    const index_t m = 2, k = 3, ldx = 2;
    std::vector<float> a = {1, 2, 3, 4, 5, 6};          // 2 x 3
    std::vector<float> x = {1, 100, 1, 100, 1, 100};    // column [1, 1, 1] with row stride 2
    std::vector<float> y(2, -1.f);
    dense::gemm_plan<float> plan(matrix_view<const float>(a.data(), m, k), 1);
    plan.run(matrix_view<const float>(x.data(), k, 1, ldx), matrix_view<float>(y.data(), m, 1));
    std::printf("dense:     y = [%g, %g], want [6, 15]\n", y[0], y[1]);
    // polarized front end: m = 3 (one fragment per row, all positive)
    auto pm = polarized::pack(matrix_view<const float>(a.data(), m, k), 3);
    polarized::gemm_plan<float> pplan(pm, 1);
    std::vector<float> y2(2, -1.f);
    pplan.run(matrix_view<const float>(x.data(), k, 1, ldx), matrix_view<float>(y2.data(), m, 1));
    std::printf("polarized: y = [%g, %g], want [6, 15]\n", y2[0], y2[1]);
    return (y[0] == 6 && y[1] == 15 && y2[0] == 6 && y2[1] == 15) ? 0 : 1;
}
