// Block-punched 3x3 probe: one layer, 8x4 blocks at 87.5 % (8x), several band heights (spmm_options::band_rows at
// plan construction; 0 = the plan's default), timed round-robin in one process (warm), median per
// variant and median per-round ratio vs variant 0; outputs compared with variant 0.
// Usage: punched_probe LAYER CIN COUT HW STRIDE THREADS ROUNDS "rows,rows,..."
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "finegrain/block/conv3x3_punched_plan.hpp"
#include "finegrain/block/project.hpp"

using namespace finegrain;
int main(int argc, char** argv)
{
    if (argc < 9) return 2;
    const index_t ci = std::atol(argv[2]), co = std::atol(argv[3]), hw = std::atol(argv[4]), st = std::atol(argv[5]);
    const int threads = std::atoi(argv[6]), rounds = std::atoi(argv[7]);
    const conv2d_shape s = conv2d_shape::square(1, ci, co, hw, 3, st, 1);
    std::mt19937 rng(42);
    std::normal_distribution<float> g(0, 1);
    std::vector<float> dense(size_t(co * ci * 9)), in(size_t(ci * hw * hw)), out(size_t(s.output_dims().size()));
    for (float& w : dense) w = g(rng) / 3.0f;
    for (float& x : in) x = std::max(0.0f, g(rng));
    const auto pruned = block::project_punched(tensor4_view<const float>(dense.data(), s.weight_dims()), {8, 4}, 0.875);
    const auto packed = block::pack_punched(tensor4_view<const float>(pruned.data(), s.weight_dims()), {8, 4});
    std::unique_ptr<thread_pool> pool(threads > 1 ? new thread_pool(std::size_t(threads)) : nullptr);
    block::spmm_options opt;
    opt.pool = pool.get();
    std::vector<std::unique_ptr<block::conv3x3_punched_plan<float>>> plans;
    std::vector<std::string> names;
    std::stringstream ss(argv[8]);
    std::string item;
    while (std::getline(ss, item, ',')) {
        opt.band_rows = std::atol(item.c_str());
        plans.emplace_back(new block::conv3x3_punched_plan<float>(packed, s, opt));
        names.push_back(item);
    }
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
        std::printf("# v%zu band %s %s bytes %zu maxdiff %.2g\n", i, names[i].c_str(), plans[i]->kernel_name(), plans[i]->bytes(), md);
    }
    for (int r = 0; r < rounds; ++r)
        for (size_t k = 0; k < n; ++k) {
            const size_t i = (k + size_t(r)) % n;
            plans[i]->run(iv, ov);
            const int reps = 3;
            auto t0 = std::chrono::steady_clock::now();
            for (int q = 0; q < reps; ++q) plans[i]->run(iv, ov);
            auto t1 = std::chrono::steady_clock::now();
            t[i].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / reps);
        }
    auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
    for (size_t i = 0; i < n; ++i) {
        std::vector<double> ratio;
        for (int r = 0; r < rounds; ++r) ratio.push_back(t[0][size_t(r)] / t[i][size_t(r)]);
        std::printf("%-10s t%d band %-4s %8.3f ms  speedup vs v0 %.3f\n", argv[1], threads, names[i].c_str(), med(t[i]), med(ratio));
    }
}
