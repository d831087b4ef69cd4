// Plan-alone probe: per parallel_for call of a run, wall time, per-worker busy time and
// first-task start latency. Usage: probe LAYER COMPRESSION THREADS [reps]
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
using clk = std::chrono::steady_clock;

static double now_us() { return std::chrono::duration<double, std::micro>(clk::now().time_since_epoch()).count(); }

struct timing_executor final : executor {
    thread_pool inner;
    std::size_t fake = 0;
    bool on = false;
    int call = 0;
    double wall[8][1] = {}, busy[8][4] = {}, start[8][4] = {}, ntask[8][4] = {};
    explicit timing_executor(std::size_t t) : inner(t) {}
    std::size_t concurrency() const noexcept override { return fake ? fake : inner.concurrency(); }
    void run(std::size_t tasks, task_ref fn) override
    {
        const int c = call++ & 7;
        double first[4] = {-1, -1, -1, -1};
        const double t0 = now_us();
        auto wrap = [&](std::size_t task, std::size_t worker) {
            const double s = now_us();
            fn(task, worker);
            const double e = now_us();
            if (on) {
                busy[c][worker] += e - s;
                ntask[c][worker] += 1;
                if (first[worker] < 0) first[worker] = s - t0;
            }
        };
        inner.run(tasks, wrap);
        if (on) {
            wall[c][0] += now_us() - t0;
            for (int w = 0; w < 4; ++w) if (first[w] >= 0) start[c][w] += first[w];
        }
    }
};

int main(int argc, char** argv)
{
    struct L { const char* n; index_t ci, co, h; };
    const L layers[] = {{"rn18_56", 64, 64, 56}, {"rn18_28", 128, 128, 28}, {"rn18_14", 256, 256, 14}, {"rn18_7", 512, 512, 7},
                        {"vgg_c3_2", 256, 256, 56}, {"vgg_c4_2", 512, 512, 28}, {"vgg_c5_1", 512, 512, 14}, {"vgg_c3_1", 128, 256, 56}};
    const std::string name = argv[1];
    const double comp = std::atof(argv[2]);
    int threads = std::atoi(argv[3]);
    const std::size_t fake = threads < 0 ? std::size_t(-threads) : 0;
    if (threads < 0) threads = 1;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 200;
    const L* l = nullptr;
    for (const L& x : layers) if (name == x.n) l = &x;
    if (!l) return 1;
    conv2d_shape s;
    s.batch = 1; s.in_channels = l->ci; s.out_channels = l->co; s.in_height = l->h; s.in_width = l->h;
    s.kernel_h = 3; s.kernel_w = 3; s.stride_h = 1; s.stride_w = 1; s.pad_h = 1; s.pad_w = 1;
    std::mt19937 rng(42);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> dense(std::size_t(s.weight_dims().size()));
    for (float& w : dense) w = g(rng) / 3.f;
    const auto lib = pattern::pattern_set::patdnn4();
    const auto proj = pattern::project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib,
                                       pattern::connectivity_for(comp, lib.k()), 1);
    const auto packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
    std::vector<float> in(std::size_t(s.input_dims().size())), out(std::size_t(s.output_dims().size()));
    for (float& v : in) v = g(rng);
    timing_executor pool{static_cast<std::size_t>(threads)};
    pool.fake = fake;
    pattern::conv3x3_options opt;
    opt.pool = &pool;
    auto get = [](const char* n) -> index_t { const char* v = std::getenv(n); return v ? std::atol(v) : 0; };
    opt.channel_block = get("FINEGRAIN_PATTERN_CB");
    opt.task_vectors = get("FINEGRAIN_PATTERN_TV");
    opt.tile_rows = get("FINEGRAIN_PATTERN_R");
    opt.row_bands = get("FINEGRAIN_PATTERN_BANDS");
    pattern::conv3x3_plan<float> plan(packed, s, opt);
    tensor4_view<const float> iv(in.data(), s.input_dims());
    tensor4_view<float> ov(out.data(), s.output_dims());
    for (int i = 0; i < 20; ++i) plan.run(iv, ov);
    // Median of samples of 10 runs.
    std::vector<double> samples;
    pool.on = true;
    for (int r = 0; r < reps / 10; ++r) {
        pool.call = 0;
        const double t0 = now_us();
        for (int i = 0; i < 10; ++i) { pool.call = 0; plan.run(iv, ov); }
        samples.push_back((now_us() - t0) / 10);
    }
    std::sort(samples.begin(), samples.end());
    const int n = int(samples.size()) * 10;
    std::printf("%s c%g t%d %s bands=%td ranges=%td cb=%td tv=%td median %.1f us (min %.1f)\n", l->n, comp, threads, plan.kernel_name(),
                plan.row_bands(), plan.filter_ranges(), plan.channel_block(), plan.task_vectors(), samples[samples.size() / 2], samples[0]);
    if (fake) threads = 1;
    for (int c = 0; c < 3; ++c) {
        if (pool.wall[c][0] == 0) continue;
        std::printf("  call %d wall %.1f", c, pool.wall[c][0] / n);
        for (int w = 0; w < threads; ++w)
            std::printf(" | w%d busy %.1f tasks %.1f start %.1f", w, pool.busy[c][w] / n, pool.ntask[c][w] / n, pool.start[c][w] / n);
        std::printf("\n");
    }
    return 0;
}
