#include "common.hpp"
#include "finegrain/block/spmm_plan.hpp"
#include "finegrain/block/conv1x1_plan.hpp"
#include "finegrain/block/conv3x3_punched_plan.hpp"
#include "finegrain/block/project.hpp"
#include "finegrain/ref/spmm.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "finegrain/ref/punched_conv.hpp"
#include <limits>
#include <sstream>

using namespace finegrain;

static Stats st;
static long nan_diffs = 0;
static const std::vector<index_t> good_b = {1, 2, 4, 8, 16};

static index_t rand_bdim(Rng& r) { return r.coin(0.97) ? r.pick(good_b) : r.pick(std::vector<index_t>{0, -1, 3, 5, 32}); }

static double rand_sparsity(Rng& r)
{
    switch (r.g() % 6) {
    case 0: return 0.0;
    case 1: return 1.0;
    default: return r.uni();
    }
}

static std::vector<float> block_sparse(Rng& r, index_t m, index_t k, index_t br, index_t bc, double s)
{
    std::vector<float> w(std::size_t(m * k));
    index_t bcs = (k + bc - 1) / bc;
    std::vector<char> z(std::size_t(((m + br - 1) / br) * bcs));
    for (auto& v : z) v = r.uni() < s;
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j)
            w[std::size_t(i * k + j)] = (z[std::size_t((i / br) * bcs + j / bc)] || r.coin(0.05)) ? 0.0f : r.f();
    return w;
}

static bool close(float got, double want, double tol) { return std::fabs(double(got) - want) <= tol; }

static void do_spmm(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t m = r.size(), k = r.size(), n = r.size();
    if (r.coin(0.08)) k = r.range(200, 3000);
    if (r.coin(0.08)) n = r.range(90, 400);
    if (r.coin(0.03)) m = r.range(0, 0) - r.range(0, 2);  // zero/negative -> should throw
    block::block_shape bs{rand_bdim(r), rand_bdim(r)};
    double s = rand_sparsity(r);
    block::spmm_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(std::max<index_t>(m, 1))); for (auto& b : bias) b = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    if (r.coin(0.1)) opt.band_rows = r.range(-3, 5);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream desc;
    desc << "spmm it=" << it << " m=" << m << " k=" << k << " n=" << n << " bs=" << bs.r << "x" << bs.c << " s=" << s
         << " bias=" << (opt.bias != nullptr) << " act=" << int(opt.act) << " pool=" << (opt.pool ? opt.pool->concurrency() : 0)
         << " arch=" << simd::to_string(arch);
    try {
        if (m <= 0) {
            std::vector<float> d(4, 1.f);
            block::pack(matrix_view<const float>(d.data(), m, 2), bs);
            st.finding("pack accepted m<=0: " + desc.str());
            return;
        }
        auto wd = block_sparse(r, m, k, std::max<index_t>(1, bs.r > 0 ? bs.r : 1), std::max<index_t>(1, bs.c > 0 ? bs.c : 1), s);
        auto p = block::pack(matrix_view<const float>(wd.data(), m, k), bs);
        // round trip
        if (p.to_dense() != wd) { st.finding("to_dense round trip: " + desc.str()); return; }
        // parts ctor with optional mutation
        if (r.coin(0.3)) {
            std::vector<std::uint32_t> rp(p.row_ptr(), p.row_ptr() + p.block_rows() + 1), ci(p.col_idx(), p.col_idx() + p.nnz_blocks());
            std::vector<float> v(p.values(), p.values() + p.stored_values());
            int mut = int(r.g() % 6);
            desc << " mut=" << mut;
            if (mut == 1 && !rp.empty()) rp[std::size_t(r.range(0, index_t(rp.size()) - 1))] += std::uint32_t(r.range(-2, 2));
            if (mut == 2 && !ci.empty()) ci[std::size_t(r.range(0, index_t(ci.size()) - 1))] += std::uint32_t(r.range(-2, 2));
            if (mut == 3 && !v.empty()) v[std::size_t(r.range(0, index_t(v.size()) - 1))] = r.coin() ? NAN : 5.0f;
            if (mut == 4) { rp.push_back(rp.back()); }
            if (mut == 5 && !rp.empty()) { rp.back() = 0xffffffffu; }
            block::bsr_matrix q(m, k, bs, rp, ci, v);
            // if accepted, must be consistent
            p = std::move(q);
        }
        const index_t xpad = r.coin(0.3) ? r.range(1, 5) : 0, ypad = r.coin(0.3) ? r.range(1, 5) : 0;
        const index_t ldx = n + xpad, ldy = n + ypad;
        std::vector<float> x(std::size_t(k * ldx));
        for (auto& v : x) v = r.coin(0.2) ? 0.0f : r.f();
        std::vector<float> want(std::size_t(m * ldy), -3.f), got(want.size(), -3.f);
        block::spmm_plan<float> plan(p, n, opt);
        ref::bsr_spmm(p, {x.data(), k, n, ldx}, {want.data(), m, n, ldy}, opt.bias, opt.act);
        if (r.coin(0.05)) {  // wrong dims must throw
            try {
                plan.run({x.data(), k, n, ldx}, {got.data(), std::max<index_t>(1, m - 1), n, ldy});
                if (m > 1) st.finding("run accepted wrong y.rows: " + desc.str());
            } catch (const finegrain::error& e) { st.reject(e); }
        }
        plan.run({x.data(), k, n, ldx}, {got.data(), m, n, ldy});
        ++st.valid;
        // value bound: sum |w||x| <= k
        double tol = 4.0 * double(k + 2) * 1.2e-7 * 2.0;
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!close(got[i], want[i], tol) && !(std::isnan(got[i]) && std::isnan(want[i]))) {
                if (std::isnan(want[i])) { static int once = 0; if (!once++) std::printf("NOTE nan-semantics: %s got=%g want=nan\n", desc.str().c_str(), got[i]); ++nan_diffs; break; }
                std::ostringstream o;
                o << desc.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " (row " << index_t(i) / ldy << " col "
                  << index_t(i) % ldy << ") got=" << got[i] << " want=" << want[i];
                st.finding("spmm mismatch: " + o.str());
                break;
            }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

