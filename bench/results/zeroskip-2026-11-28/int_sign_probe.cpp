// Probe: batch-1 integer GEMV inner loops over a 4096x4096 8-bit weight matrix (input-major rows
// of ldw = 4160 bytes), 8-row groups, 16 columns per step; warm (L3) and cold (96 MB flushed).
// A dense: int8 rows, vpmovzxbw/vpmovsxbw + unpack + vpmaddwd (the current engine)
// B m4:    u8 magnitudes + 2 sign steps per group (the current polarized m = 4 kernel)
// B8 m8:   u8 magnitudes + 1 sign step
// E m4:    row pairs pre-interleaved in memory (no unpacks) + 2 sign steps
// C m4:    fragment quads (4 rows x 1 column in 4 bytes), inputs split 6+2 bits, vpmaddubsw +
//          vpmaddwd(ones / 64s), 2 sign steps
#include <immintrin.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <algorithm>
static const int K = 4096, N = 4096, LDW = N + 64;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
alignas(64) static int32_t y[N + 64];
static inline __m256i sword(const uint64_t* s, long bit) { return _mm256_castps_si256(_mm256_broadcast_ss((const float*)((const char*)s + (bit >> 3)))); }
static inline void sapply(__m256i& lo, __m256i& hi, __m256i w) {
    const __m256i ls = _mm256_setr_epi32(31,30,29,28,27,26,25,24), hs = _mm256_setr_epi32(23,22,21,20,19,18,17,16), one = _mm256_set1_epi32(1);
    lo = _mm256_sign_epi32(lo, _mm256_or_si256(_mm256_sllv_epi32(w, ls), one));
    hi = _mm256_sign_epi32(hi, _mm256_or_si256(_mm256_sllv_epi32(w, hs), one));
}
template <int Mode>  // 0 dense s8, 1 m4 signed, 2 m8 signed, 3 pre-interleaved m4, 4 pre-interleaved dense s8, 5 pre-interleaved m8
__attribute__((noinline)) void run_pairs(const uint8_t* w, const uint64_t* signs, const int32_t* xp) {
    for (int g = 0; g < K / 8; ++g) {
        const uint8_t* r0 = w + (long)(8 * g) * LDW; 
        const uint8_t *w0 = r0, *w1 = r0 + LDW, *w2 = r0 + 2 * LDW, *w3 = r0 + 3 * LDW, *w4 = r0 + 4 * LDW, *w5 = r0 + 5 * LDW, *w6 = r0 + 6 * LDW, *w7 = r0 + 7 * LDW;
        const uint8_t* nx = w + (long)(8 * (g + 2 < K / 8 ? g + 2 : g)) * LDW;
        __m256i x0 = _mm256_set1_epi32(xp[4 * g]), x1 = _mm256_set1_epi32(xp[4 * g + 1]), x2 = _mm256_set1_epi32(xp[4 * g + 2]), x3 = _mm256_set1_epi32(xp[4 * g + 3]);
        const long sb = (long)(2 * g) * (N + 64), sb2 = sb + (N + 64);
        for (long c = 0; c < N; c += 16) {
            if (Mode >= 3) { if (c % 32 == 0) for (int q = 0; q < 4; ++q) __builtin_prefetch(nx + 2 * q * LDW + 2 * c, 0, 2); }
            else if (c % 64 == 0) for (int r = 0; r < 8; ++r) __builtin_prefetch(nx + r * LDW + c, 0, 2);
            __m256i lo, hi;
            auto pair = [&](const uint8_t* a, const uint8_t* b, __m256i xv, __m256i& l, __m256i& h, bool first) {
                __m256i pa, pb;
                if (Mode == 0) { pa = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + c))); pb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b + c))); }
                else { pa = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(a + c))); pb = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(b + c))); }
                __m256i ml = _mm256_madd_epi16(_mm256_unpacklo_epi16(pa, pb), xv), mh = _mm256_madd_epi16(_mm256_unpackhi_epi16(pa, pb), xv);
                if (first) { l = ml; h = mh; } else { l = _mm256_add_epi32(l, ml); h = _mm256_add_epi32(h, mh); }
            };
            auto ipair = [&](const uint8_t* a, __m256i xv, __m256i& l, __m256i& h, bool first) {  // a: 32 bytes = 16 cols x 2 rows interleaved
                __m256i ml, mh;
                if (Mode == 4) { ml = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + 2 * c))), xv);
                mh = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a + 2 * c + 16))), xv); } else {
                ml = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(a + 2 * c))), xv);
                mh = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(a + 2 * c + 16))), xv); }
                if (first) { l = ml; h = mh; } else { l = _mm256_add_epi32(l, ml); h = _mm256_add_epi32(h, mh); }
            };
            if (Mode >= 3) {  // rows w0 (pair 0), w2 (pair 1), ... hold 2*N bytes each (ld 2*LDW)
                ipair(w0, x0, lo, hi, true); ipair(w2, x1, lo, hi, false);
                if (Mode == 3) sapply(lo, hi, _mm256_xor_si256(sword(signs, sb + c), sword(signs, sb2 + c)));
                ipair(w4, x2, lo, hi, false); ipair(w6, x3, lo, hi, false);
                if (Mode != 4) sapply(lo, hi, sword(signs, sb2 + c));
            } else {
                pair(w0, w1, x0, lo, hi, true); pair(w2, w3, x1, lo, hi, false);
                if (Mode == 1) sapply(lo, hi, _mm256_xor_si256(sword(signs, sb + c), sword(signs, sb2 + c)));
                pair(w4, w5, x2, lo, hi, false); pair(w6, w7, x3, lo, hi, false);
                if (Mode == 1 || Mode == 2) sapply(lo, hi, sword(signs, sb2 + c));
            }
            _mm256_store_si256((__m256i*)(y + c), _mm256_add_epi32(_mm256_load_si256((__m256i*)(y + c)), lo));
            _mm256_store_si256((__m256i*)(y + c + 8), _mm256_add_epi32(_mm256_load_si256((__m256i*)(y + c + 8)), hi));
        }
    }
}
// C: quads. Fragment f's row block: 4*LDW bytes, column c's 4 bytes at 4*c. Per 16 columns: 2 fragments x 2 halves.
__attribute__((noinline)) void run_quads(const uint8_t* w, const uint64_t* signs, const uint32_t* xl, const uint32_t* xh) {
    const __m256i ones = _mm256_set1_epi16(1), s64 = _mm256_set1_epi16(64);
    for (int g = 0; g < K / 8; ++g) {
        const uint8_t* f0 = w + (long)(2 * g) * 4 * LDW; const uint8_t* f1 = f0 + 4 * LDW;
        const uint8_t* nx = w + (long)(2 * (g + 2 < K / 8 ? g + 2 : g)) * 4 * LDW;
        const __m256i l0 = _mm256_set1_epi32(xl[2 * g]), h0 = _mm256_set1_epi32(xh[2 * g]), l1 = _mm256_set1_epi32(xl[2 * g + 1]), h1 = _mm256_set1_epi32(xh[2 * g + 1]);
        const long sb = (long)(2 * g) * (N + 64), sb2 = sb + (N + 64);
        for (long c = 0; c < N; c += 16) {
            __builtin_prefetch(nx + 4 * c, 0, 2); __builtin_prefetch(nx + 4 * LDW + 4 * c, 0, 2);
            auto quad = [&](const uint8_t* f, __m256i xl_, __m256i xh_, long off) {
                const __m256i wv = _mm256_loadu_si256((const __m256i*)(f + 4 * c + off));
                return _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(wv, xl_), ones), _mm256_madd_epi16(_mm256_maddubs_epi16(wv, xh_), s64));
            };
            __m256i lo = quad(f0, l0, h0, 0), hi = quad(f0, l0, h0, 32);
            sapply(lo, hi, _mm256_xor_si256(sword(signs, sb + c), sword(signs, sb2 + c)));
            lo = _mm256_add_epi32(lo, quad(f1, l1, h1, 0)); hi = _mm256_add_epi32(hi, quad(f1, l1, h1, 32));
            sapply(lo, hi, sword(signs, sb2 + c));
            _mm256_store_si256((__m256i*)(y + c), _mm256_add_epi32(_mm256_load_si256((__m256i*)(y + c)), lo));
            _mm256_store_si256((__m256i*)(y + c + 8), _mm256_add_epi32(_mm256_load_si256((__m256i*)(y + c + 8)), hi));
        }
    }
}
int main(int argc, char** argv) {
    const bool cold = argc > 1 && argv[1][0] == 'c';
    const int reps = 31;
    std::vector<uint8_t> flush(96 << 20, 1);
    uint8_t* w = (uint8_t*)aligned_alloc(64, (size_t)K * LDW * 2 + 4096);  // x2: room for quad layout (4*LDW per 4 rows = same size)
    for (size_t i = 0; i < (size_t)K * LDW * 2 + 4096; ++i) w[i] = (uint8_t)(i * 2654435761u >> 24);
    std::vector<uint64_t> signs((size_t)(K / 4 + 2) * (N + 64) / 64 + 2);
    for (size_t i = 0; i < signs.size(); ++i) signs[i] = i * 0x9E3779B97F4A7C15ull;
    std::vector<int32_t> xp(K / 2); for (int i = 0; i < K / 2; ++i) xp[i] = (i * 37 % 255) | ((i * 91 % 255) << 16);
    std::vector<uint32_t> xl(K / 4), xh(K / 4); for (int i = 0; i < K / 4; ++i) { xl[i] = 0x3f2a1b05u + i; xh[i] = 0x03020100u; }
    const char* names[] = {"A dense s8", "B m4 signed", "B8 m8 signed", "E m4 interleaved", "C m4 quads", "F dense interleaved", "G m8 interleaved"};
    std::vector<double> t[7];
    volatile int sink = 0;
    for (int rep = 0; rep < reps; ++rep)
        for (int v = 0; v < 7; ++v) {
            if (cold) { for (size_t i = 0; i < flush.size(); i += 64) flush[i]++; sink += flush[rep * 64]; }
            else { switch (v) { case 0: run_pairs<0>(w, signs.data(), xp.data()); break; case 1: run_pairs<1>(w, signs.data(), xp.data()); break; case 2: run_pairs<2>(w, signs.data(), xp.data()); break; case 3: run_pairs<3>(w, signs.data(), xp.data()); break; case 5: run_pairs<4>(w, signs.data(), xp.data()); break; case 6: run_pairs<5>(w, signs.data(), xp.data()); break; default: run_quads(w, signs.data(), xl.data(), xh.data()); } }
            const double t0 = now();
            switch (v) { case 0: run_pairs<0>(w, signs.data(), xp.data()); break; case 1: run_pairs<1>(w, signs.data(), xp.data()); break; case 2: run_pairs<2>(w, signs.data(), xp.data()); break; case 3: run_pairs<3>(w, signs.data(), xp.data()); break; case 5: run_pairs<4>(w, signs.data(), xp.data()); break; case 6: run_pairs<5>(w, signs.data(), xp.data()); break; default: run_quads(w, signs.data(), xl.data(), xh.data()); }
            t[v].push_back(now() - t0);
        }
    for (int v = 0; v < 7; ++v) { std::sort(t[v].begin(), t[v].end()); }
    for (int v = 0; v < 7; ++v) std::printf("%s %-18s %.3f ms  ratio dense/this %.2f\n", cold ? "cold" : "warm", names[v], t[v][reps / 2] * 1e3, t[0][reps / 2] / t[v][reps / 2]);
    return sink == 12345;
}
