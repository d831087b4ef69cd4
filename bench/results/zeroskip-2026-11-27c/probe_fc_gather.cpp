// probe: where fp32 zero-skip GEMV time goes at 90 % zeros (fc6 25088x4096 / fc7), 1 thread, cold.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include <immintrin.h>
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/zeroskip/row_engine.hpp"
#include "finegrain/zeroskip/rows_kernels.hpp"
using namespace finegrain;
using namespace finegrain::zeroskip;
template struct finegrain::zeroskip::rows_kernels<finegrain::simd::avx2>;
using K = rows_kernels<simd::avx2>;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static std::vector<char> junk(size_t(96) << 20);
static void flush() { static char t = 0; ++t; for (size_t i = 0; i < junk.size(); i += 64) junk[i] = t; asm volatile("" ::: "memory"); }

// variant kernel: batch 1, group of R rows, prefetch next group's rows with hint H, D lines per 16 cols
template <int R, int H>
static void grp(const float* const* w, const float* const* next, const float* x, float* y, index_t n, int pfl)
{
    __m256 xr[R];
    for (int r = 0; r < R; ++r) xr[r] = _mm256_set1_ps(x[r]);
    for (index_t c = 0; c < n; c += 16) {
        if (pfl) for (int r = 0; r < 8; ++r) _mm_prefetch((const char*)(next[r] + c), H == 0 ? _MM_HINT_T0 : H == 1 ? _MM_HINT_T1 : _MM_HINT_NTA);
        __m256 a0 = _mm256_loadu_ps(y + c), a1 = _mm256_loadu_ps(y + c + 8);
        for (int r = 0; r < R; ++r) { a0 = _mm256_fmadd_ps(xr[r], _mm256_loadu_ps(w[r] + c), a0); a1 = _mm256_fmadd_ps(xr[r], _mm256_loadu_ps(w[r] + c + 8), a1); }
        _mm256_storeu_ps(y + c, a0); _mm256_storeu_ps(y + c + 8, a1);
    }
}
template <int H>
static void var(const zeroskip::detail::row_lists<float>& L, const float* W, index_t ldw, float* y, index_t n, int dist, int pfl)
{
    index_t e = 0;
    for (index_t g = 0; g < L.groups; ++g) {
        const index_t e1 = L.end[g];
        const float* w[8]; const float* nx[8];
        for (index_t i = e; i < e1; ++i) w[i - e] = W + index_t(L.rows[i]) * ldw;
        const index_t gp = std::min(g + dist, L.groups - 1);
        const index_t n0 = gp ? L.end[gp - 1] : 0, n1 = L.end[gp];
        for (int i = 0; i < 8; ++i) nx[i] = W + index_t(L.rows[n0 + i < n1 ? n0 + i : n1 - 1]) * ldw;
        const float* x = L.values.data() + e;
        switch (e1 - e) {
        case 8: grp<8, H>(w, nx, x, y, n, pfl); break;
        case 7: grp<7, H>(w, nx, x, y, n, pfl); break;
        case 6: grp<6, H>(w, nx, x, y, n, pfl); break;
        case 5: grp<5, H>(w, nx, x, y, n, pfl); break;
        case 4: grp<4, H>(w, nx, x, y, n, pfl); break;
        case 3: grp<3, H>(w, nx, x, y, n, pfl); break;
        case 2: grp<2, H>(w, nx, x, y, n, pfl); break;
        default: grp<1, H>(w, nx, x, y, n, pfl); break;
        }
        e = e1;
    }
}

int main(int argc, char** argv)
{
    const index_t k = argc > 1 ? atol(argv[1]) : 25088, n = 4096, ldw = n + 16;
    const double zeros = argc > 2 ? atof(argv[2]) : 0.9;
    aligned_buffer<float> W(k * ldw, 0, page_policy::huge);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (index_t i = 0; i < k * ldw; ++i) W[i] = u(rng);
    std::vector<float> x(k), x0(k);
    std::uniform_real_distribution<double> u01(0, 1);
    for (index_t i = 0; i < k; ++i) { x0[i] = float(u01(rng) + 0.01); x[i] = u01(rng) < zeros ? 0.0f : x0[i]; }
    zeroskip::detail::row_lists<float> L, L0;
    L.reserve(k, 1, 1); L0.reserve(k, 1, 1);
    aligned_buffer<float> y(ldw);
    const int reps = 15;
    auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
    std::vector<double> tg, tk, tz0, tv[8], twhole;
    L0.gather(x0.data(), 1, k, 1, false, 0, 0, 0, false);
    struct V { int h, dist, pfl; const char* name; };
    V vs[] = {{1, 2, 1, "T1 d2"}, {0, 2, 1, "T0 d2"}, {2, 2, 1, "NTA d2"}, {1, 2, 0, "no pf"}, {1, 1, 1, "T1 d1"}, {1, 4, 1, "T1 d4"}};
    const int nv = sizeof(vs) / sizeof(vs[0]);
    for (int r = 0; r < reps; ++r) {
        flush();
        double t0 = now();
        L.gather(x.data(), 1, k, 1, true, 0, 0, 0, false);
        double t1 = now();
        tg.push_back(t1 - t0);
        flush();
        L.gather(x.data(), 1, k, 1, true, 0, 0, 0, false);
        f32_rows_args a; a.groups = L.view(false); a.x = L.values.data(); a.w = W.data(); a.ldw = ldw; a.y = y.data(); a.ldy = ldw; a.col_begin = 0; a.col_end = n;
        std::memset(y.data(), 0, n * 4);
        t0 = now(); K::f32(a); t1 = now(); tk.push_back(t1 - t0);
        flush();
        t0 = now();
        L.gather(x.data(), 1, k, 1, true, 0, 0, 0, false);
        std::memset(y.data(), 0, n * 4);
        K::f32(a);
        t1 = now(); twhole.push_back(t1 - t0);
        flush();
        f32_rows_args a0 = a; a0.groups = L0.view(false); a0.x = L0.values.data();
        t0 = now(); K::f32(a0); t1 = now(); tz0.push_back(t1 - t0);
        for (int v = 0; v < nv; ++v) {
            flush();
            t0 = now();
            if (vs[v].h == 0) var<0>(L, W.data(), ldw, y.data(), n, vs[v].dist, vs[v].pfl);
            else if (vs[v].h == 1) var<1>(L, W.data(), ldw, y.data(), n, vs[v].dist, vs[v].pfl);
            else var<2>(L, W.data(), ldw, y.data(), n, vs[v].dist, vs[v].pfl);
            t1 = now(); tv[v].push_back(t1 - t0);
        }
    }
    const double bytes = double(L.entries) * n * 4, bytes0 = double(k) * n * 4;
    printf("k=%ld zeros=%.2f rows=%ld groups=%ld\n", long(k), zeros, long(L.entries), long(L.groups));
    printf("gather cold %.1f us\n", med(tg) * 1e6);
    printf("lib kernel   %.3f ms %.1f GB/s\n", med(tk) * 1e3, bytes / med(tk) / 1e9);
    printf("gather+kern  %.3f ms\n", med(twhole) * 1e3);
    printf("all rows     %.3f ms %.1f GB/s  (ratio z0/z90 kernel %.2f)\n", med(tz0) * 1e3, bytes0 / med(tz0) / 1e9, med(tz0) / med(twhole));
    for (int v = 0; v < nv; ++v) printf("var %-8s %.3f ms %.1f GB/s\n", vs[v].name, med(tv[v]) * 1e3, bytes / med(tv[v]) / 1e9);
}
