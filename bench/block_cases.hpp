// SPDX-License-Identifier: BSD-3-Clause
// The block-sparse benchmark problems, shared by block_bench (Google Benchmark) and
// block_compare (round-robin ratios). Include only from a bench executable's own TUs.
//
// Layer sets (bench/shapes): conv1x1 = ResNet-50 + MobileNet v1/v2 1x1 layers (NCHW, batch 1),
// fc = fc.txt (VGG fc6/fc7 at batch 1 and 16), punched = VGG-16 3x3 layers.
// A configuration is a block shape and a sparsity: the problem's dense weights (uniform in
// [-1, 1], the same the dense baselines get) are projected with block::project (global L2) or
// block::project_punched, packed, and run through the block plan. Its output is checked once
// against double-precision reference values of the *pruned* weights.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "dense_cases.hpp"

namespace finegrain {
namespace bench {

enum class block_set { conv1x1, fc, punched };

inline const char* block_set_name(block_set s)
{
    switch (s) {
    case block_set::conv1x1: return "conv1x1";
    case block_set::fc: return "fc";
    default: return "punched";
    }
}

/// A sparse configuration: block shape (for punched: filters x channels) and sparsity.
struct block_config {
    block::block_shape shape;
    double sparsity = 0.9;
    /// e.g. "8x1@90".
    std::string name() const
    {
        return std::to_string(shape.r) + "x" + std::to_string(shape.c) + "@" + std::to_string(int(sparsity * 100 + 0.5));
    }
};

/// The configurations block_compare runs by default for a set.
inline std::vector<block_config> default_block_configs(block_set s)
{
    std::vector<block_config> v;
    if (s == block_set::punched) {  // 8x compression (87.5% of the (block, tap) entries pruned)
        for (block::block_shape b : {block::block_shape{8, 4}, block::block_shape{4, 4}, block::block_shape{16, 4}})
            v.push_back({b, 0.875});
        return v;
    }
    for (block::block_shape b : {block::block_shape{1, 1}, block::block_shape{4, 1}, block::block_shape{1, 4},
                                 block::block_shape{8, 1}, block::block_shape{4, 4}})
        for (double sp : {0.5, 0.7, 0.8, 0.9, 0.95}) v.push_back({b, sp});
    return v;
}

/// The problem (dense data and baselines) a layer of a set maps to.
inline problem_spec block_problem_spec(block_set s, const conv_layer& conv, const fc_layer& fc)
{
    return s == block_set::fc ? fc_spec(fc) : conv_spec(family::dense, conv);
}

inline std::vector<problem_spec> block_problem_specs(block_set s, const std::string& layer_regex)
{
    const std::regex re(layer_regex);
    std::vector<problem_spec> out;
    const std::string dir = shapes_dir() + "/";
    if (s == block_set::fc) {
        for (const fc_layer& l : load_fc_layers(dir + "fc.txt"))
            if (std::regex_search(l.name, re)) out.push_back(fc_spec(l));
        return out;
    }
    std::vector<std::string> files = s == block_set::conv1x1
                                         ? std::vector<std::string>{"resnet50_conv1x1.txt", "mobilenet_conv1x1.txt"}
                                         : std::vector<std::string>{"vgg16_conv3x3.txt"};
    for (const std::string& f : files)
        for (const conv_layer& l : load_conv_layers(dir + f))
            if (std::regex_search(l.name, re)) out.push_back(conv_spec(family::dense, l));
    return out;
}

/// Projected and packed weights of one configuration, with their reference values.
struct block_weights {
    block_config cfg;
    std::vector<float> pruned;          // dense, pruned (OIHW / out x in); freed after setup
    block::bsr_matrix bsr;              // conv1x1 and fc
    block::punched_conv3x3 punched;     // punched
    std::vector<spot> spots;
    double tolerance = 0, useful_flops = 0, retained_energy = 0, density = 0;
    std::size_t packed_bytes = 0;

