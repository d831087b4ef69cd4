// 03_block_spmm: block sparsity on an FC layer and a 1x1 convolution.
//
// For each layer: random dense weights are pruned to 90% sparsity in blocks (block::project,
// keeping the blocks of largest L2 norm; choose_block_shape() says which block shape it would
// pick), packed (block::pack), and run through a block plan. The same pruned weights run
// through the dense plan too: the outputs must agree to fp32 rounding, and the timing shows
// what skipping the zero blocks buys. Prints the kernel each plan chose.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <finegrain/finegrain.hpp>

namespace fg = finegrain;

namespace {

template <class F>
double median_ms(F&& f, int reps)
{
    std::vector<double> ms;
    f();  // warm-up
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

double max_rel_error(const std::vector<float>& got, const std::vector<float>& want)
{
    double err = 0, scale = 1e-30;
    for (std::size_t i = 0; i < got.size(); ++i) {
        err = std::max(err, double(std::fabs(got[i] - want[i])));
        scale = std::max(scale, double(std::fabs(want[i])));
    }
    return err / scale;
}

std::vector<float> gaussian(std::size_t n, float scale, std::mt19937& rng)
{
    std::normal_distribution<float> g(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = g(rng);
    return v;
}

} // namespace

int main()
{
    std::mt19937 rng(3);
    const double sparsity = 0.9;
    std::printf("finegrain %s: block-sparse FC and 1x1 conv at %.0f%% sparsity, fp32, 1 thread\n",
                FINEGRAIN_VERSION_STRING, sparsity * 100);

    // ---- FC 4096 -> 4096 at batch 1 (the weights stream from memory: bytes decide) -----------
    {
        const fg::index_t out = 4096, in = 4096;
        const auto w = gaussian(std::size_t(out * in), 0.02f, rng);
        const auto x = gaussian(std::size_t(in), 1.0f, rng);
        const fg::matrix_view<const float> wv(w.data(), out, in);
        const fg::block::block_shape shape{8, 1};
        const auto pruned = fg::block::project(wv, shape, sparsity);
        const auto packed = fg::block::pack(fg::matrix_view<const float>(pruned.data(), out, in), shape);

        fg::block::spmm_plan<float> sparse(packed, 1);
        fg::dense::gemm_plan<float> dense(fg::matrix_view<const float>(pruned.data(), out, in), 1);
        std::vector<float> y_sparse(static_cast<std::size_t>(out)), y_dense(static_cast<std::size_t>(out));
        const fg::matrix_view<const float> xv(x.data(), in, 1);
        const double t_sparse = median_ms([&] { sparse.run(xv, {y_sparse.data(), out, 1}); }, 15);
        const double t_dense = median_ms([&] { dense.run(xv, {y_dense.data(), out, 1}); }, 15);
        std::printf("  FC %ldx%ld batch 1, %ldx%ld blocks: %5.1f MB packed vs %5.1f MB dense (run back to back, the "
                    "packed weights stay in cache and the dense ones do not)\n", long(out), long(in),
                    long(shape.r), long(shape.c), double(packed.bytes()) / 1e6, double(out * in * 4) / 1e6);
        std::printf("    dense  %-30s %7.3f ms\n    sparse %-30s %7.3f ms   speedup %.1fx   max rel. diff %.1e\n",
                    dense.kernel_name(), t_dense, sparse.kernel_name(), t_sparse, t_dense / t_sparse,
                    max_rel_error(y_sparse, y_dense));
    }

    // ---- ResNet-50 1x1 conv 1024 -> 256 at 14x14 ---------------------------------------------
    {
        const auto s = fg::conv2d_shape::square(1, 1024, 256, 14, 1);
        const auto w = gaussian(std::size_t(s.weight_dims().size()), 0.05f, rng);
        std::vector<float> in(std::size_t(s.input_dims().size()));
        for (float& v : in) v = std::max(0.0f, std::normal_distribution<float>(0.0f, 1.0f)(rng));  // post-ReLU
        const fg::matrix_view<const float> wv(w.data(), s.out_channels, s.in_channels);
        const auto pick = fg::block::choose_block_shape(wv, sparsity, 0.8);
        const fg::block::block_shape shape{4, 1};
        const auto pruned = fg::block::project(wv, shape, sparsity);
        const auto packed = fg::block::pack(fg::matrix_view<const float>(pruned.data(), s.out_channels, s.in_channels), shape);
        std::printf("  conv1x1 1024->256 at 14x14: choose_block_shape(90%%, keep >= 80%% of CSR's energy) -> %ldx%ld "
                    "(retains %.0f%% of the weights' energy); running 4x1 blocks\n",
                    long(pick.shape.r), long(pick.shape.c), pick.retained_energy * 100);

        fg::block::spmm_options opt;
        opt.act = fg::activation::relu;
        fg::block::conv1x1_plan<float> sparse(packed, s, opt);
        fg::dense::conv2d_options dopt;
        dopt.act = fg::activation::relu;
        fg::dense::conv2d_plan<float> dense(fg::tensor4_view<const float>(pruned.data(), s.weight_dims()), s, dopt);
        std::vector<float> y_sparse(std::size_t(s.output_dims().size())), y_dense(y_sparse.size());
        const fg::tensor4_view<const float> iv(in.data(), s.input_dims());
        const double t_sparse = median_ms([&] { sparse.run(iv, {y_sparse.data(), s.output_dims()}); }, 25);
        const double t_dense = median_ms([&] { dense.run(iv, {y_dense.data(), s.output_dims()}); }, 25);
        std::printf("    dense  %-30s %7.3f ms\n    sparse %-30s %7.3f ms   speedup %.1fx   max rel. diff %.1e\n",
                    dense.kernel_name(), t_dense, sparse.kernel_name(), t_sparse, t_dense / t_sparse,
                    max_rel_error(y_sparse, y_dense));
    }
    return 0;
}
