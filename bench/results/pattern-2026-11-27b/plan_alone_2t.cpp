// Times pattern conv3x3_plan alone (no oneDNN in process), 1 and 2 threads, ResNet-18 layers.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include <finegrain/pattern/format.hpp>
#include <finegrain/pattern/pattern_set.hpp>
#include <finegrain/pattern/plan.hpp>
#include <finegrain/pattern/project.hpp>
namespace fg = finegrain;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
int main()
{
    const int hw[4] = {56, 28, 14, 7}, chs[4] = {64, 128, 256, 512};
    fg::thread_pool pool2(2);
    for (int L = 0; L < 4; ++L) {
        const auto shape = fg::conv2d_shape::square(1, chs[L], chs[L], hw[L], 3, 1, 1);
        std::mt19937 rng(3);
        std::normal_distribution<float> gauss(0.0f, 1.0f);
        std::vector<float> dense(std::size_t(shape.weight_dims().size())), input(std::size_t(shape.input_dims().size()));
        for (float& w : dense) w = gauss(rng);
        for (float& x : input) x = gauss(rng);
        std::vector<float> out(std::size_t(shape.output_dims().size()));
        const fg::tensor4_view<const float> in(input.data(), shape.input_dims());
        const fg::tensor4_view<float> o(out.data(), shape.output_dims());
        for (fg::index_t g : {1, 16}) {
            const auto proj = fg::pattern::project(fg::tensor4_view<const float>(dense.data(), shape.weight_dims()),
                                                   fg::pattern::pattern_set::patdnn4(), fg::pattern::connectivity_for(8.0), g);
            const auto packed = fg::pattern::pack(fg::tensor4_view<const float>(proj.weights.data(), shape.weight_dims()),
                                                  fg::pattern::pattern_set::patdnn4());
            fg::pattern::conv3x3_options o1, o2;
            o2.pool = &pool2;
            const fg::pattern::conv3x3_plan<float> p1(packed, shape, o1), p2(packed, shape, o2);
            double med[2];
            for (int t = 0; t < 2; ++t) {
                const auto& p = t ? p2 : p1;
                std::vector<double> s;
                for (int smp = 0; smp < 15; ++smp) {
                    p.run(in, o);
                    const int reps = 30;
                    const double t0 = now();
                    for (int r = 0; r < reps; ++r) p.run(in, o);
                    s.push_back((now() - t0) / reps * 1e3);
                }
                std::sort(s.begin(), s.end());
                med[t] = s[s.size() / 2];
            }
            std::printf("rn18_3x3_%d c8_g%td %-40s 1t %.3f ms  2t %.3f ms  speedup %.2f\n", hw[L], g, p1.kernel_name(), med[0], med[1], med[0] / med[1]);
        }
    }
}
