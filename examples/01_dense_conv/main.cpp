// 01_dense_conv: the dense baseline at work on real layer shapes.
//
// Builds a finegrain::dense::conv2d_plan (im2col + register-blocked SIMD GEMM) for a few
// ResNet-18 / VGG-16 3x3 layers, runs it, checks it against the scalar reference, and prints
// the kernel the plan chose and how long a run takes. Every later family is measured
// against this plan (and against oneDNN in the benchmarks).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <finegrain/finegrain.hpp>

namespace fg = finegrain;

namespace {

struct layer {
    const char* name;
    fg::index_t channels_in, channels_out, size;
};

double median_ms(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main()
{
    const layer layers[] = {
        {"resnet18 layer2 3x3", 128, 128, 28},
        {"resnet18 layer3 3x3", 256, 256, 14},
        {"vgg16 conv4_2 3x3", 512, 512, 28},
    };
    fg::thread_pool pool(2);
    std::mt19937 rng(7);
    std::normal_distribution<float> gauss(0.0f, 1.0f);

    std::printf("finegrain %s: dense conv2d (im2col + GEMM), batch 1, fp32, ReLU epilogue\n", FINEGRAIN_VERSION_STRING);
    for (const layer& l : layers) {
        const auto shape = fg::conv2d_shape::square(1, l.channels_in, l.channels_out, l.size, 3, 1, 1);
        std::vector<float> weights(std::size_t(shape.weight_dims().size())), bias(std::size_t(l.channels_out));
        std::vector<float> input(std::size_t(shape.input_dims().size())), output(std::size_t(shape.output_dims().size()));
        const float scale = std::sqrt(2.0f / float(shape.taps()));  // He initialisation
        for (float& w : weights) w = scale * gauss(rng);
        for (float& b : bias) b = 0.1f * gauss(rng);
        for (float& x : input) x = std::max(0.0f, gauss(rng));     // ReLU-like activations

        fg::tensor4_view<const float> w(weights.data(), shape.weight_dims());
        fg::tensor4_view<const float> in(input.data(), shape.input_dims());
        fg::tensor4_view<float> out(output.data(), shape.output_dims());

        fg::dense::conv2d_options opt;
        opt.bias = bias.data();
        opt.act = fg::activation::relu;
        for (fg::executor* ex : {static_cast<fg::executor*>(nullptr), static_cast<fg::executor*>(&pool)}) {
            opt.pool = ex;
            fg::dense::conv2d_plan<float> plan(w, shape, opt);
            std::vector<double> ms;
            for (int rep = 0; rep < 7; ++rep) {
                const auto t0 = std::chrono::steady_clock::now();
                plan.run(in, out);
                ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            }
            const double t = median_ms(ms);
            std::printf("  %-22s %3ldx%-3ld %4ld->%-4ld %zu thread%s  %-34s %7.2f ms  %6.1f GFLOP/s\n", l.name,
                        long(l.size), long(l.size), long(l.channels_in), long(l.channels_out), fg::concurrency_of(ex),
                        ex ? "s" : " ", plan.kernel_name(), t, shape.flops() / (t * 1e6));
        }

        // Check the last run against the scalar reference on a few output channels.
        std::vector<float> want(output.size());
        fg::ref::conv2d(shape, in, w, bias.data(), fg::tensor4_view<float>(want.data(), shape.output_dims()),
                        fg::activation::relu);
        double max_err = 0;
        for (std::size_t i = 0; i < want.size(); ++i) max_err = std::max(max_err, double(std::fabs(want[i] - output[i])));
        std::printf("  %-22s max |plan - reference| = %.2e\n", "", max_err);
        if (max_err > 1e-3) {
            std::printf("error: the plan disagrees with the reference\n");
            return 1;
        }
    }
    return 0;
}
