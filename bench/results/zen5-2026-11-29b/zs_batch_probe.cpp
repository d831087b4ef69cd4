#include <chrono>
#include <cstdio>
#include <vector>
#include <random>
#include <cstdlib>
#include "finegrain/zeroskip/gemm_plan.hpp"
using namespace finegrain;
int main(int argc, char** argv) {
    index_t N = 4096, K = atoi(argv[1]), B = argc > 2 ? atoi(argv[2]) : 16;
    std::vector<float> w(N * K), x(K * B), y(N * B);
    std::mt19937 g(1); std::normal_distribution<float> d;
    for (auto& v : w) v = d(g);
    double zf = argc > 3 ? atof(argv[3]) : 0.0;
    std::uniform_real_distribution<double> u(0, 1);
    for (index_t k = 0; k < K; ++k) { bool z = u(g) < zf; for (index_t s = 0; s < B; ++s) x[k * B + s] = z ? 0.f : std::abs(d(g)) + 0.1f; }
    zeroskip::gemm_plan<float> plan(matrix_view<const float>(w.data(), N, K), B);
    std::printf("%s\n", plan.kernel_name());
    double best = 1e9;
    for (int it = 0; it < 50; ++it) {
        auto t0 = std::chrono::steady_clock::now();
        plan.run(matrix_view<const float>(x.data(), K, B), matrix_view<float>(y.data(), N, B));
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (t < best) best = t;
    }
    std::printf("K=%ld best %.3f ms  %.1f GF/s\n", (long)K, best * 1e3, 2.0 * N * K * B / best * 1e-9);
}
