#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <vector>
#include <algorithm>
// rn18_56-like fill: C=64, H=W=56, pad 1, tiles of 5 rows (+2 halo), channel blocks of 32, 3 planes per channel
int main(int argc, char** argv) {
    const int C = 64, H = 56, W = 56, P = 56, cb = 32, rows = 7;
    const int mode = atoi(argv[1]);
    const long plane_stride = rows * P + 64, channel_stride = 3 * plane_stride;
    float* in = (float*)aligned_alloc(64, sizeof(float) * C * H * W);
    float* slab = (float*)aligned_alloc(64, sizeof(float) * cb * channel_stride + 4096);
    for (long i = 0; i < C * H * W; ++i) in[i] = float(i % 97);
    memset(slab, 0, sizeof(float) * cb * channel_stride);
    std::vector<double> t;
    for (int rep = 0; rep < 200; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        for (int y0 = 0; y0 < 56; y0 += 5) {
            for (int c = 0; c < C / cb; ++c) {
                for (int ch = c * cb; ch < (c + 1) * cb; ++ch) {
                    const float* src = in + long(ch) * H * W;
                    float* rowp = slab + long(ch - c * cb) * channel_stride;
                    for (int r = y0; r < y0 + rows; ++r, rowp += P) {
                        const int iy = r - 1;
                        if (iy < 0 || iy >= H) { for (int dx = 0; dx < 3; ++dx) memset(rowp + dx * plane_stride, 0, sizeof(float) * P); continue; }
                        const float* s = src + iy * W;
                        if (mode == 0) {
                            memcpy(rowp + 1, s, sizeof(float) * 55);
                            memcpy(rowp + plane_stride, s, sizeof(float) * 56);
                            memcpy(rowp + 2 * plane_stride, s + 1, sizeof(float) * 55);
                        } else if (mode == 1) {
                            alignas(64) float stage[128] = {};
                            memcpy(stage + 8, s, sizeof(float) * W);
                            for (int dx = 0; dx < 3; ++dx)
                                for (int x = 0; x < P; x += 8) _mm256_store_ps(rowp + dx * plane_stride + x, _mm256_loadu_ps(stage + 7 + dx + x));
                        } else if (mode == 2) {
                            for (int dx = 0; dx < 3; ++dx)
                                for (int x = 0; x < P; x += 8) _mm256_store_ps(rowp + dx * plane_stride + x, _mm256_load_ps(s + x));
                        }
                    }
                }
                asm volatile("" ::: "memory");
            }
        }
        auto t1 = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(t.begin(), t.end());
    printf("mode %d median %.1f us min %.1f\n", mode, t[t.size() / 2], t[0]);
}
