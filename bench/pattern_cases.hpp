// SPDX-License-Identifier: BSD-3-Clause
// The pattern-sparse 3x3 benchmark problems and cases, shared by pattern_bench (Google Benchmark)
// and pattern_compare (round-robin ratios). Include only from a bench executable's own TUs.
//
// A layer (bench/shapes, 3x3) gets one dense problem (dense_cases.hpp: uniform weights and
// input; the dense baselines run on it, their speed does not depend on the values) and, per
// configuration (compression, group), weights drawn from a seeded Gaussian, projected onto
// PatDNN's 8-pattern library (pattern::project) and packed (FKW). compression 2.25 = patterns
// alone; 4 and 8 add connectivity pruning (kept kernels = 9 / (4 * compression)). The pattern
// plan runs on the dense problem's input; its output is checked once against double-precision
// reference values of its own (to_dense) weights.
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dense_cases.hpp"

namespace finegrain {
namespace bench {

struct pattern_config {
    double compression = 8;
    index_t group = 1;
    std::string name() const
    {
        char b[48];
        std::snprintf(b, sizeof b, "c%g_g%td", compression, group);
        return b;
    }
};

/// The configurations of the issue: 2.25x, 4x, 8x with independent (g = 1) and grouped (g = 16) patterns.
inline std::vector<pattern_config> pattern_configs()
{
    std::vector<pattern_config> v;
    for (index_t g : {1, 16})
        for (double c : {2.25, 4.0, 8.0}) v.push_back(pattern_config{c, g});
    return v;
}

/// One configuration's weights on one layer.
struct pattern_weights {
    pattern_config config;
    pattern::packed_weights packed;
    double retained_energy = 0, compression = 0;
    double useful_flops = 0;  // 2 * kept kernels * k * OH * OW * batch
    std::vector<spot> spots;  // reference values of the packed weights on the problem's input
    double tolerance = 0;

    pattern_weights(const problem& p, const pattern_config& c) : config(c)
    {
        const conv2d_shape s = p.spec.conv.shape();
        std::mt19937 rng(static_cast<std::uint32_t>(std::hash<std::string>{}(p.spec.layer() + c.name())));
        std::normal_distribution<float> gauss(0.0f, 1.0f);
        std::vector<float> dense(static_cast<std::size_t>(s.weight_dims().size()));
        const float scale = 1.0f / std::sqrt(float(s.taps()));
        for (float& w : dense) w = scale * gauss(rng);
        const pattern::pattern_set lib = pattern::pattern_set::patdnn4();
        const pattern::projection proj = pattern::project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib,
                                                          pattern::connectivity_for(c.compression, lib.k()), c.group);
        retained_energy = proj.retained_energy;
        compression = proj.compression;
        packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
        useful_flops = 2.0 * double(packed.kernels()) * double(lib.k()) * double(s.out_height() * s.out_width()) *
                       double(s.batch);
        spots = conv_spots(s, p.b.data(), proj.weights.data(), 256, 99);
        tolerance = fp32_tolerance(s.taps());
    }
};

/// pattern::conv3x3_plan on one configuration.
class pattern_case final : public bench_case {
public:
    pattern_case(const problem& p, const pattern_weights& w, int threads, pattern::conv3x3_options tuning = {})
        : pool_(threads > 1 ? new thread_pool(std::size_t(threads)) : nullptr), shape_(p.spec.conv.shape()),
          out_(p.output_size), plan_(w.packed, shape_, with_pool(tuning, pool_.get())),
          in_view_(p.b.data(), shape_.input_dims()), out_view_(out_.data(), shape_.output_dims())
    {
        label_ = plan_.kernel_name();
    }
    void run() override { plan_.run(in_view_, out_view_); }
    const float* output() override { return out_.data(); }
    const pattern::conv3x3_plan<float>& plan() const { return plan_; }

private:
    static pattern::conv3x3_options with_pool(pattern::conv3x3_options o, executor* pool)
    {
        o.pool = pool;
        return o;
    }
    std::unique_ptr<thread_pool> pool_;
    conv2d_shape shape_;
    buffer out_;
    pattern::conv3x3_plan<float> plan_;
    tensor4_view<const float> in_view_;
    tensor4_view<float> out_view_;
};

/// The 3x3 layers of the benchmark: VGG-16 and ResNet-18 (bench/shapes).
inline std::vector<conv_layer> pattern_layers()
{
    std::vector<conv_layer> out;
    for (const char* file : {"vgg16_conv3x3.txt", "resnet18_conv3x3.txt"})
        for (const conv_layer& l : load_conv_layers(shapes_dir() + "/" + file))
            if (l.kernel == 3) out.push_back(l);
    return out;
}

/// Tuning knobs from the environment (FINEGRAIN_PATTERN_NF / _V / _CB / _TV / _R / _BANDS), for sweeps.
inline pattern::conv3x3_options pattern_tuning_from_env()
{
    auto get = [](const char* name) -> index_t {
        const char* v = std::getenv(name);
        return v ? static_cast<index_t>(std::atol(v)) : 0;
    };
    pattern::conv3x3_options o;
    o.filter_block = get("FINEGRAIN_PATTERN_NF");
    o.tile_vectors = get("FINEGRAIN_PATTERN_V");
    o.channel_block = get("FINEGRAIN_PATTERN_CB");
    o.task_vectors = get("FINEGRAIN_PATTERN_TV");
    o.tile_rows = get("FINEGRAIN_PATTERN_R");
    o.row_bands = get("FINEGRAIN_PATTERN_BANDS");
    return o;
}

} // namespace bench
} // namespace finegrain
