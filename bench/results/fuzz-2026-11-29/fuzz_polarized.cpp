#include "common.hpp"
#include "finegrain/polarized/plan.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/polarized.hpp"
#include <sstream>

using namespace finegrain;
using namespace finegrain::polarized;
static Stats st;

static index_t rand_m(Rng& r, index_t k)
{
    if (r.coin(0.02)) return r.range(-1, 0);
    return r.pick(std::vector<index_t>{1, 2, 3, 4, 5, 8, 9, 16, 32, 64, k, k + 1, r.range(1, 100)});
}
static std::string pool_s(executor* p) { return std::to_string(p ? p->concurrency() : 0); }

static polarized_matrix<float> rand_pm(Rng& r, index_t n, index_t k, index_t m, std::vector<float>* keep = nullptr)
{
    std::vector<float> w(std::size_t(n * k));
    for (auto& v : w) v = r.coin(0.1) ? 0.f : r.f();
    project(matrix_view<float>(w.data(), n, k), m);
    auto pm = pack(matrix_view<const float>(w.data(), n, k), m);
    if (keep) *keep = w;
    return pm;
}

static void do_format(Rng& r, std::uint64_t it)
{
    index_t n = r.size(), k = r.size(), m = rand_m(r, k);
    std::ostringstream d;
    d << "format it=" << it << " n=" << n << " k=" << k << " m=" << m;
    try {
        std::vector<float> w(std::size_t(n * k));
        for (auto& v : w) v = r.coin(0.1) ? 0.f : r.f();
        int special = int(r.g() % 10);
        if (special == 1) w[std::size_t(r.range(0, n * k - 1))] = NAN;
        if (special == 2) w[std::size_t(r.range(0, n * k - 1))] = INFINITY;
        if (special == 3) w[std::size_t(r.range(0, n * k - 1))] = -INFINITY;
        d << " special=" << special;
        auto rep = project(matrix_view<float>(w.data(), n, k), m);
        if (rep.fragments != n * ((k + m - 1) / m)) st.finding("project fragment count: " + d.str());
        auto pm = pack(matrix_view<const float>(w.data(), n, k), m);
        ++st.valid;
        auto back = pm.to_dense();
        for (index_t i = 0; i < n * k; ++i)
            if (!(back[i] == w[std::size_t(i)])) { st.finding("pack/to_dense round trip: " + d.str()); break; }
        int bits = int(r.range(0, 17));
        auto mode = scale_mode(r.range(0, 2));
        if (r.coin()) {
            auto q = quantize<std::uint8_t>(pm, bits, mode);
            ++st.valid;
            for (index_t o = 0; o < n; ++o)
                for (index_t c = 0; c < k; ++c)
                    if ((std::uint32_t(q.magnitude(o, c)) >> bits) != 0) { st.finding("quantize magnitude >= 2^B: " + d.str()); return; }
            // dequantized error bound
            for (index_t o = 0; o < n; ++o)
                for (index_t c = 0; c < k; ++c) {
                    double err = std::fabs(double(q.value(o, c)) - double(pm.value(o, c)));
                    if (!(err <= 0.5001 * double(q.scale(o)) + 1e-30) && std::isfinite(pm.value(o, c))) {
                        std::ostringstream oo; oo << d.str() << " bits=" << bits << " mode=" << int(mode) << " o=" << o << " c=" << c << " q=" << q.value(o,c) << " w=" << pm.value(o,c);
                        st.finding("quantize error > scale/2: " + oo.str()); return;
                    }
                }
        } else {
            auto q = quantize<std::uint16_t>(pm, bits, mode);
            ++st.valid;
            (void)q;
        }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

static void do_gemm(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t n = r.size(), k = r.size(), b = r.coin(0.3) ? 1 : r.size(), m = rand_m(r, k);
    dense::gemm_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(n)); for (auto& v : bias) v = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream d;
    d << "pol_gemm it=" << it << " n=" << n << " k=" << k << " b=" << b << " m=" << m << " act=" << int(opt.act) << " bias=" << (opt.bias != nullptr)
      << " pool=" << pool_s(opt.pool) << " arch=" << simd::to_string(arch);
    try {
        auto pm = rand_pm(r, n, k, m);
        gemm_plan<float> plan(pm, b, opt);
        index_t ldx = b + (r.coin(0.3) ? 2 : 0), ldy = b + (r.coin(0.3) ? 3 : 0);
        if (b == 1) ldx = 1;  // known finding: dense GEMV ignores ldx (repro_dense_gemv_strided_x.cpp)
        d << " ldx=" << ldx << " ldy=" << ldy;
        std::vector<float> x(std::size_t(k * ldx));
        for (auto& v : x) v = r.coin(0.3) ? 0.f : r.f();
        std::vector<float> want(std::size_t(n * ldy), -4.f), got(want.size(), -4.f);
        ref::polarized_gemm(pm, {x.data(), k, b, ldx}, {want.data(), n, b, ldy}, opt.bias, opt.act);
        plan.run({x.data(), k, b, ldx}, {got.data(), n, b, ldy});
        ++st.valid;
        double tol = 4.0 * double(k + 2) * 1.2e-7 * 2.0;
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!(std::fabs(double(got[i]) - double(want[i])) <= tol)) {
                std::ostringstream o; o << d.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                st.finding("pol_gemm mismatch: " + o.str()); break;
            }
    } catch (const finegrain::error& e) { st.reject(e); }
}

