// Throwaway same-process A/B of conv3x3_plan variants (options.experiment bits), 1 or 2 threads.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"
using namespace finegrain;
struct layer { const char* name; index_t c, k, h; };
int main(int argc, char** argv)
{
    // usage: ab "layers" "compressions" "exp0,exp1,..." threads rounds
    std::vector<layer> all = {{"vgg_c3_2", 256, 256, 56}, {"vgg_c4_2", 512, 512, 28}, {"vgg_c5_1", 512, 512, 14},
                              {"rn18_3x3_56", 64, 64, 56}, {"rn18_3x3_28", 128, 128, 28}, {"rn18_3x3_14", 256, 256, 14},
                              {"rn18_3x3_7", 512, 512, 7}, {"vgg_c3_1", 128, 256, 56}, {"vgg_c4_1", 256, 512, 28}};
    std::string layers = argv[1], comps = argv[2], exps = argv[3];
    int threads = atoi(argv[4]), rounds = atoi(argv[5]);
    std::vector<int> ex;
    for (char* t = strtok(&exps[0], ","); t; t = strtok(nullptr, ",")) ex.push_back(atoi(t));
    thread_pool pool(threads > 1 ? threads : 1);
    for (const layer& L : all) {
        if (layers.find(L.name) == std::string::npos) continue;
        for (double comp : {2.25, 4.0, 8.0}) {
            char cs[16]; snprintf(cs, 16, "%g", comp);
            if (comps.find(cs) == std::string::npos) continue;
            conv2d_shape s = conv2d_shape::square(1, L.c, L.k, L.h, 3, 1, 1);
            std::mt19937 rng(123);
            std::normal_distribution<float> g(0.f, 1.f);
            std::vector<float> dense(size_t(s.weight_dims().size()));
            for (float& w : dense) w = g(rng) / 3.f;
            auto lib = pattern::pattern_set::patdnn4();
            auto proj = pattern::project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib, pattern::connectivity_for(comp, 4), 1);
            auto packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
            std::vector<float> in(size_t(s.input_dims().size())), out(size_t(s.output_dims().size())), ref(out.size());
            for (float& x : in) x = g(rng);
            std::vector<pattern::conv3x3_plan<float>> plans;
            for (int e : ex) {
                pattern::conv3x3_options o; o.experiment = e; o.act = activation::relu; if (e & 8) o.row_order = 1;
                if (threads > 1) o.pool = &pool;
                plans.emplace_back(packed, s, o);
            }
            // check equality of outputs
            for (size_t i = 0; i < plans.size(); ++i) {
                plans[i].run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(i ? out.data() : ref.data(), s.output_dims()));
                if (i) { double md = 0; for (size_t j = 0; j < out.size(); ++j) md = std::max(md, double(std::fabs(out[j] - ref[j]))); if (md > 1e-3) printf("MISMATCH %g\n", md); }
            }
            auto time1 = [&](size_t i) { auto t0 = std::chrono::steady_clock::now(); plans[i].run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(out.data(), s.output_dims())); return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
            double one = time1(0); int reps = std::max(3, int(0.03 / one));
            std::vector<std::vector<double>> t(plans.size());
            for (int r = 0; r < rounds; ++r)
                for (size_t k = 0; k < plans.size(); ++k) {
                    size_t i = (k + r) % plans.size();
                    time1(i);
                    std::vector<double> v; for (int q = 0; q < reps; ++q) v.push_back(time1(i));
                    std::sort(v.begin(), v.end()); t[i].push_back(v[v.size() / 2]);
                }
            printf("%-12s c%-4s %s", L.name, cs, plans[0].kernel_name());
            std::vector<double> m0 = t[0]; std::sort(m0.begin(), m0.end());
            for (size_t i = 0; i < plans.size(); ++i) {
                std::vector<double> m = t[i], rr; std::sort(m.begin(), m.end());
                for (int r = 0; r < rounds; ++r) rr.push_back(t[0][r] / t[i][r]);
                std::sort(rr.begin(), rr.end());
                printf("  e%d %.3f ms x%.3f", ex[i], 1e3 * m[m.size() / 2], rr[rr.size() / 2]);
            }
            printf("\n"); fflush(stdout);
        }
    }
}
