#include "common.hpp"
#include "finegrain/zeroskip/gemm_plan.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"
#include "finegrain/zeroskip/conv3x3_plan.hpp"
#include "finegrain/zeroskip/bit_stats.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/ref/gemm.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/polarized.hpp"
#include <sstream>

using namespace finegrain;
static Stats st;
static long nan_diffs = 0;

static index_t rand_batch(Rng& r)
{
    if (r.coin(0.03)) return r.pick(std::vector<index_t>{0, -1, 65, 100});
    if (r.coin(0.5)) return r.pick(std::vector<index_t>{1, 1, 1, 2, 3, 7, 8, 16, 63, 64});
    return r.range(1, 64);
}
static double rand_zero(Rng& r) { return r.pick(std::vector<double>{0.0, 1.0, 0.5, 0.9, r.uni()}); }

static polarized::polarized_matrix<float> rand_polarized(Rng& r, index_t n, index_t k, index_t m)
{
    std::vector<float> w(std::size_t(n * k));
    for (auto& v : w) v = r.coin(0.1) ? 0.f : r.f();
    polarized::project(matrix_view<float>(w.data(), n, k), m);
    return polarized::pack(matrix_view<const float>(w.data(), n, k), m);
}

static index_t rand_m(Rng& r, index_t k)
{
    if (r.coin(0.02)) return r.range(-1, 0);
    return r.pick(std::vector<index_t>{1, 2, 3, 4, 8, 9, 16, 32, 33, 64, k, k + 1, r.range(1, 100)});
}

