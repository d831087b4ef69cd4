// Fuzz pattern::conv3x3_plan options and shapes: must either throw finegrain::error or match the reference.
#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/core/parallel.hpp"
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
using namespace finegrain;
int main(int argc, char** argv)
{
    const int iters = atoi(argv[1]);
    std::mt19937 rng(atoi(argv[2]));
    auto U = [&](int a, int b) { return int(rng() % unsigned(b - a + 1)) + a; };
    thread_pool pool2(2), pool3(3);
    int ok = 0, thrown = 0;
    for (int it = 0; it < iters; ++it) {
        const index_t ci = U(1, 20), co = U(1, 40), h = U(1, 30), w = U(1, 40), st = U(1, 2), pad = U(0, 1), batch = U(1, 2);
        conv2d_shape s;
        s.batch = batch; s.in_channels = ci; s.out_channels = co; s.in_height = h; s.in_width = w;
        s.kernel_h = s.kernel_w = 3; s.stride_h = s.stride_w = st; s.pad_h = s.pad_w = pad;
        if (h + 2 * pad < 3 || w + 2 * pad < 3) continue;
        std::normal_distribution<float> g(0, 1);
        std::vector<float> dense(size_t(co * ci * 9)), in(size_t(batch * ci * h * w));
        for (auto& v : dense) v = g(rng);
        for (auto& v : in) v = g(rng);
        const auto lib = pattern::pattern_set::patdnn4();
        const index_t group = std::vector<index_t>{1, 1, 8, 16}[size_t(U(0, 3))];
        const double conn = std::vector<double>{1.0, 0.5, 0.28, 0.1, 0.0}[size_t(U(0, 4))];
        const auto proj = pattern::project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib, conn, group);
        const auto packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
        pattern::conv3x3_options o;
        o.act = activation::relu;
        if (U(0, 1)) o.filter_block = U(0, 5);
        if (U(0, 1)) o.tile_vectors = U(0, 13);
        if (U(0, 1)) o.channel_block = U(0, 30);
        if (U(0, 1)) o.task_vectors = U(0, 200);
        if (U(0, 1)) o.tile_rows = U(0, 2);
        if (U(0, 1)) o.row_order = U(0, 3);
        if (U(0, 2) == 0) o.filter_group = std::vector<index_t>{0, 1, 8, 16, 4}[size_t(U(0, 4))];
        if (U(0, 2) == 0) o.group_rows = U(0, 40);
        if (U(0, 1)) o.row_bands = U(0, 40);
        const int pw = U(0, 2);
        o.pool = pw == 0 ? nullptr : pw == 1 ? static_cast<executor*>(&pool2) : &pool3;
        try {
            pattern::conv3x3_plan<float> plan(packed, s, o);
            const auto od = s.output_dims();
            std::vector<float> got(size_t(od.size()), -7.f), want(size_t(od.size()));
            const auto dd = packed.to_dense();
            ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<const float>(dd.data(), s.weight_dims()),
                        nullptr, tensor4_view<float>(want.data(), od), activation::relu);
            plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(got.data(), od));
            double md = 0;
            for (size_t i = 0; i < got.size(); ++i) md = std::max(md, double(std::fabs(got[i] - want[i])));
            if (!(md < 1e-3)) {
                std::printf("MISMATCH it %d md %g shape ci %td co %td h %td w %td st %td pad %td b %td g %td conn %g opts fb %td tv %td cb %td task %td tr %td ro %td fg %td gr %td rb %td pool %d kernel %s\n",
                            it, md, ci, co, h, w, st, pad, batch, group, conn, o.filter_block, o.tile_vectors, o.channel_block, o.task_vectors,
                            o.tile_rows, o.row_order, o.filter_group, o.group_rows, o.row_bands, pw, plan.kernel_name());
                return 1;
            }
            ++ok;
        } catch (const finegrain::error& e) {
            ++thrown;
            if (getenv("SHOW")) std::printf("THROW %s\n", e.what());
        }
    }
    std::printf("ok %d thrown %d\n", ok, thrown);
}