static void do_conv1x1(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t batch = r.range(1, 3), cin = r.size(), cout = r.size(), h = r.size(20), w = r.size(20);
    if (r.coin(0.05)) { h = r.range(40, 60); w = r.range(40, 60); }
    block::block_shape bs{rand_bdim(r), rand_bdim(r)};
    double s = rand_sparsity(r);
    conv2d_shape sh = conv2d_shape::square(batch, cin, cout, 1, 1);
    sh.in_height = h;
    sh.in_width = w;
    if (r.coin(0.05)) sh.kernel_h = sh.kernel_w = 3, sh.pad_h = sh.pad_w = 1;
    if (r.coin(0.03)) sh.stride_h = 2;
    if (r.coin(0.03)) sh.pad_h = 1;
    block::spmm_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(cout)); for (auto& b : bias) b = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream desc;
    desc << "conv1x1 it=" << it << " batch=" << batch << " cin=" << cin << " cout=" << cout << " h=" << h << " w=" << w << " bs=" << bs.r
         << "x" << bs.c << " s=" << s << " act=" << int(opt.act) << " pool=" << (opt.pool ? opt.pool->concurrency() : 0)
         << " arch=" << simd::to_string(arch);
    try {
        index_t wcols = r.coin(0.03) ? cin + 1 : cin;
        auto wd = block_sparse(r, cout, wcols, std::max<index_t>(1, bs.r), std::max<index_t>(1, bs.c), s);
        auto p = block::pack(matrix_view<const float>(wd.data(), cout, wcols), bs);
        block::conv1x1_plan<float> plan(p, sh, opt);
        // strided in/out
        index_t ish = w + (r.coin(0.3) ? r.range(1, 3) : 0), isc = h * ish + (r.coin(0.2) ? r.range(1, 3) : 0),
                isn = cin * isc + (r.coin(0.2) ? r.range(1, 3) : 0);
        index_t osh = w + (r.coin(0.3) ? r.range(1, 3) : 0), osc = h * osh + (r.coin(0.2) ? r.range(1, 3) : 0),
                osn = cout * osc + (r.coin(0.2) ? r.range(1, 3) : 0);
        desc << " in_strides=" << isn << "," << isc << "," << ish << " out_strides=" << osn << "," << osc << "," << osh;
        std::vector<float> in(std::size_t(batch * isn));
        for (auto& v : in) v = r.coin(0.2) ? 0.f : r.f();
        std::vector<float> want(std::size_t(batch * osn), -7.f), got(want.size(), -7.f);
        tensor4_view<const float> iv(in.data(), sh.input_dims(), isn, isc, ish);
        ref::conv2d(sh, iv, {wd.data(), sh.weight_dims()}, opt.bias, {want.data(), sh.output_dims(), osn, osc, osh}, opt.act);
        plan.run(iv, {got.data(), sh.output_dims(), osn, osc, osh});
        ++st.valid;
        double tol = 4.0 * double(cin + 2) * 1.2e-7 * 2.0;
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!close(got[i], want[i], tol)) {
                std::ostringstream o;
                o << desc.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                st.finding("conv1x1 mismatch: " + o.str());
                break;
            }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

