// In place (dense NCHW output: row tiles accumulate in it) vs scratch + copy (output rows padded by 8
// floats), one pattern plan per layer, round-robin in one process. Usage: direct_probe CIN COUT HW COMP THREADS ROUNDS
#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
using namespace finegrain;
int main(int argc, char** argv)
{
    const index_t ci = atol(argv[1]), co = atol(argv[2]), hw = atol(argv[3]);
    const double comp = atof(argv[4]);
    const int threads = atoi(argv[5]), rounds = atoi(argv[6]);
    const conv2d_shape s = conv2d_shape::square(1, ci, co, hw, 3, 1, 1);
    std::mt19937 rng(42);
    std::normal_distribution<float> g(0, 1);
    std::vector<float> dense(size_t(co * ci * 9)), in(size_t(ci * hw * hw)), out(size_t(co * hw * hw)), outp(size_t(co * hw * (hw + 8)));
    for (float& w : dense) w = g(rng) / 3.0f;
    for (float& x : in) x = g(rng);
    const auto lib = pattern::pattern_set::patdnn4();
    const auto proj = pattern::project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib, pattern::connectivity_for(comp, lib.k()), 1);
    const auto packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
    std::unique_ptr<thread_pool> pool(threads > 1 ? new thread_pool(size_t(threads)) : nullptr);
    pattern::conv3x3_options o;
    o.filter_group = 1;
    o.pool = pool.get();
    pattern::conv3x3_plan<float> plan(packed, s, o);
    tensor4_view<const float> iv(in.data(), s.input_dims());
    const auto od = s.output_dims();
    tensor4_view<float> ov(out.data(), od), pv(outp.data(), od, od.c * od.h * (od.w + 8), od.h * (od.w + 8), od.w + 8);
    std::vector<double> t[2];
    for (int r = 0; r < rounds; ++r)
        for (int k = 0; k < 2; ++k) {
            const int v = (k + r) % 2;
            auto run = [&] { v == 0 ? plan.run(iv, pv) : plan.run(iv, ov); };
            run();
            auto t0 = std::chrono::steady_clock::now();
            for (int q = 0; q < 3; ++q) run();
            t[v].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 3);
        }
    std::vector<double> ratio;
    for (int r = 0; r < rounds; ++r) ratio.push_back(t[0][size_t(r)] / t[1][size_t(r)]);
    auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
    std::printf("%4td->%4td @%3td c%-4g t%d %s bm %d: scratch %.3f ms  in place %.3f ms  x %.3f\n", ci, co, hw, comp, threads, plan.kernel_name(),
                int(plan.block_major()), med(t[0]), med(t[1]), med(ratio));
}