    block_weights(const problem& p, block_set set, const block_config& c) : cfg(c)
    {
        const gemm_shape g = p.spec.gemm();  // m = Cout, n = pixels (or batch), k = Cin*k*k (or in)
        if (set == block_set::punched) {
            const conv2d_shape s = p.spec.conv.shape();
            const tensor4_view<const float> w(p.a.data(), s.weight_dims());
            pruned = block::project_punched(w, {c.shape.r, c.shape.c}, c.sparsity);
            punched = block::pack_punched(tensor4_view<const float>(pruned.data(), s.weight_dims()), {c.shape.r, c.shape.c});
            density = punched.density();
            packed_bytes = punched.bytes();
            spots = conv_spots(s, p.b.data(), pruned.data(), 256, 99);
        } else {
            const matrix_view<const float> w(p.a.data(), g.m, g.k);
            pruned = block::project(w, c.shape, c.sparsity);
            bsr = block::pack(matrix_view<const float>(pruned.data(), g.m, g.k), c.shape);
            density = bsr.density();
            packed_bytes = bsr.bytes();
            spots = set == block_set::fc ? gemm_spots(g, pruned.data(), p.b.data(), 256, 99)
                                         : conv_spots(p.spec.conv.shape(), p.b.data(), pruned.data(), 256, 99);
        }
        tolerance = p.tolerance;
        useful_flops = p.spec.flops() * density;
        retained_energy = block::energy(pruned.data(), index_t(pruned.size())) / block::energy(p.a.data(), g.m * g.k);
        std::vector<float>().swap(pruned);  // only the packed form is kept (fc6 is 411 MB dense)
    }
};

/// One block plan on one problem.
class block_case final : public bench_case {
public:
    /// `shared`: a pool to run on instead of one of its own (block_compare gives every block plan
    /// the same pool: a process holding one spinning pool per candidate slows the timed one).
    block_case(const problem& p, block_set set, const block_weights& w, int threads, executor* shared = nullptr)
        : pool_(threads > 1 && !shared ? new thread_pool(std::size_t(threads)) : nullptr), out_(p.output_size)
    {
        block::spmm_options opt;
        opt.pool = shared && threads > 1 ? shared : pool_.get();
        const gemm_shape g = p.spec.gemm();
        if (set == block_set::fc) {
            spmm_.reset(new block::spmm_plan<float>(w.bsr, g.n, opt));
            x_ = matrix_view<const float>(p.b.data(), g.k, g.n);
            y_ = matrix_view<float>(out_.data(), g.m, g.n);
            label_ = spmm_->kernel_name();
            return;
        }
        const conv2d_shape s = p.spec.conv.shape();
        in_ = tensor4_view<const float>(p.b.data(), s.input_dims());
        out_view_ = tensor4_view<float>(out_.data(), s.output_dims());
        if (set == block_set::conv1x1) {
            conv1x1_.reset(new block::conv1x1_plan<float>(w.bsr, s, opt));
            label_ = conv1x1_->kernel_name();
        } else {
            punched_.reset(new block::conv3x3_punched_plan<float>(w.punched, s, opt));
            label_ = punched_->kernel_name();
        }
    }
    void run() override
    {
        if (spmm_) spmm_->run(x_, y_);
        else if (conv1x1_) conv1x1_->run(in_, out_view_);
        else punched_->run(in_, out_view_);
    }
    const float* output() override { return out_.data(); }

private:
    std::unique_ptr<thread_pool> pool_;
    buffer out_;
    std::unique_ptr<block::spmm_plan<float>> spmm_;
    std::unique_ptr<block::conv1x1_plan<float>> conv1x1_;
    std::unique_ptr<block::conv3x3_punched_plan<float>> punched_;
    matrix_view<const float> x_;
    matrix_view<float> y_;
    tensor4_view<const float> in_;
    tensor4_view<float> out_view_;
};

/// The dense implementations a block set is compared with (oneDNN first when found).
inline std::vector<std::string> block_baselines(block_set s)
{
    std::vector<std::string> v;
    if (s == block_set::fc) {
#if FINEGRAIN_BENCH_HAVE_DNNL
        v.push_back("dnnl_ip");
#endif
        v.push_back("finegrain");
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
        v.push_back("openblas");
#endif
        return v;
    }
#if FINEGRAIN_BENCH_HAVE_DNNL
    v.push_back("dnnl_conv");
#endif
    v.push_back("finegrain_conv");
    return v;
}

} // namespace bench
} // namespace finegrain