static void do_f32(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t n = r.size(), k = r.size(), b = rand_batch(r);
    if (r.coin(0.05)) k = r.range(300, 1200);
    if (r.coin(0.05)) n = r.range(100, 400);
    bool pol = r.coin(0.4);
    index_t m = pol ? rand_m(r, k) : 0;
    zeroskip::gemm_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(std::max<index_t>(1, n))); for (auto& v : bias) v = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    opt.skip_zeros = r.coin(0.8);
    double z = rand_zero(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream d;
    d << "zs_f32 it=" << it << " n=" << n << " k=" << k << " batch=" << b << " pol=" << pol << " m=" << m << " z=" << z
      << " skip=" << opt.skip_zeros << " bias=" << (opt.bias != nullptr) << " act=" << int(opt.act)
      << " pool=" << (opt.pool ? opt.pool->concurrency() : 0) << " arch=" << simd::to_string(arch);
    try {
        std::vector<float> w(std::size_t(n * k));
        for (auto& v : w) v = r.f();
        std::unique_ptr<zeroskip::gemm_plan<float>> plan;
        std::unique_ptr<polarized::polarized_matrix<float>> pm;
        if (pol) {
            pm.reset(new polarized::polarized_matrix<float>(rand_polarized(r, n, k, m)));
            plan.reset(new zeroskip::gemm_plan<float>(*pm, b, opt));
        } else {
            plan.reset(new zeroskip::gemm_plan<float>(matrix_view<const float>(w.data(), n, k), b, opt));
        }
        index_t ldx = b + (r.coin(0.3) ? r.range(1, 4) : 0), ldy = b + (r.coin(0.3) ? r.range(1, 4) : 0);
        bool ptr_api = b == 1 && r.coin(0.5);
        if (ptr_api) ldx = ldy = 1;
        d << " ldx=" << ldx << " ldy=" << ldy << " ptr_api=" << ptr_api;
        std::vector<float> x(std::size_t(k * ldx));
        for (auto& v : x) v = r.uni() < z ? (r.coin(0.1) ? -0.0f : 0.0f) : r.f(0, 2);
        std::vector<float> want(std::size_t(n * ldy), -9.f), got(want.size(), -9.f);
        if (pol) ref::polarized_gemm(*pm, {x.data(), k, b, ldx}, {want.data(), n, b, ldy}, opt.bias, opt.act);
        else ref::gemm({w.data(), n, k}, {x.data(), k, b, ldx}, {want.data(), n, b, ldy}, opt.bias, opt.act);
        if (ptr_api) plan->run(x.data(), got.data());
        else plan->run({x.data(), k, b, ldx}, {got.data(), n, b, ldy});
        ++st.valid;
        // second run (reuse) must give same
        if (r.coin(0.2)) {
            std::vector<float> got2(want.size(), -9.f);
            if (ptr_api) plan->run(x.data(), got2.data());
            else plan->run({x.data(), k, b, ldx}, {got2.data(), n, b, ldy});
            if (got2 != got) st.finding("zs_f32 rerun differs: " + d.str());
        }
        double tol = 4.0 * double(k + 2) * 1.2e-7 * 2.0 * 2.0;
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!(std::fabs(double(got[i]) - double(want[i])) <= tol)) {
                std::ostringstream o;
                o << d.str() << " kernel=" << plan->kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                st.finding("zs_f32 mismatch: " + o.str());
                break;
            }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

template <class X>
static void do_int(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t n = r.size(), k = r.size(), b = rand_batch(r);
    if (r.coin(0.1)) k = r.range(100, 1200);
    if (r.coin(0.05)) n = r.range(100, 300);
    int kind = int(r.g() % 3);  // 0 dense s8, 1 polarized u8, 2 polarized u16
    int bits = kind == 1 ? int(r.range(1, 8)) : kind == 2 ? int(r.range(1, 16)) : 8;
    if (r.coin(0.02)) bits = r.pick(std::vector<int>{0, 9, 17});
    index_t m = kind ? rand_m(r, k) : 0;
    zeroskip::gemm_options opt;
    opt.pool = pools.pick(r);
    opt.skip_zeros = r.coin(0.8);
    double z = rand_zero(r);
    bool extreme = r.coin(0.4);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream d;
    d << "zs_int<" << sizeof(X) * 8 << "> it=" << it << " n=" << n << " k=" << k << " batch=" << b << " kind=" << kind << " bits=" << bits
      << " m=" << m << " z=" << z << " skip=" << opt.skip_zeros << " extreme=" << extreme
      << " pool=" << (opt.pool ? opt.pool->concurrency() : 0) << " arch=" << simd::to_string(arch);
    try {
        const std::uint32_t xmax = sizeof(X) == 1 ? 255u : 65535u;
        std::vector<std::int8_t> w8;
        std::unique_ptr<zeroskip::int_gemm_plan<X>> plan;
        std::unique_ptr<polarized::polarized_matrix<std::uint8_t>> q8;
        std::unique_ptr<polarized::polarized_matrix<std::uint16_t>> q16;
        if (kind == 0) {
            w8.resize(std::size_t(n * k));
            for (auto& v : w8) v = extreme ? std::int8_t(r.coin() ? -128 : 127) : std::int8_t(int(r.g() % 256) - 128);
            plan.reset(new zeroskip::int_gemm_plan<X>(matrix_view<const std::int8_t>(w8.data(), n, k), b, opt));
        } else {
            auto pm = rand_polarized(r, n, k, m);
            if (kind == 1) {
                auto q = polarized::quantize<std::uint8_t>(pm, bits, r.coin() ? polarized::scale_mode::per_output : polarized::scale_mode::per_layer);
                if (extreme) {  // rebuild with max magnitudes
                    std::vector<std::uint8_t> mag(std::size_t(n * k), std::uint8_t((1u << bits) - 1));
                    for (auto& v : mag) if (r.coin(0.1)) v = 0;
                    std::vector<std::uint8_t> neg(std::size_t(n * q.fragments_per_output()));
                    for (auto& v : neg) v = r.coin();
                    float sc = 1.f;
                    q = polarized::polarized_matrix<std::uint8_t>(n, q.geometry(), m, q.order(), bits, mag.data(), neg.data(), polarized::scale_mode::per_layer, &sc);
                }
                q8.reset(new polarized::polarized_matrix<std::uint8_t>(std::move(q)));
                plan.reset(new zeroskip::int_gemm_plan<X>(*q8, b, opt));
            } else {
                auto q = polarized::quantize<std::uint16_t>(pm, bits, r.coin() ? polarized::scale_mode::per_output : polarized::scale_mode::per_layer);
                if (extreme) {
                    std::vector<std::uint16_t> mag(std::size_t(n * k), std::uint16_t((1u << bits) - 1));
                    for (auto& v : mag) if (r.coin(0.1)) v = 0;
                    std::vector<std::uint8_t> neg(std::size_t(n * q.fragments_per_output()));
                    for (auto& v : neg) v = r.coin();
                    float sc = 1.f;
                    q = polarized::polarized_matrix<std::uint16_t>(n, q.geometry(), m, q.order(), bits, mag.data(), neg.data(), polarized::scale_mode::per_layer, &sc);
                }
                q16.reset(new polarized::polarized_matrix<std::uint16_t>(std::move(q)));
                plan.reset(new zeroskip::int_gemm_plan<X>(*q16, b, opt));
            }
        }
        index_t ldx = b + (r.coin(0.3) ? r.range(1, 4) : 0), ldy = b + (r.coin(0.3) ? r.range(1, 4) : 0);
        bool ptr_api = b == 1 && r.coin(0.5);
        if (ptr_api) ldx = ldy = 1;
        d << " ldx=" << ldx << " ldy=" << ldy << " ptr_api=" << ptr_api;
        std::vector<X> x(std::size_t(k * ldx));
        for (auto& v : x) v = r.uni() < z ? X(0) : extreme ? X(xmax) : X(1 + r.g() % xmax);
        std::vector<std::int64_t> want(std::size_t(n * b));
        std::vector<std::int32_t> got(std::size_t(n * ldy), -9);
        if (kind == 0) ref::gemm_int(matrix_view<const std::int8_t>(w8.data(), n, k), matrix_view<const X>(x.data(), k, b, ldx), matrix_view<std::int64_t>(want.data(), n, b));
        else if (kind == 1) ref::polarized_gemm_int(*q8, matrix_view<const X>(x.data(), k, b, ldx), matrix_view<std::int64_t>(want.data(), n, b));
        else ref::polarized_gemm_int(*q16, matrix_view<const X>(x.data(), k, b, ldx), matrix_view<std::int64_t>(want.data(), n, b));
        if (ptr_api) plan->run(x.data(), got.data());
        else plan->run(matrix_view<const X>(x.data(), k, b, ldx), matrix_view<std::int32_t>(got.data(), n, b, ldy));
        ++st.valid;
        d << " kernel=" << plan->kernel_name();
        for (index_t o = 0; o < n; ++o)
            for (index_t s = 0; s < b; ++s) {
                if (std::int64_t(got[std::size_t(o * ldy + s)]) != want[std::size_t(o * b + s)]) {
                    std::ostringstream oo;
                    oo << d.str() << " o=" << o << " s=" << s << " got=" << got[std::size_t(o * ldy + s)] << " want=" << want[std::size_t(o * b + s)];
                    st.finding("zs_int mismatch: " + oo.str());
                    return;
                }
            }
        for (index_t o = 0; o < n; ++o)
            for (index_t s = b; s < ldy; ++s)
                if (got[std::size_t(o * ldy + s)] != -9) { st.finding("zs_int wrote y padding: " + d.str()); return; }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

static void do_conv(Rng& r, Pools& pools, std::uint64_t it)
{
    conv2d_shape s;
    s.batch = r.range(1, 2);
    s.in_channels = r.size(20);
    s.out_channels = r.size(40);
    s.in_height = r.range(1, 16);
    s.in_width = r.range(1, 16);
    s.kernel_h = s.kernel_w = r.coin(0.97) ? 3 : r.pick(std::vector<index_t>{1, 5});
    s.stride_h = s.stride_w = r.pick(std::vector<index_t>{1, 1, 2, 3, 4, 7});
    s.pad_h = s.pad_w = r.range(0, 2);
    if (r.coin(0.03)) s.stride_w = s.stride_h + 1;
    if (r.coin(0.03)) s.pad_w = (s.pad_h + 1) % 3;
    zeroskip::gemm_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(s.out_channels)); for (auto& v : bias) v = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    double z = rand_zero(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream d;
    d << "zs_conv it=" << it << " b=" << s.batch << " cin=" << s.in_channels << " cout=" << s.out_channels << " h=" << s.in_height
      << " w=" << s.in_width << " k=" << s.kernel_h << " stride=" << s.stride_h << "/" << s.stride_w << " pad=" << s.pad_h << "/" << s.pad_w
      << " z=" << z << " act=" << int(opt.act) << " pool=" << (opt.pool ? opt.pool->concurrency() : 0) << " arch=" << simd::to_string(arch);
    try {
        s.validate();
        std::vector<float> w(std::size_t(s.weight_dims().size()));
        for (auto& v : w) v = r.f();
        zeroskip::conv3x3_plan<float> plan(tensor4_view<const float>(w.data(), s.weight_dims()), s, opt);
        index_t ish = s.in_width + (r.coin(0.3) ? r.range(1, 3) : 0), isc = s.in_height * ish + (r.coin(0.2) ? 2 : 0), isn = s.in_channels * isc + (r.coin(0.2) ? 3 : 0);
        index_t ow = s.out_width(), oh = s.out_height();
        index_t osh = ow + (r.coin(0.3) ? r.range(1, 3) : 0), osc = oh * osh + (r.coin(0.2) ? 2 : 0), osn = s.out_channels * osc + (r.coin(0.2) ? 3 : 0);
        d << " strides in " << isn << "," << isc << "," << ish << " out " << osn << "," << osc << "," << osh;
        std::vector<float> in(std::size_t(s.batch * isn));
        for (auto& v : in) v = r.uni() < z ? 0.f : r.f(0, 1);
        std::vector<float> want(std::size_t(s.batch * osn), -5.f), got(want.size(), -5.f);
        tensor4_view<const float> iv(in.data(), s.input_dims(), isn, isc, ish);
        ref::conv2d(s, iv, {w.data(), s.weight_dims()}, opt.bias, {want.data(), s.output_dims(), osn, osc, osh}, opt.act);
        plan.run(iv, {got.data(), s.output_dims(), osn, osc, osh});
        ++st.valid;
        double tol = 4.0 * double(s.taps() + 2) * 1.2e-7 * 2.0;
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!(std::fabs(double(got[i]) - double(want[i])) <= tol)) {
                std::ostringstream o;
                o << d.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                st.finding("zs_conv mismatch: " + o.str());
                break;
            }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

template <class X>
static void do_stats(Rng& r, std::uint64_t it)
{
    index_t k = r.coin(0.1) ? r.range(100, 2000) : r.size(), m = r.coin(0.6) ? r.pick(std::vector<index_t>{1, 2, 4, 8, 16, 32}) : r.range(-1, 80);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream d;
    d << "bitstats<" << sizeof(X) * 8 << "> it=" << it << " k=" << k << " m=" << m << " arch=" << simd::to_string(arch);
    try {
        zeroskip::bit_stats_plan<X> p(k, m);
        // exact-size heap buffers so ASan catches over-reads
        std::unique_ptr<X[]> x(new X[std::size_t(k)]);
        int mode = int(r.g() % 4);
        for (index_t i = 0; i < k; ++i) {
            std::uint32_t v = std::uint32_t(r.g());
            if (mode == 0) v &= 0xffff;
            if (mode == 1) v = r.coin(0.8) ? 0 : v;
            if (mode == 2) v = 1u << (r.g() % (8 * sizeof(X)));
            if (mode == 3) v = r.coin(0.5) ? 0 : (1u << (8 * sizeof(X))) - 1;
            x[std::size_t(i)] = X(v);
        }
        index_t f = p.fragments();
        std::unique_ptr<std::uint8_t[]> bl(new std::uint8_t[std::size_t(f)]), zp(new std::uint8_t[std::size_t(f)]);
        std::vector<std::uint8_t> wbl(static_cast<std::size_t>(f)), wzp(static_cast<std::size_t>(f));
        p.run(x.get(), bl.get(), zp.get());
        ref::fragment_bit_stats(x.get(), k, m, int(8 * sizeof(X)), wbl.data(), wzp.data());
        ++st.valid;
        for (index_t i = 0; i < f; ++i)
            if (bl[std::size_t(i)] != wbl[std::size_t(i)] || zp[std::size_t(i)] != wzp[std::size_t(i)]) {
                std::ostringstream o;
                o << d.str() << " kernel=" << p.kernel_name() << " frag=" << i << " bitlen got=" << int(bl[std::size_t(i)]) << " want=" << int(wbl[std::size_t(i)])
                  << " zp got=" << int(zp[std::size_t(i)]) << " want=" << int(wzp[std::size_t(i)]);
                st.finding("bitstats mismatch: " + o.str());
                break;
            }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
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
        case 0: do_f32(r, pools, std::uint64_t(it)); break;
        case 1: do_int<std::uint8_t>(r, pools, std::uint64_t(it)); break;
        case 2: do_int<std::uint16_t>(r, pools, std::uint64_t(it)); break;
        case 3: do_conv(r, pools, std::uint64_t(it)); break;
        case 4: do_stats<std::uint8_t>(r, std::uint64_t(it)); break;
        case 5: do_stats<std::uint16_t>(r, std::uint64_t(it)); break;
        }
        simd::clear_arch_cap();
    }
    std::printf("zeroskip: f32=%ld int8=%ld int16=%ld conv=%ld stats8=%ld stats16=%ld valid=%ld rejected=%ld findings=%ld\n", cnt[0], cnt[1],
                cnt[2], cnt[3], cnt[4], cnt[5], st.valid, st.rejected, st.findings);
    return st.findings ? 1 : 0;
}