static void do_punched(Rng& r, Pools& pools, std::uint64_t it)
{
    index_t batch = r.range(1, 2), cin = r.size(24), cout = r.size(24);
    index_t stride = r.coin(0.95) ? r.range(1, 2) : r.range(3, 4), pad = r.coin(0.95) ? r.range(0, 1) : 2;
    index_t h = r.range(1, 24), w = r.range(1, 24);
    block::punched_shape ps{rand_bdim(r), rand_bdim(r)};
    double s = rand_sparsity(r);
    conv2d_shape sh = conv2d_shape::square(batch, cin, cout, h, 3, stride, pad);
    sh.in_width = w;
    if (r.coin(0.03)) sh.stride_w = 3 - stride;
    if (r.coin(0.03)) sh.pad_w = 1 - std::min<index_t>(pad, 1);
    block::spmm_options opt;
    std::vector<float> bias;
    if (r.coin()) { bias.resize(std::size_t(cout)); for (auto& b : bias) b = r.f(); opt.bias = bias.data(); }
    opt.act = activation(r.range(0, 2));
    opt.pool = pools.pick(r);
    if (r.coin(0.6)) opt.band_rows = r.range(-2, 26);
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    std::ostringstream desc;
    desc << "punched it=" << it << " batch=" << batch << " cin=" << cin << " cout=" << cout << " h=" << h << " w=" << w << " stride=" << sh.stride_h
         << "/" << sh.stride_w << " pad=" << sh.pad_h << "/" << sh.pad_w << " ps=" << ps.filters << "x" << ps.channels << " s=" << s
         << " act=" << int(opt.act) << " band_rows=" << opt.band_rows << " pool=" << (opt.pool ? opt.pool->concurrency() : 0)
         << " arch=" << simd::to_string(arch);
    try {
        std::vector<float> wd(std::size_t(cout * cin * 9));
        index_t fb = std::max<index_t>(1, ps.filters), cb = std::max<index_t>(1, ps.channels);
        index_t cbs = (cin + cb - 1) / cb;
        std::vector<char> z(std::size_t(((cout + fb - 1) / fb) * cbs * 9));
        for (auto& v : z) v = r.uni() < s;
        for (index_t o = 0; o < cout; ++o)
            for (index_t c = 0; c < cin; ++c)
                for (index_t t = 0; t < 9; ++t)
                    wd[std::size_t((o * cin + c) * 9 + t)] = z[std::size_t(((o / fb) * cbs + c / cb) * 9 + t)] ? 0.f : r.f();
        auto p = block::pack_punched(tensor4_view<const float>(wd.data(), {cout, cin, 3, 3}), ps);
        if (p.to_dense() != wd) { st.finding("punched to_dense round trip: " + desc.str()); return; }
        block::conv3x3_punched_plan<float> plan(p, sh, opt);
        desc << " plan_band_rows=" << plan.band_rows();
        std::vector<float> in(std::size_t(sh.input_dims().size()));
        for (auto& v : in) v = r.coin(0.2) ? 0.f : r.f();
        std::vector<float> want(std::size_t(sh.output_dims().size()), -7.f), got(want.size(), -7.f);
        ref::punched_conv3x3(sh, {in.data(), sh.input_dims()}, p, opt.bias, {want.data(), sh.output_dims()}, opt.act);
        plan.run({in.data(), sh.input_dims()}, {got.data(), sh.output_dims()});
        ++st.valid;
        double tol = 4.0 * double(9 * cin + 2) * 1.2e-7 * 2.0;
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!close(got[i], want[i], tol)) {
                std::ostringstream o;
                o << desc.str() << " kernel=" << plan.kernel_name() << " idx=" << i << " got=" << got[i] << " want=" << want[i];
                st.finding("punched mismatch: " + o.str());
                break;
            }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
}

