#include "common.hpp"
#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/exact_gemv.hpp"
#include "finegrain/crossbar/layer.hpp"
#include "finegrain/ref/crossbar.hpp"
#include <sstream>

using namespace finegrain;
namespace xb = finegrain::crossbar;
static Stats st;

static void do_layer(Rng& r, std::uint64_t it)
{
    xb::crossbar_config c;
    const std::vector<index_t> rowsv = {1, 2, 4, 8, 16, 32, 64, 128, 3, 12, 48};
    c.rows = r.pick(rowsv);
    c.cols = r.range(1, 70);
    c.cell_bits = int(r.range(1, 4));
    c.weight_bits = int(r.range(1, 16));
    c.input_bits = int(r.range(1, 16));
    c.dac_bits = int(r.range(1, 4));
    c.map = xb::mapping(r.range(0, 2));
    c.flip_encoding = r.coin();
    c.skip = xb::zero_skip(r.range(0, 2));
    c.range = xb::adc_range(r.range(0, 2));
    // fragment_rows divides rows
    std::vector<index_t> divs;
    for (index_t d = 1; d <= c.rows; ++d) if (c.rows % d == 0) divs.push_back(d);
    c.fragment_rows = r.coin(0.97) ? r.pick(divs) : r.range(0, c.rows + 1);
    int exact_bits = 0;
    try { exact_bits = c.exact_adc_bits(); } catch (const finegrain::error& e) { st.reject(e); return; }
    c.adc_bits = r.coin(0.6) ? std::min(16, exact_bits + int(r.range(0, 1))) : int(r.range(0, 17));
    bool noisy = r.coin(0.15);
    if (noisy) { c.device.programming_sigma = r.uni() * 0.2; c.device.stuck_on_rate = r.coin() ? 0.01 : 0; c.device.seed = r.g(); }
    index_t n = r.size(40), k = r.size(70);
    std::ostringstream d;
    d << "xbar it=" << it << " rows=" << c.rows << " cols=" << c.cols << " cell=" << c.cell_bits << " wbits=" << c.weight_bits << " ibits=" << c.input_bits
      << " dac=" << c.dac_bits << " adc=" << c.adc_bits << "(exact " << exact_bits << ") range=" << xb::to_string(c.range) << " m=" << c.fragment_rows
      << " map=" << xb::to_string(c.map) << " flip=" << c.flip_encoding << " skip=" << xb::to_string(c.skip) << " noisy=" << noisy << " n=" << n << " k=" << k;
    try {
        c.validate();
        const std::int64_t wmin = c.weight_min(), wmax = c.weight_max();
        bool extreme = r.coin(0.3);
        std::vector<std::int32_t> w(std::size_t(n * k));
        for (index_t o = 0; o < n; ++o)
            for (index_t i = 0; i < k; ++i) {
                std::int64_t v = extreme ? (r.coin() ? wmin : wmax) : wmin + std::int64_t(r.g() % std::uint64_t(wmax - wmin + 1));
                if (r.coin(0.2)) v = 0;
                if (c.map == xb::mapping::polarized) {
                    bool neg = ((o * 7 + i / c.fragment_rows) % 3) == 0;
                    v = std::llabs(v);
                    if (v > wmax) v = wmax;
                    if (neg) v = -v;
                }
                w[std::size_t(o * k + i)] = std::int32_t(v);
            }
        std::vector<std::uint16_t> x(static_cast<std::size_t>(k));
        const std::uint32_t xmax = (1u << c.input_bits) - 1u;
        for (auto& v : x) v = r.coin(0.3) ? 0 : extreme ? std::uint16_t(xmax) : std::uint16_t(r.g() & xmax);
        d << " extreme=" << extreme;
        xb::layer lref(c, matrix_view<const std::int32_t>(w.data(), n, k), xb::engine::reference);
        std::vector<std::int64_t> yref(static_cast<std::size_t>(n)), yfast(std::size_t(n), -1), yex(static_cast<std::size_t>(n));
        lref.mvm(x.data(), yref.data());
        ++st.valid;
        std::unique_ptr<xb::layer> lfast;
        try {
            lfast.reset(new xb::layer(c, matrix_view<const std::int32_t>(w.data(), n, k), xb::engine::fast));
        } catch (const finegrain::error& e) { st.reject(e); }
        if (lfast) {
            lfast->mvm(x.data(), yfast.data());
            lfast->mvm(x.data(), yfast.data());
            ++st.valid;
            if (yfast != yref) {
                for (index_t o = 0; o < n; ++o)
                    if (yfast[std::size_t(o)] != yref[std::size_t(o)]) {
                        std::ostringstream oo; oo << d.str() << " engine=" << lfast->engine_name() << " o=" << o << " fast=" << yfast[std::size_t(o)] << " ref=" << yref[std::size_t(o)];
                        st.finding("xbar fast != ref: " + oo.str()); break;
                    }
            }
            if (lfast->stats().mvms != lref.stats().mvms * 2) {}
        }
        bool exact_expected = !noisy && (c.range == xb::adc_range::full_precision || (c.adc_bits >= exact_bits && c.range != xb::adc_range::full_scale) ||
                                          (c.range == xb::adc_range::full_scale && c.adc_bits >= exact_bits));
        if (exact_expected) {
            ref::exact_gemv(matrix_view<const std::int32_t>(w.data(), n, k), x.data(), yex.data());
            if (yex != yref) {
                for (index_t o = 0; o < n; ++o)
                    if (yex[std::size_t(o)] != yref[std::size_t(o)]) {
                        std::ostringstream oo; oo << d.str() << " o=" << o << " ref=" << yref[std::size_t(o)] << " exact=" << yex[std::size_t(o)];
                        st.finding("xbar ref != exact gemv: " + oo.str()); break;
                    }
            }
        }
    } catch (const finegrain::error& e) { st.reject(e); }
}