static conv2d_shape rand_shape(Rng& r)
{
    conv2d_shape s;
    s.batch = r.range(1, 2);
    s.in_channels = r.size(12);
    s.out_channels = r.size(24);
    s.in_height = r.range(1, 12);
    s.in_width = r.range(1, 12);
    s.kernel_h = r.range(1, 4);
    s.kernel_w = r.coin(0.7) ? s.kernel_h : r.range(1, 4);
    s.stride_h = r.range(1, 3);
    s.stride_w = r.coin(0.7) ? s.stride_h : r.range(1, 3);
    s.pad_h = r.range(0, s.kernel_h - 1);
    s.pad_w = r.range(0, s.kernel_w - 1);
    if (r.coin(0.03)) s.pad_h = s.kernel_h;
    return s;
}

static void do_conv(Rng& r, Pools& pools, std::uint64_t it)
{
    conv2d_shape s = rand_shape(r);
    auto order = r.coin() ? unroll_order::channel_major : unroll_order::position_major;
    index_t m = rand_m(r, s.taps());
    dense::conv2d_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(s.out_channels)); for (auto& v : bias) v = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream d;
    d << "pol_conv it=" << it << " b=" << s.batch << " cin=" << s.in_channels << " cout=" << s.out_channels << " h=" << s.in_height << " w=" << s.in_width
      << " k=" << s.kernel_h << "x" << s.kernel_w << " stride=" << s.stride_h << "/" << s.stride_w << " pad=" << s.pad_h << "/" << s.pad_w
      << " order=" << to_string(order) << " m=" << m << " act=" << int(opt.act) << " pool=" << pool_s(opt.pool) << " arch=" << simd::to_string(arch);
    try {
        s.validate();
        std::vector<float> w(std::size_t(s.weight_dims().size()));
        for (auto& v : w) v = r.f();
        project_conv(tensor4_view<float>(w.data(), s.weight_dims()), m, order);
        auto pm = pack_conv(tensor4_view<const float>(w.data(), s.weight_dims()), m, order);
        std::vector<float> in(std::size_t(s.input_dims().size()));
        for (auto& v : in) v = r.coin(0.3) ? 0.f : r.f();
        std::vector<float> want(std::size_t(s.output_dims().size())), got(want.size(), -3.f);
        ref::conv2d(s, {in.data(), s.input_dims()}, {w.data(), s.weight_dims()}, opt.bias, {want.data(), s.output_dims()}, opt.act);
        if (r.coin(0.5)) {
            conv2d_plan<float> plan(pm, s, opt);
            plan.run({in.data(), s.input_dims()}, {got.data(), s.output_dims()});
            ++st.valid;
            double tol = 4.0 * double(s.taps() + 2) * 1.2e-7 * 2.0;
            for (std::size_t i = 0; i < got.size(); ++i)
                if (!(std::fabs(double(got[i]) - double(want[i])) <= tol)) {
                    std::ostringstream o; o << d.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                    st.finding("pol_conv mismatch: " + o.str()); break;
                }
        } else {
            // integer conv
            int bits = int(r.range(1, 8));
            auto q = quantize<std::uint8_t>(pm, bits, scale_mode::per_output);
            bool x16 = r.coin(0.4);
            d << " int bits=" << bits << " x16=" << x16;
            auto run_int = [&](auto xtag) {
                using X = decltype(xtag);
                const std::uint32_t xmax = sizeof(X) == 1 ? 255u : 65535u;
                bool extreme = r.coin(0.3);
                index_t ish = s.in_width + (r.coin(0.3) ? 2 : 0), isc = s.in_height * ish + (r.coin(0.2) ? 1 : 0), isn = s.in_channels * isc;
                std::vector<X> inx(std::size_t(s.batch * isn));
                for (auto& v : inx) v = r.coin(0.3) ? X(0) : extreme ? X(xmax) : X(r.g() % (xmax + 1));
                index_t oh = s.out_height(), ow = s.out_width(), osn = s.out_channels * oh * ow + (r.coin(0.3) ? 5 : 0);
                std::vector<std::int32_t> goti(std::size_t(s.batch * osn), -77);
                int_conv2d_plan<X> plan(q, s, opt.pool);
                plan.run(tensor4_view<const X>(inx.data(), s.input_dims(), isn, isc, ish), tensor4_view<std::int32_t>(goti.data(), s.output_dims(), osn, oh * ow, ow));
                ++st.valid;
                const conv_geometry g = q.geometry();
                for (index_t b = 0; b < s.batch; ++b)
                    for (index_t o = 0; o < s.out_channels; ++o)
                        for (index_t y = 0; y < oh; ++y)
                            for (index_t x = 0; x < ow; ++x) {
                                std::int64_t acc = 0;
                                for (index_t c = 0; c < s.in_channels; ++c)
                                    for (index_t i = 0; i < s.kernel_h; ++i)
                                        for (index_t j = 0; j < s.kernel_w; ++j) {
                                            index_t iy = y * s.stride_h + i - s.pad_h, ix = x * s.stride_w + j - s.pad_w;
                                            if (iy < 0 || iy >= s.in_height || ix < 0 || ix >= s.in_width) continue;
                                            index_t kk = g.index(q.order(), c, i, j);
                                            std::int64_t v = std::int64_t(q.magnitude(o, kk)) * std::int64_t(inx[std::size_t(b * isn + c * isc + iy * ish + ix)]);
                                            acc += q.negative(o, kk / q.fragment()) ? -v : v;
                                        }
                                std::int32_t gv = goti[std::size_t(b * osn + o * oh * ow + y * ow + x)];
                                if (std::int64_t(gv) != acc) {
                                    std::ostringstream oo; oo << d.str() << " kernel=" << plan.kernel_name() << " b=" << b << " o=" << o << " y=" << y << " x=" << x << " got=" << gv << " want=" << acc;
                                    st.finding("pol_int_conv mismatch: " + oo.str()); return;
                                }
                            }
            };
            if (x16) run_int(std::uint16_t{}); else run_int(std::uint8_t{});
        }
    } catch (const finegrain::error& e) { st.reject(e); }
}