static void do_project(Rng& r, std::uint64_t it)
{
    index_t m = r.size(40), k = r.size(40);
    block::block_shape bs{rand_bdim(r), rand_bdim(r)};
    double s = r.coin(0.9) ? rand_sparsity(r) : r.pick(std::vector<double>{-0.1, 1.5, NAN, INFINITY});
    std::vector<float> w(std::size_t(m * k));
    int special = int(r.g() % 8);
    for (auto& v : w) v = r.coin(0.3) ? 0.f : r.f();
    if (special == 1) w[std::size_t(r.range(0, m * k - 1))] = NAN;
    if (special == 2) w[std::size_t(r.range(0, m * k - 1))] = INFINITY;
    if (special == 3) for (auto& v : w) v = 0.f;
    if (special == 4) for (auto& v : w) v = 1.f;  // all ties
    auto scope = r.coin() ? block::prune_scope::global : block::prune_scope::per_row;
    std::ostringstream desc;
    desc << "project it=" << it << " m=" << m << " k=" << k << " bs=" << bs.r << "x" << bs.c << " s=" << s << " special=" << special
         << " scope=" << int(scope);
    try {
        auto out = block::project(matrix_view<const float>(w.data(), m, k), bs, s, scope);
        ++st.valid;
        // check: counts of zeroed blocks
        if (special != 1) {
            index_t brs = (m + bs.r - 1) / bs.r, bcs = (k + bs.c - 1) / bs.c;
            index_t zeroed_blocks = 0;
            for (index_t br = 0; br < brs; ++br)
                for (index_t bc = 0; bc < bcs; ++bc) {
                    bool allzero = true, changed = false;
                    for (index_t i = br * bs.r; i < std::min(m, br * bs.r + bs.r); ++i)
                        for (index_t j = bc * bs.c; j < std::min(k, bc * bs.c + bs.c); ++j) {
                            float o = out[std::size_t(i * k + j)], d = w[std::size_t(i * k + j)];
                            if (o != 0.f) allzero = false;
                            if (o != d && o != 0.f) changed = true;
                        }
                    if (changed) st.finding("project changed a kept value: " + desc.str());
                    zeroed_blocks += allzero;
                }
            index_t expect_min = scope == block::prune_scope::global ? index_t(std::llround(s * double(brs * bcs)))
                                                                     : brs * index_t(std::llround(s * double(bcs)));
            if (zeroed_blocks < expect_min) {
                std::ostringstream o;
                o << desc.str() << " zeroed=" << zeroed_blocks << " expected>=" << expect_min;
                st.finding("project zeroed too few: " + o.str());
            }
        }
        if (r.coin(0.3)) {
            auto c = block::choose_block_shape(matrix_view<const float>(w.data(), m, k), s, r.coin(0.9) ? r.uni() : 1.5);
            (void)c;
        }
        if (r.coin(0.3) && special != 1 && special != 2) {
            auto pk = block::pack(matrix_view<const float>(out.data(), m, k), bs);
            if (pk.to_dense() != out) st.finding("pack(project) round trip: " + desc.str());
        }
    } catch (const finegrain::error& e) {
        st.reject(e);
    }
    // punched projection
    index_t o_n = r.size(20), c_n = r.size(20);
    block::punched_shape ps{rand_bdim(r), rand_bdim(r)};
    std::vector<float> pw(std::size_t(o_n * c_n * 9));
    for (auto& v : pw) v = r.f();
    if (special == 1) pw[0] = NAN;
    try {
        auto out = block::project_punched(tensor4_view<const float>(pw.data(), {o_n, c_n, 3, 3}), ps, s);
        (void)out;
        ++st.valid;
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
    long cnt[4] = {0, 0, 0, 0};
    for (long it = 0; it < iters; ++it) {
        Rng r(seed * 1000003ull + std::uint64_t(it));
        int op = int(r.g() % 4);
        if (*only) op = std::atoi(only);
        ++cnt[op];
        switch (op) {
        case 0: do_spmm(r, pools, std::uint64_t(it)); break;
        case 1: do_conv1x1(r, pools, std::uint64_t(it)); break;
        case 2: do_punched(r, pools, std::uint64_t(it)); break;
        case 3: do_project(r, std::uint64_t(it)); break;
        }
        simd::clear_arch_cap();
    }
    std::printf("nan_diffs=%ld\n", nan_diffs);
    std::printf("block: iters spmm=%ld conv1x1=%ld punched=%ld project=%ld valid=%ld rejected=%ld findings=%ld\n", cnt[0], cnt[1], cnt[2],
                cnt[3], st.valid, st.rejected, st.findings);
    return st.findings ? 1 : 0;
}
