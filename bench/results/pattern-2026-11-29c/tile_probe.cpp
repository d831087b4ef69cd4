// Pattern g = 1 probe: one layer, one compression, several conv3x3_plan option sets, timed
// round-robin in one process (warm), median per variant and median per-round ratio vs variant 0.
// Usage: tile_probe LAYER CIN COUT HW COMPRESSION ROUNDS "cb,tv,order,tile_rows,env;..." [THREADS]
// A variant with env = n constructs its plan with $FG_ENV (default FG_BAND) set to n: the
// throwaway knobs of probe_knobs.plan.patch / split_acc_and_unaligned_rejected.kernels.patch
// (build against those scratch headers; with the library's headers env does nothing).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include <memory>

#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"

using namespace finegrain;
int main(int argc, char** argv)
{
    if (argc < 8) return 2;
    const std::string name = argv[1];
    const index_t ci = std::atol(argv[2]), co = std::atol(argv[3]), hw = std::atol(argv[4]);
    const double comp = std::atof(argv[5]);
    const int rounds = std::atoi(argv[6]);
    const int threads = argc > 8 ? std::atoi(argv[8]) : 1;
    std::unique_ptr<thread_pool> pool(threads > 1 ? new thread_pool(std::size_t(threads)) : nullptr);
    const conv2d_shape s = conv2d_shape::square(1, ci, co, hw, 3, 1, 1);
    std::mt19937 rng(42);
    std::normal_distribution<float> g(0, 1);
    std::vector<float> dense(size_t(co * ci * 9)), in(size_t(ci * hw * hw)), out(size_t(co * hw * hw));
    for (float& w : dense) w = g(rng) / 3.0f;
    for (float& x : in) x = g(rng);
    const auto lib = pattern::pattern_set::patdnn4();
    const auto proj = pattern::project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib,
                                       pattern::connectivity_for(comp, lib.k()), 1);
    const auto packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
    std::vector<pattern::conv3x3_options> opts;
    std::vector<long> envs;
    const char* knob = std::getenv("FG_ENV") ? std::getenv("FG_ENV") : "FG_BAND";
    std::stringstream ss(argv[7]);
    std::string item;
    while (std::getline(ss, item, ';')) {
        pattern::conv3x3_options o;
        long cb = 0, tv = 0, ord = 0, r = 0, env = 0, rb = 0;
        std::sscanf(item.c_str(), "%ld,%ld,%ld,%ld,%ld,%ld", &cb, &tv, &ord, &r, &env, &rb);
        o.row_bands = rb;
        envs.push_back(env);
        o.channel_block = cb;
        o.task_vectors = tv;
        o.row_order = ord;
        o.tile_rows = r;
        o.filter_group = 1;
        o.pool = pool.get();
        opts.push_back(o);
    }
    std::vector<std::unique_ptr<pattern::conv3x3_plan<float>>> plans;
    for (size_t i = 0; i < opts.size(); ++i) {
        if (envs[i]) setenv(knob, std::to_string(envs[i]).c_str(), 1); else unsetenv(knob);
        plans.emplace_back(new pattern::conv3x3_plan<float>(packed, s, opts[i]));
    }
    unsetenv(knob);
    tensor4_view<const float> iv(in.data(), s.input_dims());
    tensor4_view<float> ov(out.data(), s.output_dims());
    const size_t n = plans.size();
    std::vector<std::vector<double>> t(n);
    std::vector<float> ref;
    for (size_t i = 0; i < n; ++i) {
        plans[i]->run(iv, ov);
        if (i == 0) ref = out;
        double md = 0;
        for (size_t j = 0; j < out.size(); ++j) md = std::max(md, double(std::fabs(out[j] - ref[j])));
        std::printf("# v%zu %s cb %td tv %td block_major %d bands %td ranges %td maxdiff %.2g\n", i, plans[i]->kernel_name(), plans[i]->channel_block(),
                    plans[i]->task_vectors(), int(plans[i]->block_major()), plans[i]->row_bands(), plans[i]->filter_ranges(), md);
    }
    for (int r = 0; r < rounds; ++r)
        for (size_t k = 0; k < n; ++k) {
            const size_t i = (k + size_t(r)) % n;
            plans[i]->run(iv, ov);
            int reps = 3;
            auto t0 = std::chrono::steady_clock::now();
            for (int q = 0; q < reps; ++q) plans[i]->run(iv, ov);
            auto t1 = std::chrono::steady_clock::now();
            t[i].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / reps);
        }
    auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
    for (size_t i = 0; i < n; ++i) {
        std::vector<double> ratio;
        for (int r = 0; r < rounds; ++r) ratio.push_back(t[0][size_t(r)] / t[i][size_t(r)]);
        std::printf("%-12s c%-4g v%zu %-28s %8.3f ms  speedup vs v0 %.3f\n", name.c_str(), comp, i, argv[7] ? "" : "", med(t[i]), med(ratio));
    }
}
