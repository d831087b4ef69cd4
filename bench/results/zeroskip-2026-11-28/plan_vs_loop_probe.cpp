// Probe: the real zeroskip::gemm_plan<float> (fc6 25088x4096, 1 thread, 90 % iid zeros) vs the
// bare row-stream loop of sprobe.cpp (R = 8, prefetch 2 groups ahead) over the same non-zero
// rows of an identical 2 MB-page matrix, alternated, 96 MB written before every call.
#include <immintrin.h>
#include <sys/mman.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include <cstring>
#include "finegrain/zeroskip/gemm_plan.hpp"
using namespace finegrain;
static const long K = 25088, N = 4096, LD = 4112;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
alignas(64) static float yb[N];
__attribute__((noinline)) void bare(const float* w, const int* rows, const float* x, long n) {
    const int R = 8, D = 2;
    for (long g = 0; g < n; g += R) {
        const long r8 = g + R <= n ? R : n - g;
        const float* p[8]; const float* q[8];
        const long gq = g + D * R + R <= n ? g + D * R : g;
        for (int r = 0; r < 8; ++r) { p[r] = w + (long)rows[g + (r < r8 ? r : r8 - 1)] * LD; q[r] = w + (long)rows[gq + r] * LD; }
        __m256 xr[8];
        for (int r = 0; r < 8; ++r) xr[r] = _mm256_set1_ps(r < r8 ? x[g + r] : 0.0f);
        for (long c = 0; c < N; c += 16) {
            for (int r = 0; r < 8; ++r) __builtin_prefetch(q[r] + c, 0, 2);
            __m256 a0 = _mm256_load_ps(yb + c), a1 = _mm256_load_ps(yb + c + 8);
            for (int r = 0; r < 8; ++r) { a0 = _mm256_fmadd_ps(xr[r], _mm256_loadu_ps(p[r] + c), a0); a1 = _mm256_fmadd_ps(xr[r], _mm256_loadu_ps(p[r] + c + 8), a1); }
            _mm256_store_ps(yb + c, a0); _mm256_store_ps(yb + c + 8, a1);
        }
    }
}
int main() {
    std::mt19937 rng(1);
    std::vector<float> wd((size_t)N * K);
    for (auto& v : wd) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    zeroskip::gemm_options o;
    zeroskip::gemm_plan<float> plan(matrix_view<const float>(wd.data(), N, K), 1, o);
    std::vector<float> x(K);
    std::vector<int> rows; std::vector<float> xv;
    for (long k = 0; k < K; ++k) { x[k] = std::uniform_real_distribution<float>(0, 1)(rng) < 0.1 ? 0.5f + (k % 5) : 0.0f; if (x[k] != 0) { rows.push_back((int)k); xv.push_back(x[k]); } }
    const size_t bytes = (size_t)K * LD * 4, huge = 2u << 20;
    void* raw = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    float* w = (float*)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(w, bytes, MADV_HUGEPAGE);
    for (long k = 0; k < K; ++k) for (long c = 0; c < LD; ++c) w[k * LD + c] = c < N ? wd[(size_t)c * K + k] : 0.0f;
    std::vector<float> y(N);
    std::vector<char> flush(96 << 20, 1);
    std::vector<double> tp, tb, tk, tz;
    std::vector<index_t> ends((rows.size() + 7) / 8);
    for (size_t g = 0; g < ends.size(); ++g) ends[g] = (index_t)std::min(rows.size(), 8 * (g + 1));
    std::vector<float> zx(K, 0.0f);
    alignas(64) static float yk[N + 64];
    volatile int sink = 0;
    for (int rep = 0; rep < 21; ++rep) {
        for (size_t i = 0; i < flush.size(); i += 64) flush[i]++;
        sink += flush[rep];
        double t0 = now(); plan.run(x.data(), y.data()); tp.push_back(now() - t0);
        for (size_t i = 0; i < flush.size(); i += 64) flush[i]++;
        sink += flush[rep];
        t0 = now(); std::fill(yb, yb + N, 0.0f); bare(w, rows.data(), xv.data(), (long)rows.size()); tb.push_back(now() - t0);
        for (size_t i = 0; i < flush.size(); i += 64) flush[i]++;
        sink += flush[rep];
        t0 = now();
        {
            zeroskip::f32_rows_args a;
            a.groups.count = (index_t)ends.size(); a.groups.first = 0; a.groups.end = ends.data(); a.groups.rows = rows.data();
            a.x = xv.data(); a.batch = 1; a.w = w; a.ldw = LD; a.y = yk; a.ldy = N; a.col_begin = 0; a.col_end = N;
            std::fill(yk, yk + N, 0.0f);
            zeroskip::rows_kernels<simd::avx2>::f32(a);
        }
        tk.push_back(now() - t0);
        for (size_t i = 0; i < flush.size(); i += 64) flush[i]++;
        sink += flush[rep];
        t0 = now(); plan.run(zx.data(), y.data()); tz.push_back(now() - t0);
    }
    double e = 0; for (long c = 0; c < N; ++c) e = std::max(e, (double)std::abs(y[c] - yb[c]));
    std::sort(tp.begin(), tp.end()); std::sort(tb.begin(), tb.end()); std::sort(tk.begin(), tk.end()); std::sort(tz.begin(), tz.end());
    std::printf("real kernel (rows_kernels<avx2>::f32) on the probe's matrix: %.3f ms (min %.3f); plan.run with x = 0: %.3f ms\n", tk[10] * 1e3, tk[0] * 1e3, tz[10] * 1e3);
    { FILE* f = std::fopen("/proc/self/smaps_rollup", "r"); char line[256]; while (f && std::fgets(line, sizeof line, f)) if (std::strstr(line, "AnonHuge")) std::printf("%s", line); if (f) std::fclose(f); }
    std::printf("rows %zu: plan.run %.3f ms (min %.3f), bare loop %.3f ms (min %.3f), max |diff| %.2g, %s\n", rows.size(), tp[10] * 1e3, tp[0] * 1e3, tb[10] * 1e3, tb[0] * 1e3, e, plan.kernel_name());
    return sink == 7;
}