template <class X>
static void do_int_gemm(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t n = r.size(), k = r.size(), b = r.coin(0.4) ? 1 : r.range(1, 64), m = rand_m(r, k);
    if (r.coin(0.1)) k = r.range(100, 700);
    bool u16w = r.coin(0.4);
    int bits = u16w ? int(r.range(1, 16)) : int(r.range(1, 8));
    executor* pool = pools.pick(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    bool extreme = r.coin(0.4);
    std::ostringstream d;
    d << "pol_int<" << sizeof(X) * 8 << "> it=" << it << " n=" << n << " k=" << k << " b=" << b << " m=" << m << " u16w=" << u16w << " bits=" << bits
      << " extreme=" << extreme << " pool=" << pool_s(pool) << " arch=" << simd::to_string(arch);
    try {
        auto pm = rand_pm(r, n, k, m);
        const std::uint32_t xmax = sizeof(X) == 1 ? 255u : 65535u;
        index_t ldx = b + (r.coin(0.3) ? 2 : 0), ldy = b + (r.coin(0.3) ? 3 : 0);
        std::vector<X> x(std::size_t(k * ldx));
        for (auto& v : x) v = r.coin(0.3) ? X(0) : extreme ? X(xmax) : X(r.g() % (xmax + 1));
        std::vector<std::int64_t> want(std::size_t(n * b));
        std::vector<std::int32_t> got(std::size_t(n * ldy), -9);
        index_t nb = b;
        bool partial_batch = b > 1 && r.coin(0.2);
        if (partial_batch) nb = r.range(1, b);
        d << " ldx=" << ldx << " ldy=" << ldy << " nb=" << nb;
        auto go = [&](auto& q) {
            if (extreme) {
                using U = typename std::decay_t<decltype(q)>::value_type;
                std::vector<U> mag(std::size_t(n * k), U((1u << bits) - 1));
                std::vector<std::uint8_t> neg(std::size_t(n * q.fragments_per_output()));
                for (auto& v : neg) v = r.coin();
                float sc = 1.f;
                q = polarized_matrix<U>(n, q.geometry(), m, q.order(), bits, mag.data(), neg.data(), scale_mode::per_layer, &sc);
            }
            int_gemm_plan<X> plan(q, b, pool);
            ref::polarized_gemm_int(q, matrix_view<const X>(x.data(), k, nb, ldx), matrix_view<std::int64_t>(want.data(), n, nb));
            if (partial_batch) plan.run_unchecked(x.data(), ldx, got.data(), ldy, nb);
            else plan.run(matrix_view<const X>(x.data(), k, b, ldx), matrix_view<std::int32_t>(got.data(), n, b, ldy));
            ++st.valid;
            for (index_t o = 0; o < n; ++o)
                for (index_t s = 0; s < nb; ++s)
                    if (std::int64_t(got[std::size_t(o * ldy + s)]) != want[std::size_t(o * nb + s)]) {
                        std::ostringstream oo; oo << d.str() << " kernel=" << plan.kernel_name() << " o=" << o << " s=" << s << " got=" << got[std::size_t(o * ldy + s)] << " want=" << want[std::size_t(o * nb + s)];
                        st.finding("pol_int mismatch: " + oo.str()); return;
                    }
            for (index_t o = 0; o < n; ++o)
                for (index_t s = nb; s < ldy; ++s)
                    if (got[std::size_t(o * ldy + s)] != -9) { st.finding("pol_int wrote outside: " + d.str()); return; }
        };
        if (u16w) { auto q = quantize<std::uint16_t>(pm, bits, scale_mode::per_output); go(q); }
        else { auto q = quantize<std::uint8_t>(pm, bits, scale_mode::per_output); go(q); }
    } catch (const finegrain::error& e) { st.reject(e); }
}

static void do_psums(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t n = r.size(), k = r.size(), m = rand_m(r, k);
    if (r.coin(0.1)) k = r.range(100, 700);
    int kind = int(r.g() % 4);  // 0 float, 1 u8/u8, 2 u16/u16, 3 u8 mag / u16 x
    int bits = kind == 2 ? int(r.range(1, 16)) : int(r.range(1, 8));
    executor* pool = pools.pick(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    bool extreme = r.coin(0.4);
    std::ostringstream d;
    d << "psums it=" << it << " n=" << n << " k=" << k << " m=" << m << " kind=" << kind << " bits=" << bits << " extreme=" << extreme
      << " pool=" << pool_s(pool) << " arch=" << simd::to_string(arch);
    try {
        auto pm = rand_pm(r, n, k, m);
        if (kind == 0) {
            partial_sums_plan<float> plan(pm, pool);
            std::vector<float> x(static_cast<std::size_t>(k));
            for (auto& v : x) v = r.coin(0.3) ? 0.f : r.f(0, 2);
            index_t F = plan.fragments();
            std::vector<float> got(std::size_t(F * n), -1.f);
            std::vector<double> want(got.size());
            plan.run(x.data(), got.data());
            ref::fragment_partial_sums(pm, x.data(), want.data());
            ++st.valid;
            double tol = 4.0 * double(std::min(m, k) + 2) * 1.2e-7 * 4.0;
            for (std::size_t i = 0; i < got.size(); ++i)
                if (!(std::fabs(double(got[i]) - want[i]) <= tol)) {
                    std::ostringstream o; o << d.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                    st.finding("psums f32 mismatch: " + o.str()); return;
                }
            return;
        }
        auto go = [&](auto q, auto xtag) {
            using U = typename decltype(q)::value_type;
            using X = decltype(xtag);
            if (extreme) {
                std::vector<U> mag(std::size_t(n * k), U((1u << bits) - 1));
                std::vector<std::uint8_t> neg(std::size_t(n * q.fragments_per_output()));
                float sc = 1.f;
                q = polarized_matrix<U>(n, q.geometry(), m, q.order(), bits, mag.data(), neg.data(), scale_mode::per_layer, &sc);
            }
            partial_sums_plan<U, X> plan(q, pool);
            const std::uint32_t xmax = sizeof(X) == 1 ? 255u : 65535u;
            std::vector<X> x(static_cast<std::size_t>(k));
            for (auto& v : x) v = r.coin(0.3) ? X(0) : extreme ? X(xmax) : X(r.g() % (xmax + 1));
            index_t F = plan.fragments();
            std::vector<std::uint32_t> got(std::size_t(F * n), 7);
            std::vector<std::uint64_t> want(got.size());
            plan.run(x.data(), got.data());
            ref::fragment_partial_sums(q, x.data(), want.data());
            ++st.valid;
            for (std::size_t i = 0; i < got.size(); ++i)
                if (std::uint64_t(got[i]) != want[i]) {
                    std::ostringstream o; o << d.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                    st.finding("psums int mismatch: " + o.str()); return;
                }
        };
        if (kind == 1) go(quantize<std::uint8_t>(pm, bits, scale_mode::per_layer), std::uint8_t{});
        if (kind == 2) go(quantize<std::uint16_t>(pm, bits, scale_mode::per_layer), std::uint16_t{});
        if (kind == 3) go(quantize<std::uint8_t>(pm, bits, scale_mode::per_layer), std::uint16_t{});
    } catch (const finegrain::error& e) { st.reject(e); }
}

int main(int argc, char** argv)
{
    long iters = argc > 1 ? std::atol(argv[1]) : 1000;
    std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
    const char* only = argc > 3 ? argv[3] : "";
    Pools pools;
    long cnt[6] = {};
    for (long it = 0; it < iters; ++it) {
        Rng r(seed * 1000003ull + std::uint64_t(it));
        int op = int(r.g() % 6);
        if (*only) op = std::atoi(only);
        ++cnt[op];
        switch (op) {
        case 0: do_format(r, std::uint64_t(it)); break;
        case 1: do_gemm(r, pools, std::uint64_t(it)); break;
        case 2: do_conv(r, pools, std::uint64_t(it)); break;
        case 3: do_int_gemm<std::uint8_t>(r, pools, std::uint64_t(it)); break;
        case 4: do_int_gemm<std::uint16_t>(r, pools, std::uint64_t(it)); break;
        case 5: do_psums(r, pools, std::uint64_t(it)); break;
        }
        simd::clear_arch_cap();
    }
    std::printf("polarized: format=%ld gemm=%ld conv=%ld int8=%ld int16=%ld psums=%ld valid=%ld rejected=%ld findings=%ld\n", cnt[0], cnt[1], cnt[2],
                cnt[3], cnt[4], cnt[5], st.valid, st.rejected, st.findings);
    return st.findings ? 1 : 0;
}
