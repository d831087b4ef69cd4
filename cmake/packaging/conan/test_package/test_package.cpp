#include <cstdio>

#include <finegrain/finegrain.hpp>

int main()
{
    // relu([1 2; 3 4] * [1; 1] + [-4; 0]) = relu([-1; 7]) = [0; 7]   (n = 1: the GEMV kernel)
    const float a[] = {1, 2, 3, 4}, x[] = {1, 1}, bias[] = {-4, 0};
    float y[2] = {};
    finegrain::dense::gemm_options opt;
    opt.bias = bias;
    opt.act = finegrain::activation::relu;
    finegrain::dense::gemm_plan<float> plan(finegrain::matrix_view<const float>(a, 2, 2), 1, opt);
    plan.run(finegrain::matrix_view<const float>(x, 2, 1), finegrain::matrix_view<float>(y, 2, 1));
    std::printf("finegrain %s: %s -> [%g %g]\n", FINEGRAIN_VERSION_STRING, plan.kernel_name(),
                static_cast<double>(y[0]), static_cast<double>(y[1]));
    return y[0] == 0.0f && y[1] == 7.0f ? 0 : 1;
}
