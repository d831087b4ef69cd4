// The one TU of every packaging consumer (find_package, add_subdirectory, FetchContent, pkg-config):
// includes the umbrella header, runs a tiny fused GEMM and checks it against a hand computation.
#include <cstdio>

#include <finegrain/finegrain.hpp>

#ifndef FINEGRAIN_CONSUMER
#define FINEGRAIN_CONSUMER "unknown"
#endif

// Consumers that call finegrain_target_dispatch() must see the definitions it adds.
#if defined(FINEGRAIN_CONSUMER_DISPATCH) && !(FINEGRAIN_DISPATCH_HAS_SSE4_2 || FINEGRAIN_DISPATCH_HAS_AVX2 || \
                                              FINEGRAIN_DISPATCH_HAS_AVX512 || FINEGRAIN_DISPATCH_HAS_NEON64)
#error "finegrain_target_dispatch() added no FINEGRAIN_DISPATCH_HAS_<ARCH> definition"
#endif

int main()
{
    namespace fg = finegrain;
    // C = relu(A * B + bias), A 2x3 (the weights), B 3x2:
    //   A * B = [1 2 3] [1 0]   [1+0+3  0+2+3]   [ 4  5]        bias [-4.5]    relu  [ 0     0.5]
    //           [4 5 6] [0 1] = [4+0+6  0+5+6] = [10 11]   ->  + [ 0.5] -> [-0.5 0.5]  [10.5  11.5]
    //                   [1 1]
    const float a[] = {1, 2, 3, 4, 5, 6};
    const float b[] = {1, 0, 0, 1, 1, 1};
    const float bias[] = {-4.5f, 0.5f};
    const float want[] = {0.0f, 0.5f, 10.5f, 11.5f};
    float c[] = {-1, -1, -1, -1};

    fg::dense::gemm_options opt;
    opt.bias = bias;
    opt.act = fg::activation::relu;
    fg::dense::gemm_plan<float> plan(fg::matrix_view<const float>(a, 2, 3), 2, opt);
    plan.run(fg::matrix_view<const float>(b, 3, 2), fg::matrix_view<float>(c, 2, 2));

    std::printf("finegrain %s consumer=%s kernel=%s\n", FINEGRAIN_VERSION_STRING, FINEGRAIN_CONSUMER,
                plan.kernel_name());
    int bad = 0;
    for (int i = 0; i < 4; ++i) {
        if (c[i] != want[i]) {
            std::printf("c[%d] = %g, want %g\n", i, static_cast<double>(c[i]), static_cast<double>(want[i]));
            ++bad;
        }
    }
    return bad == 0 ? 0 : 1;
}