static void do_exact(Rng& r, std::uint64_t it)
{
    index_t n = r.size(), k = r.coin(0.1) ? r.range(200, 1500) : r.size();
    int ib = int(r.coin(0.95) ? r.range(1, 16) : r.range(-1, 17));
    auto arch = random_arch(r);
    simd::set_arch_cap(arch);
    bool extreme = r.coin(0.4);
    std::ostringstream d;
    d << "exact_gemv it=" << it << " n=" << n << " k=" << k << " input_bits=" << ib << " extreme=" << extreme << " arch=" << simd::to_string(arch);
    try {
        std::vector<std::int32_t> w(std::size_t(n * k));
        for (auto& v : w) v = extreme ? (r.coin() ? -32767 : 32767) : std::int32_t(r.g() % 65535) - 32767;
        if (r.coin(0.02)) w[0] = -32768;
        xb::exact_gemv_plan plan(matrix_view<const std::int32_t>(w.data(), n, k), ib);
        std::vector<std::uint16_t> x(static_cast<std::size_t>(k));
        const std::uint32_t xmax = (1u << ib) - 1u;
        for (auto& v : x) v = r.coin(0.2) ? 0 : extreme ? std::uint16_t(xmax) : std::uint16_t(r.g() & xmax);
        std::vector<std::int64_t> got(std::size_t(n), -1), want(static_cast<std::size_t>(n));
        plan.run(x.data(), got.data());
        ref::exact_gemv(matrix_view<const std::int32_t>(w.data(), n, k), x.data(), want.data());
        ++st.valid;
        for (index_t o = 0; o < n; ++o)
            if (got[std::size_t(o)] != want[std::size_t(o)]) {
                std::ostringstream oo; oo << d.str() << " kernel=" << plan.kernel_name() << " o=" << o << " got=" << got[std::size_t(o)] << " want=" << want[std::size_t(o)];
                st.finding("exact_gemv mismatch: " + oo.str()); break;
            }
    } catch (const finegrain::error& e) { st.reject(e); }
}

int main(int argc, char** argv)
{
    long iters = argc > 1 ? std::atol(argv[1]) : 1000;
    std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
    long cnt[2] = {};
    for (long it = 0; it < iters; ++it) {
        Rng r(seed * 1000003ull + std::uint64_t(it));
        int op = int(r.g() % 2);
        ++cnt[op];
        auto arch = random_arch(r);
        simd::set_arch_cap(arch);
        if (op == 0) do_layer(r, std::uint64_t(it)); else do_exact(r, std::uint64_t(it));
        simd::clear_arch_cap();
    }
    std::printf("crossbar: layer=%ld exact=%ld valid=%ld rejected=%ld findings=%ld\n", cnt[0], cnt[1], st.valid, st.rejected, st.findings);
    return st.findings ? 1 : 0;
}
