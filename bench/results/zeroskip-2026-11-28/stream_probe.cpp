// Probe: fp32 zero-skip row streaming rate vs rows streamed concurrently (fc6: 25088 rows of
// 4096 floats, ld 4112, 2 MB pages advised; 10 % of the rows chosen iid). Each call: y (16 KB)
// += x_r * row_r over the chosen rows, R rows per group interleaved per 16 columns, software
// prefetch of the rows of the group D groups ahead (D = 0: none). Cold: 96 MB written before
// every call. Reports the median ms and GB/s of the weight bytes read.
#include <immintrin.h>
#include <sys/mman.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>
static const long K = 25088, N = 4096, LD = 4112;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
alignas(64) static float y[N];
template <int R>
__attribute__((noinline)) void run(const float* w, const int* rows, const float* x, long n, int D, int lines) {
    for (long g = 0; g + R <= n; g += R) {
        const float* p[R]; const float* q[R];
        const long gq = g + (long)D * R + R <= n ? g + (long)D * R : g;
        for (int r = 0; r < R; ++r) { p[r] = w + (long)rows[g + r] * LD; q[r] = w + (long)rows[gq + r] * LD; }
        __m256 xr[R];
        for (int r = 0; r < R; ++r) xr[r] = _mm256_set1_ps(x[g + r]);
        for (long c = 0; c < N; c += 16) {
            if (D > 0 && c % lines == 0)
                for (int r = 0; r < R; ++r) __builtin_prefetch(q[r] + c, 0, 2);
            __m256 a0 = _mm256_load_ps(y + c), a1 = _mm256_load_ps(y + c + 8);
            for (int r = 0; r < R; ++r) { a0 = _mm256_fmadd_ps(xr[r], _mm256_loadu_ps(p[r] + c), a0); a1 = _mm256_fmadd_ps(xr[r], _mm256_loadu_ps(p[r] + c + 8), a1); }
            _mm256_store_ps(y + c, a0); _mm256_store_ps(y + c + 8, a1);
        }
    }
}
int main(int argc, char** argv) {
    const double frac = argc > 1 ? atof(argv[1]) : 0.1;
    const size_t bytes = (size_t)K * LD * 4;
    const size_t huge = 2u << 20;
    void* raw = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    float* w = (float*)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(w, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < (size_t)K * LD; ++i) w[i] = (float)(i % 7) * 0.25f;
    std::mt19937 rng(3); std::vector<int> rows; std::vector<float> x;
    for (int k = 0; k < K; ++k) if (std::uniform_real_distribution<double>(0, 1)(rng) < frac) { rows.push_back(k); x.push_back(1.0f); }
    const long n = (long)rows.size() / 16 * 16;
    std::vector<char> flush(96 << 20, 1);
    struct V { int R, D, lines; };
    std::vector<V> vs = {{8, 2, 16}, {2, 0, 16}, {4, 0, 16}, {8, 0, 16}, {16, 0, 16}, {2, 8, 16}, {4, 4, 16}, {4, 2, 16}, {8, 1, 16}, {16, 1, 16}, {4, 8, 16}, {2, 16, 16}};
    if (argc > 2) vs = {{8, 2, 16}, {8, 0, 16}, {8, 1, 16}, {16, 0, 16}, {16, 1, 16}, {8, 2, 32}, {8, 4, 16}};
    const int reps = argc > 2 ? atoi(argv[2]) : 9;
    std::vector<std::vector<double>> t(vs.size());
    volatile int sink = 0;
    for (int rep = 0; rep < reps; ++rep)
        for (size_t v = 0; v < vs.size(); ++v) {
            for (size_t i = 0; i < flush.size(); i += 64) flush[i]++;
            sink += flush[rep];
            const double t0 = now();
            switch (vs[v].R) {
            case 2: run<2>(w, rows.data(), x.data(), n, vs[v].D, vs[v].lines); break;
            case 4: run<4>(w, rows.data(), x.data(), n, vs[v].D, vs[v].lines); break;
            case 8: run<8>(w, rows.data(), x.data(), n, vs[v].D, vs[v].lines); break;
            default: run<16>(w, rows.data(), x.data(), n, vs[v].D, vs[v].lines); break;
            }
            t[v].push_back(now() - t0);
        }
    for (size_t v = 0; v < vs.size(); ++v) {
        std::sort(t[v].begin(), t[v].end());
        const double ms = t[v][t[v].size() / 2] * 1e3;
        std::printf("rows %.0f%% R=%2d prefetch %2d groups ahead (= %3d rows), 1 line per %d cols: %.3f ms  %.1f GB/s\n", frac * 100, vs[v].R, vs[v].D, vs[v].R * vs[v].D, vs[v].lines, ms, n * N * 4.0 / (ms * 1e-3) / 1e9);
    }
    // all rows (dense-like stream, R = 8, prefetch 2 groups): the rate of a contiguous sweep
    return sink == 7;
}
