// Row-tile kernel (R x V) throughput for several (C, F, KPF, RV, ROWS, block_major, flags) configs, round-robin.
#include "finegrain/pattern/kernels.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>
using namespace finegrain;
using namespace finegrain::pattern;
struct cfg {
    int C, F, KPF, RV, ROWS, bm, flags, R, V;
    aligned_buffer<float> in, out;
    std::vector<std::int32_t> taps;
    std::vector<float> w;
    std::vector<conv3x3_filter_run> runs;
    conv3x3_tile_args a;
    conv3x3_tile_fn fn;
    double flops;
    void build()
    {
        const int L = 8, P = RV * L, plane = (ROWS + 2) * P, chan = 3 * plane;
        in = aligned_buffer<float>(size_t(C) * chan + 64);
        out = aligned_buffer<float>(size_t(F) * ROWS * P);
        for (size_t i = 0; i < in.size(); ++i) in[i] = 0.001f * float(i % 97);
        std::mt19937 rng(5);
        for (int f = 0; f < F; ++f) {
            conv3x3_filter_run r;
            r.first = int(taps.size() / 4);
            r.kernels = KPF;
            r.row = f;
            r.flags = flags;
            std::vector<int> ch;
            for (int c = 0; c < C; ++c) ch.push_back(c);
            std::shuffle(ch.begin(), ch.end(), rng);
            std::vector<int> kc(ch.begin(), ch.begin() + std::min(C, KPF));
            while (int(kc.size()) < KPF) kc.push_back(int(rng() % unsigned(C)));
            std::sort(kc.begin(), kc.end());
            for (int j = 0; j < KPF; ++j) {
                const int base = kc[size_t(j)] * chan;
                int t2dx = int(rng() % 3), t2dy = int(rng() % 3), t3dx = (t2dx + 1) % 3, t3dy = int(rng() % 3);
                taps.push_back(base + plane * 1);
                taps.push_back(base + plane * 1 + P);
                taps.push_back(base + plane * t2dx + t2dy * P);
                taps.push_back(base + plane * t3dx + t3dy * P);
                for (int t = 0; t < 4; ++t) w.push_back(0.01f * float(t + 1));
            }
            runs.push_back(r);
        }
        fn = conv3x3_kernels<simd::avx2>::select_rows(R, V);
        a.input = in.data();
        a.output = out.data();
        a.output_stride = ROWS * P;
        a.vectors = ROWS * RV;
        a.row_vectors = RV;
        a.tap_offsets = taps.data();
        a.weights = w.data();
        a.runs = runs.data();
        a.run_count = F;
        a.block_major = bm;
        a.lo = -1e30f;
        a.hi = 1e30f;
        flops = 2.0 * F * KPF * 4 * ROWS * P;
    }
};
int main(int argc, char** argv)
{
    std::vector<std::unique_ptr<cfg>> cs;
    for (int i = 1; i < argc; ++i) {
        std::unique_ptr<cfg> c(new cfg{});
        std::sscanf(argv[i], "%d:%d:%d:%d:%d:%d:%d:%d:%d", &c->C, &c->F, &c->KPF, &c->RV, &c->ROWS, &c->bm, &c->flags, &c->R, &c->V);
        c->build();
        cs.push_back(std::move(c));
    }
    const size_t n = cs.size();
    std::vector<std::vector<double>> t(n);
    for (int r = 0; r < 21; ++r)
        for (size_t k = 0; k < n; ++k) {
            cfg& c = *cs[(k + size_t(r)) % n];
            c.fn(c.a);
            const int reps = std::max(1, int(2e7 / c.flops));
            auto t0 = std::chrono::steady_clock::now();
            for (int i = 0; i < reps; ++i) c.fn(c.a);
            auto t1 = std::chrono::steady_clock::now();
            t[(k + size_t(r)) % n].push_back(std::chrono::duration<double>(t1 - t0).count() / reps);
        }
    for (size_t i = 0; i < n; ++i) {
        std::sort(t[i].begin(), t[i].end());
        std::printf("%-28s %8.1f us  %6.1f GF/s\n", argv[i + 1], t[i][10] * 1e6, cs[i]->flops / t[i][10] * 1e-9);
    }
}
