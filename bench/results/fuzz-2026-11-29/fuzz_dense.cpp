// Fuzz dense::gemm_plan and dense::conv2d_plan: random shapes, strided views, pools, activations, arch caps.
#include "finegrain/dense/conv2d_plan.hpp"
#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/gemm.hpp"
#include "finegrain/simd/dispatch.hpp"
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
using namespace finegrain;
int main(int argc, char** argv)
{
    const int iters = atoi(argv[1]);
    std::mt19937 rng(atoi(argv[2]));
    auto U = [&](long a, long b) { return index_t(rng() % unsigned(b - a + 1)) + a; };
    std::uniform_real_distribution<float> ud(-1, 1);
    thread_pool p2(2), p3(3);
    int ok = 0, rej = 0;
    const simd::arch_id caps[] = {simd::arch_id::scalar, simd::arch_id::sse4_2, simd::arch_id::avx2};
    for (int it = 0; it < iters; ++it) {
        simd::set_arch_cap(caps[U(0, 2)]);
        const int pw = int(U(0, 2));
        executor* pool = pw == 0 ? nullptr : pw == 1 ? static_cast<executor*>(&p2) : &p3;
        const activation act = std::array<activation, 3>{activation::none, activation::relu, activation::relu6}[size_t(U(0, 2))];
        try {
            if (U(0, 1)) {
                const index_t m = U(1, 70), n = U(0, 3) == 0 ? 1 : U(1, 70), k = U(1, 300);
                const index_t ldb = n + (U(0, 1) ? U(1, 5) : 0), ldc = n + (U(0, 1) ? U(1, 5) : 0);
                std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * ldb)), bias(static_cast<size_t>(m)), want(static_cast<size_t>(m * n)), c(static_cast<size_t>(m * ldc), -9.f);
                for (auto& v : a) v = ud(rng);
                for (auto& v : b) v = ud(rng);
                for (auto& v : bias) v = ud(rng);
                std::vector<float> bd(static_cast<size_t>(k * n));
                for (index_t i = 0; i < k; ++i)
                    for (index_t j = 0; j < n; ++j) bd[size_t(i * n + j)] = b[size_t(i * ldb + j)];
                const bool hb = U(0, 1);
                ref::gemm({a.data(), m, k}, {bd.data(), k, n}, {want.data(), m, n}, hb ? bias.data() : nullptr, act);
                dense::gemm_options o;
                o.bias = hb ? bias.data() : nullptr;
                o.act = act;
                o.pool = pool;
                dense::gemm_plan<float> plan(matrix_view<const float>(a.data(), m, k), n, o);
                plan.run({b.data(), k, n, ldb}, {c.data(), m, n, ldc});
                for (index_t i = 0; i < m; ++i) {
                    for (index_t j = 0; j < n; ++j)
                        if (!(std::fabs(c[size_t(i * ldc + j)] - want[size_t(i * n + j)]) < 1e-4 * (k + 1))) {
                            std::printf("GEMM MISMATCH it %d m %td n %td k %td ldb %td ldc %td\n", it, m, n, k, ldb, ldc);
                            return 1;
                        }
                    for (index_t j = n; j < ldc; ++j)
                        if (c[size_t(i * ldc + j)] != -9.f) { std::printf("GEMM PAD WRITE it %d\n", it); return 1; }
                }
            } else {
                conv2d_shape s;
                s.batch = U(1, 2);
                s.in_channels = U(1, 9);
                s.out_channels = U(1, 12);
                s.kernel_h = U(1, 5);
                s.kernel_w = U(1, 5);
                s.stride_h = U(1, 3);
                s.stride_w = U(1, 3);
                s.pad_h = U(0, 2);
                s.pad_w = U(0, 2);
                s.in_height = U(1, 20);
                s.in_width = U(1, 20);
                std::vector<float> w(size_t(std::max<index_t>(1, s.out_channels * s.in_channels * s.kernel_h * s.kernel_w)));
                for (auto& v : w) v = ud(rng);
                dense::conv2d_options o;
                o.act = act;
                o.pool = pool;
                dense::conv2d_plan<float> plan(tensor4_view<const float>(w.data(), s.weight_dims()), s, o);
                const auto id = s.input_dims(), od = s.output_dims();
                const index_t ish = id.w + U(0, 2), osh = od.w + U(0, 2);
                std::vector<float> in(size_t(id.n * id.c * id.h * ish)), out(size_t(od.n * od.c * od.h * osh), -9.f), want(size_t(od.size()));
                for (auto& v : in) v = ud(rng);
                tensor4_view<const float> iv(in.data(), id, id.c * id.h * ish, id.h * ish, ish);
                tensor4_view<float> ov(out.data(), od, od.c * od.h * osh, od.h * osh, osh);
                ref::conv2d(s, iv, tensor4_view<const float>(w.data(), s.weight_dims()), nullptr, tensor4_view<float>(want.data(), od), act);
                plan.run(iv, ov);
                for (index_t n = 0; n < od.n; ++n)
                    for (index_t ch = 0; ch < od.c; ++ch)
                        for (index_t y = 0; y < od.h; ++y) {
                            for (index_t x = 0; x < od.w; ++x)
                                if (!(std::fabs(ov(n, ch, y, x) - want[size_t(((n * od.c + ch) * od.h + y) * od.w + x)]) < 1e-4 * (s.taps() + 1))) {
                                    std::printf("CONV MISMATCH it %d\n", it);
                                    return 1;
                                }
                            for (index_t x = od.w; x < osh; ++x)
                                if (ov.plane(n, ch)[y * osh + x] != -9.f) { std::printf("CONV PAD WRITE it %d\n", it); return 1; }
                        }
            }
            ++ok;
        } catch (const finegrain::error& e) {
            ++rej;
            if (getenv("SHOW")) std::printf("THROW %s\n", e.what());
        }
    }
    simd::clear_arch_cap();
    std::printf("ok %d rejected %d\n", ok, rej);
}
