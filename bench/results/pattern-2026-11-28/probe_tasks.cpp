// Plan-alone per-run probe (g = 16 or g = 1): per run wall time, tasks per worker, worker start latency.
// Usage: probe_g16 LAYER COMPRESSION GROUP THREADS [runs]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
    double t0 = 0, start1 = -1, busy[4] = {};
    int ntask[4] = {};
    explicit timing_executor(std::size_t t) : inner(t) {}
    std::size_t concurrency() const noexcept override { return fake ? fake : inner.concurrency(); }
    void run(std::size_t tasks, task_ref fn) override {
        t0 = now_us(); start1 = -1;
        for (int w = 0; w < 4; ++w) busy[w] = 0, ntask[w] = 0;
        auto wrap = [&](std::size_t task, std::size_t worker) {
            const double s = now_us();
            if (worker == 1 && start1 < 0) start1 = s - t0;
            fn(task, worker);
            busy[worker] += now_us() - s; ntask[worker]++;
        };
        inner.run(tasks, wrap);
    }
};
int main(int argc, char** argv) {
    struct L { const char* n; index_t ci, co, h; };
    const L layers[] = {{"rn18_56", 64, 64, 56}, {"rn18_28", 128, 128, 28}, {"rn18_14", 256, 256, 14}, {"rn18_7", 512, 512, 7},
                        {"vgg_c3_2", 256, 256, 56}, {"vgg_c4_2", 512, 512, 28}, {"vgg_c5_1", 512, 512, 14}};
    const std::string name = argv[1];
    const double comp = std::atof(argv[2]);
    const int group = std::atoi(argv[3]);
    int threads = std::atoi(argv[4]);
    const std::size_t fake = threads < 0 ? std::size_t(-threads) : 0;
    if (threads < 0) threads = 1;
    const int runs = argc > 5 ? std::atoi(argv[5]) : 2000;
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
                                       pattern::connectivity_for(comp, lib.k()), group);
    const auto packed = pattern::pack(tensor4_view<const float>(proj.weights.data(), s.weight_dims()), lib);
    if (std::getenv("SHOWK")) {
        for (index_t f = 0; f < s.out_channels; f += 16) std::printf("%td ", index_t(packed.offset()[std::size_t(f) + 1] - packed.offset()[std::size_t(f)]));
        std::printf("\n");
    }
    std::vector<float> in(std::size_t(s.input_dims().size())), out(std::size_t(s.output_dims().size()));
    for (float& v : in) v = g(rng);
    timing_executor pool{static_cast<std::size_t>(threads)};
    pool.fake = fake;
    pattern::conv3x3_options opt;
    opt.pool = &pool;
    auto get = [](const char* n) -> index_t { const char* v = std::getenv(n); return v ? std::atol(v) : 0; };
    opt.group_rows = get("GR");
    opt.row_bands = get("BANDS");
    opt.channel_block = get("CB");
    opt.task_vectors = get("TV");
    pattern::conv3x3_plan<float> plan(packed, s, opt);
    tensor4_view<const float> iv(in.data(), s.input_dims());
    tensor4_view<float> ov(out.data(), s.output_dims());
    for (int i = 0; i < 50; ++i) plan.run(iv, ov);
    std::vector<double> wall(runs), st(runs), b0(runs), b1(runs);
    std::vector<int> n0(runs);
    for (int r = 0; r < runs; ++r) {
        const double t = now_us();
        plan.run(iv, ov);
        wall[r] = now_us() - t; st[r] = pool.start1; b0[r] = pool.busy[0]; b1[r] = pool.busy[1]; n0[r] = pool.ntask[0];
    }
    auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
    auto pct = [](std::vector<double> v, double p) { std::sort(v.begin(), v.end()); return v[std::size_t(p * (v.size() - 1))]; };
    double mean = 0; for (double w : wall) mean += w; mean /= runs;
    int worker_missed = 0; for (double x : st) worker_missed += x < 0;
    std::vector<int> hist(8, 0); for (int x : n0) hist[std::min(x, 7)]++;
    std::printf("%s c%g g%d t%d%s %s bands=%td ranges=%td cb=%td tv=%td: wall median %.1f mean %.1f p10 %.1f p90 %.1f | w1 start median %.1f p90 %.1f, w1 no task %d/%d | busy w0 %.1f w1 %.1f | tasks on w0:",
                l->n, comp, group, threads, fake ? "(fake)" : "", plan.kernel_name(), plan.row_bands(), plan.filter_ranges(), plan.channel_block(), plan.task_vectors(), med(wall), mean, pct(wall, 0.1), pct(wall, 0.9),
                med(st), pct(st, 0.9), worker_missed, runs, med(b0), med(b1));
    for (int i = 0; i < 8; ++i) if (hist[i]) std::printf(" %d:%d", i, hist[i]);
    std::printf("\n");
}
