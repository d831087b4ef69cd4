// 02_pattern_conv: pattern-sparse 3x3 convolution (PatDNN-style) from dense weights to a plan.
//
// Takes a ResNet-18 layer3 3x3 layer (256 -> 256 channels, 14x14) with Gaussian weights, and for
// independent (g = 1) and grouped (g = 16) patterns at 8x compression: projects the weights onto
// PatDNN's 8-pattern library plus connectivity pruning (pattern::project), packs them (FKW),
// makes a plan, runs it, and compares it with the dense conv of the same (projected) weights:
// compression, retained weight energy, packed bytes, speedup and max error.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <finegrain/dense/conv2d_plan.hpp>
#include <finegrain/pattern/format.hpp>
#include <finegrain/pattern/pattern_set.hpp>
#include <finegrain/pattern/plan.hpp>
#include <finegrain/pattern/project.hpp>
#include <finegrain/version.hpp>

namespace fg = finegrain;

namespace {

template <class Run>
double median_ms(Run&& run, int reps = 9)
{
    std::vector<double> ms;
    run();  // warm-up
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

} // namespace

int main()
{
    const auto shape = fg::conv2d_shape::square(1, 256, 256, 14, 3, 1, 1);
    std::mt19937 rng(3);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> dense(std::size_t(shape.weight_dims().size())), bias(256), input(std::size_t(shape.input_dims().size()));
    const float scale = std::sqrt(2.0f / float(shape.taps()));
    for (float& w : dense) w = scale * gauss(rng);
    for (float& b : bias) b = 0.1f * gauss(rng);
    for (float& x : input) x = std::max(0.0f, gauss(rng));
    std::vector<float> got(std::size_t(shape.output_dims().size())), want(got.size());
    const fg::tensor4_view<const float> in(input.data(), shape.input_dims());

    const fg::pattern::pattern_set lib = fg::pattern::pattern_set::patdnn4();
    std::printf("finegrain %s: pattern-sparse 3x3 conv, resnet18 layer3 256->256 @14x14, batch 1, fp32, ReLU, 1 thread\n",
                FINEGRAIN_VERSION_STRING);
    for (fg::index_t group : {1, 16}) {
        // 1. Project: best of the 8 patterns per kernel (or per 16 filters), keep 28% of kernels (8x).
        const auto proj = fg::pattern::project(fg::tensor4_view<const float>(dense.data(), shape.weight_dims()), lib,
                                               fg::pattern::connectivity_for(8.0), group);
        const fg::tensor4_view<const float> w(proj.weights.data(), shape.weight_dims());
        // 2. Pack (FKW) and plan.
        const fg::pattern::packed_weights packed = fg::pattern::pack(w, lib);
        fg::pattern::conv3x3_options opt;
        opt.bias = bias.data();
        opt.act = fg::activation::relu;
        const fg::pattern::conv3x3_plan<float> plan(packed, shape, opt);
        // 3. The dense conv of the same weights, for speed and for the answer.
        fg::dense::conv2d_options dopt;
        dopt.bias = bias.data();
        dopt.act = fg::activation::relu;
        const fg::dense::conv2d_plan<float> dense_plan(w, shape, dopt);

        const double t_pat = median_ms([&] { plan.run(in, fg::tensor4_view<float>(got.data(), shape.output_dims())); });
        const double t_dense =
            median_ms([&] { dense_plan.run(in, fg::tensor4_view<float>(want.data(), shape.output_dims())); });
        double max_err = 0, max_out = 0;
        for (std::size_t i = 0; i < got.size(); ++i) {
            max_err = std::max(max_err, double(std::fabs(got[i] - want[i])));
            max_out = std::max(max_out, double(std::fabs(want[i])));
        }
        std::printf("  g=%-2td compression %.2fx, kept kernels %td of %td, retained energy %.2f, packed %.1f KB = %.3f x dense\n",
                    group, proj.compression, proj.kept_kernels, proj.total_kernels, proj.retained_energy,
                    double(packed.memory().packed_bytes) / 1024.0, packed.memory().ratio());
        std::printf("       %-34s %6.3f ms   dense %-26s %6.3f ms   speedup %.2fx   max |err| %.1e (max |out| %.1f)\n",
                    plan.kernel_name(), t_pat, dense_plan.kernel_name(), t_dense, t_dense / t_pat, max_err, max_out);
        if (!(max_err <= 1e-4 * std::max(1.0, max_out))) {
            std::printf("error: the pattern plan disagrees with the dense conv\n");
            return 1;
        }
    }
    return 0;
}
