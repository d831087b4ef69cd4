// Tests of the ReRAM crossbar model: configuration and the ADC resolution rule, the three
// mappings (exact with ideal devices), flip encoding, cell counts, zero-skip counters,
// device non-idealities (determinism, error vs sigma), the fast path vs the reference on every
// arch, conv lowering, the exact GEMV kernel, and the cost report.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

#include <doctest/doctest.h>

#include "finegrain/crossbar/config.hpp"
#include "finegrain/crossbar/cost.hpp"
#include "finegrain/crossbar/exact_gemv.hpp"
#include "finegrain/crossbar/layer.hpp"
#include "finegrain/crossbar/rng.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/ref/crossbar.hpp"
#include "support/testing.hpp"

namespace xb = finegrain::crossbar;
using finegrain::index_t;
using finegrain::matrix_view;

namespace {

// Random weights in the range every mapping accepts; polarized: one sign per fragment of m.
std::vector<std::int32_t> random_weights(index_t n, index_t k, int bits, index_t m, bool polarized, std::uint32_t seed,
                                         double zeros = 0.2)
{
    std::mt19937 g(seed);
    const int top = (1 << (bits - 1)) - 1;
    std::vector<std::int32_t> w(static_cast<std::size_t>(n * k));
    for (index_t o = 0; o < n; ++o)
        for (index_t i = 0; i < k; ++i) {
            int v = int(g() % unsigned(2 * top + 1)) - top;
            if (double(g() % 1000) < zeros * 1000) v = 0;
            if (polarized) v = ((o * 7 + i / m) % 3 == 0 ? -1 : 1) * std::abs(v);
            w[std::size_t(o * k + i)] = v;
        }
    return w;
}

std::vector<std::uint16_t> random_inputs(index_t k, int bits, std::uint32_t seed, double zeros = 0.4)
{
    std::mt19937 g(seed);
    std::vector<std::uint16_t> x(static_cast<std::size_t>(k));
    for (auto& v : x) {
        const int len = 1 + int(g() % unsigned(bits));  // log-uniform magnitudes: leading zeros vary
        v = std::uint16_t(double(g() % 1000) < zeros * 1000 ? 0u : (g() & ((1u << len) - 1u)));
    }
    return x;
}

std::vector<std::int64_t> exact(const std::vector<std::int32_t>& w, index_t n, index_t k, const std::vector<std::uint16_t>& x)
{
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    finegrain::ref::exact_gemv(matrix_view<const std::int32_t>(w.data(), n, k), x.data(), y.data());
    return y;
}

xb::crossbar_config small_config(xb::mapping map, bool flip, index_t m, int cell_bits, int weight_bits, int dac_bits,
                                 int input_bits)
{
    xb::crossbar_config c;
    c.rows = 16;
    c.cols = 24;
    c.cell_bits = cell_bits;
    c.weight_bits = weight_bits;
    c.input_bits = input_bits;
    c.dac_bits = dac_bits;
    c.fragment_rows = m;
    c.map = map;
    c.flip_encoding = flip;
    c.range = xb::adc_range::saturating;
    c.adc_bits = c.exact_adc_bits();
    return c;
}

} // namespace

TEST_CASE("crossbar: ADC resolution rule")
{
    // 1-bit inputs, 2-bit cells: N rows -> exact bits; one fewer with the flip encoding.
    const index_t rows[] = {4, 8, 16, 32, 64, 128, 256};
    for (int i = 0; i < 7; ++i) {
        CHECK(xb::required_adc_bits(rows[i], 2, 1, false) == 4 + i);
        CHECK(xb::required_adc_bits(rows[i], 2, 1, true) == 3 + i);
    }
    CHECK(xb::isaac().exact_adc_bits() == 8);  // 9 bits without the flip
    CHECK(xb::required_adc_bits(128, 2, 1, false) == 9);
    CHECK(xb::forms(8).adc_bits == 4);  // the published FORMS ADC
    CHECK(xb::forms(4).adc_bits == 3);
    CHECK(xb::forms(16).adc_bits == 5);
    CHECK(xb::required_adc_bits(128, 1, 1, true) == 8);  // 1-bit cells: the unit column needs every bit
    CHECK(xb::required_adc_bits(256, 4, 3, false) == 15);  // PRIME's exact need vs its 6-bit ADC
    CHECK(xb::prime().adc_shift() == 9);
}

TEST_CASE("crossbar: invalid configurations throw finegrain::error naming the field")
{
    auto c = xb::isaac();
    c.adc_bits = 0;
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("config.adc_bits"), finegrain::error);
    c = xb::isaac();
    c.weight_bits = 2;
    c.cell_bits = 3;
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("config.cell_bits"), finegrain::error);
    c = xb::forms(8);
    c.fragment_rows = 12;
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("config.fragment_rows"), finegrain::error);
    c = xb::isaac();
    c.adc_bits = 7;  // full precision needs 8
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("config.adc_bits"), finegrain::error);
    c = xb::isaac();
    c.device.programming_sigma = -0.1;
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("device.programming_sigma"), finegrain::error);
    c = xb::isaac();
    c.dac_bits = 5;
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("config.dac_bits"), finegrain::error);
    CHECK_THROWS_WITH_AS(xb::forms(5), doctest::Contains("forms.m"), finegrain::error);

    // polarized: a mixed-sign fragment is named (output, rows, values)
    const std::vector<std::int32_t> w = {1, 2, -3, 4, /* output 1 */ 5, 6, 7, 1};
    const auto pc = small_config(xb::mapping::polarized, false, 4, 2, 4, 1, 8);
    CHECK_THROWS_WITH_AS(xb::program_weights(pc, matrix_view<const std::int32_t>(w.data(), 2, 4)),
                         doctest::Contains("output 0, rows [0, 4), values {1, 2, -3, 4}"), finegrain::error);
    // offset: 4-bit two's complement holds [-8, 7]
    const std::vector<std::int32_t> big = {8, 0, 0, 0};
    const auto oc = small_config(xb::mapping::offset, false, 4, 2, 4, 1, 8);
    CHECK_THROWS_WITH_AS(xb::program_weights(oc, matrix_view<const std::int32_t>(big.data(), 1, 4)),
                         doctest::Contains("weights"), finegrain::error);
    // inputs beyond input_bits
    xb::layer l(oc, matrix_view<const std::int32_t>(w.data() + 4, 1, 4));
    const std::uint16_t x[4] = {1, 256, 0, 0};
    std::int64_t y[1];
    CHECK_THROWS_WITH_AS(l.mvm(x, y), doctest::Contains("x[i] = 256"), finegrain::error);
    CHECK_THROWS_WITH_AS(xb::layer(oc, matrix_view<const std::int32_t>(w.data() + 4, 1, 4), xb::engine::fast, "l").mvm(x, y),
                         doctest::Contains("x[i]"), finegrain::error);
    auto noisy = oc;
    noisy.device.read_sigma = 0.01;
    CHECK_THROWS_WITH_AS(xb::layer(noisy, matrix_view<const std::int32_t>(w.data() + 4, 1, 4), xb::engine::fast),
                         doctest::Contains("engine"), finegrain::error);
}

TEST_CASE("crossbar: ideal devices with enough ADC bits compute the exact integer GEMV, every mapping")
{
    const xb::mapping maps[] = {xb::mapping::differential, xb::mapping::offset, xb::mapping::polarized};
    std::uint32_t seed = 1;
    for (xb::mapping map : maps)
        for (int flip = 0; flip < 2; ++flip)
            for (index_t m : {1, 2, 4, 8, 16})
                for (int cell_bits : {1, 2, 3})
                    for (int dac_bits : {1, 2}) {
                        const int weight_bits = cell_bits == 3 ? 8 : 5 + cell_bits;
                        const int input_bits = dac_bits == 2 ? 9 : 12;
                        auto c = small_config(map, flip != 0, m, cell_bits, weight_bits, dac_bits, input_bits);
                        c.skip = xb::zero_skip(seed % 3);
                        const index_t k = 5 + index_t(seed * 7 % 40), n = 1 + index_t(seed * 5 % 13);
                        const auto w = random_weights(n, k, map == xb::mapping::offset ? weight_bits : weight_bits + 1, m,
                                                      map == xb::mapping::polarized, seed);
                        const auto x = random_inputs(k, input_bits, seed + 100);
                        const auto p = xb::program_weights(c, matrix_view<const std::int32_t>(w.data(), n, k));
                        std::vector<std::int64_t> y(static_cast<std::size_t>(n));
                        finegrain::ref::crossbar_mvm(p, x.data(), y.data());
                        INFO("mapping " << xb::to_string(map) << " flip " << flip << " m " << m << " cell_bits " << cell_bits
                                        << " dac_bits " << dac_bits << " K " << k << " N " << n);
                        CHECK(y == exact(w, n, k, x));
                        ++seed;
                    }
}

TEST_CASE("crossbar: one ADC bit fewer clips without the flip encoding and not with it")
{
    // Worst case: every stored level at its maximum, every input at its maximum.
    const xb::mapping maps[] = {xb::mapping::differential, xb::mapping::offset, xb::mapping::polarized};
    for (xb::mapping map : maps)
        for (index_t m : {4, 8, 16}) {
            const index_t k = 32, n = 3;
            const int bits = 8;
            // offset stores w + 128: 127 -> 255 (all ones); the others store |w| = 255.
            std::vector<std::int32_t> w(static_cast<std::size_t>(n * k), map == xb::mapping::offset ? 127 : 255);
            const std::vector<std::uint16_t> x(static_cast<std::size_t>(k), 0xFFF);
            auto plain = small_config(map, false, m, 2, bits, 1, 12);
            plain.adc_bits = xb::required_adc_bits(m, 2, 1, true);  // exact with flip, one short without
            CHECK(plain.adc_bits == plain.exact_adc_bits() - 1);
            auto flipped = plain;
            flipped.flip_encoding = true;
            CHECK(flipped.adc_bits == flipped.exact_adc_bits());
            std::vector<std::int64_t> y(static_cast<std::size_t>(n));
            const auto want = exact(w, n, k, x);
            finegrain::ref::crossbar_mvm(xb::program_weights(plain, matrix_view<const std::int32_t>(w.data(), n, k)), x.data(), y.data());
            INFO("mapping " << xb::to_string(map) << " m " << m);
            CHECK(y != want);
            finegrain::ref::crossbar_mvm(xb::program_weights(flipped, matrix_view<const std::int32_t>(w.data(), n, k)), x.data(), y.data());
            CHECK(y == want);
        }
}

TEST_CASE("crossbar: programs the polarized family's quantized format")
{
    const index_t k = 40, n = 6;
    std::mt19937 g(8);
    std::vector<float> wf(static_cast<std::size_t>(n * k));
    for (auto& v : wf) v = float(int(g() % 201) - 100) / 100.0f;
    finegrain::polarized::project(matrix_view<float>(wf.data(), n, k), 8);
    const auto pm = finegrain::polarized::pack(matrix_view<const float>(wf.data(), n, k), 8);
    const auto q = finegrain::polarized::quantize<std::uint8_t>(pm, 8, finegrain::polarized::scale_mode::per_layer);
    std::vector<std::int32_t> w(static_cast<std::size_t>(n * k));
    for (index_t o = 0; o < n; ++o)
        for (index_t i = 0; i < k; ++i) w[std::size_t(o * k + i)] = (q.negative(o, i / 8) ? -1 : 1) * q.magnitude(o, i);
    const auto x = random_inputs(k, 16, 9);
    for (index_t m : {4, 8}) {
        auto c = xb::forms(m);
        const auto p = xb::program_weights(c, q);
        std::vector<std::int64_t> y(static_cast<std::size_t>(n));
        finegrain::ref::crossbar_mvm(p, x.data(), y.data());
        CHECK(y == exact(w, n, k, x));
    }
    auto c16 = xb::forms(16);  // fragments of 16 rows hold two of the matrix's 8-row fragments
    const bool mixed = [&] {
        for (index_t o = 0; o < n; ++o)
            for (index_t f = 0; f + 1 < k / 8; f += 2)
                if (q.negative(o, f) != q.negative(o, f + 1)) return true;
        return false;
    }();
    REQUIRE(mixed);
    CHECK_THROWS_WITH_AS(xb::program_weights(c16, q), doctest::Contains("weights.fragment"), finegrain::error);
}

TEST_CASE("crossbar: polarized uses half the cells and crossbars of differential; offset adds unit columns")
{
    const index_t k = 300, n = 70;
    const auto w = random_weights(n, k, 8, 8, true, 3);
    auto pol = xb::forms(8);
    pol.flip_encoding = false;
    pol.adc_bits = pol.exact_adc_bits();
    auto diff = pol;
    diff.map = xb::mapping::differential;
    auto off = pol;
    off.map = xb::mapping::offset;
    off.weight_bits = 9;  // the same weights need a sign bit in two's complement
    const matrix_view<const std::int32_t> wv(w.data(), n, k);
    const auto gp = xb::program_weights(pol, wv).geo, gd = xb::program_weights(diff, wv).geo;
    CHECK(2 * gp.cells_used() == gd.cells_used());
    CHECK(2 * gp.crossbars() == gd.crossbars());
    CHECK(gp.cells_used() == k * n * 4);
    const auto go = xb::program_weights(off, wv).geo;
    CHECK(go.cells_used() == k * n * 5 + k * go.column_tiles);
}

TEST_CASE("crossbar: zero-skip cycle counts equal the hand-computed sums")
{
    // 4 fragments of 4 rows, 9-bit inputs, 1-bit DAC. ORs of the fragments: 0, 1, 5, 0x100.
    const std::vector<std::uint16_t> x = {0, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0, 4, 0x100, 0, 0, 0};
    const std::vector<std::int32_t> w(16 * 5, 3);
    auto c = small_config(xb::mapping::polarized, false, 4, 2, 4, 1, 9);
    const int leading = 0 + 1 + 3 + 9, all_zero = 0 + 1 + 2 + 1, none = 4 * 9;
    const int expect[] = {none, leading, all_zero};
    for (int s = 0; s < 3; ++s) {
        c.skip = xb::zero_skip(s);
        xb::layer l(c, matrix_view<const std::int32_t>(w.data(), 5, 16));
        std::vector<std::int64_t> y(5);
        l.mvm(x.data(), y.data());
        const auto& st = l.stats();
        const index_t X = l.geo().crossbars_per_row_tile();
        CHECK(X == 1);
        CHECK(st.cycles_run == expect[s]);
        CHECK(st.cycles_full == none);
        CHECK(st.conversions == expect[s] * 10);  // 5 outputs x 2 slices, no unit column
        CHECK(y == exact(w, 5, 16, x));
    }
    // DAC pulses: rows with a non-zero bit in each cycle run (leading): fragment 2 rows 9 (5) and
    // 11 (4): bit 0 -> 1 row, bit 1 -> 0, bit 2 -> 2 rows; fragment 1: 1; fragment 3: 1.
    c.skip = xb::zero_skip::leading;
    xb::layer l(c, matrix_view<const std::int32_t>(w.data(), 5, 16));
    l.count_only(x.data());
    CHECK(l.stats().dac_pulses == 1 + (1 + 0 + 2) + 1);
}

TEST_CASE("crossbar: DAC pulses equal the per-cycle row count for every DAC width and skip mode")
{
    int wrong = 0;
    for (unsigned x = 0; x < 65536; x += 7)
        for (int d = 1; d <= 4; ++d) {
            int want = 0;
            for (int t = 0; t * d < 16; ++t) want += ((x >> (t * d)) & ((1u << d) - 1u)) != 0;
            wrong += xb::nonzero_digits(x, d) != want;
        }
    CHECK(wrong == 0);
    CHECK(xb::nonzero_digits(0xFFFF, 3) == 6);
    const index_t k = 37, n = 3;
    const auto w = random_weights(n, k, 8, 4, false, 21);
    const auto x = random_inputs(k, 9, 22);
    for (int d = 1; d <= 4; ++d)
        for (int s = 0; s < 3; ++s) {
            auto c = small_config(xb::mapping::differential, false, 4, 2, 8, d, 9);
            c.skip = xb::zero_skip(s);
            xb::layer l(c, matrix_view<const std::int32_t>(w.data(), n, k));
            l.count_only(x.data());
            const auto& g = l.geo();
            std::int64_t pulses = 0;
            int cycles[16];
            for (index_t f = 0; f < g.fragments; ++f) {
                const index_t rows = g.rows_in_fragment(f);
                const int runs = finegrain::ref::crossbar_fragment_cycles(c, x.data() + f * 4, rows, cycles);
                for (int i = 0; i < runs; ++i)
                    for (index_t r = 0; r < rows; ++r) pulses += ((x[std::size_t(f * 4 + r)] >> (cycles[i] * d)) & ((1u << d) - 1u)) != 0;
            }
            INFO("d " << d << " skip " << s);
            CHECK(l.stats().dac_pulses == pulses * g.crossbars_per_row_tile());
            CHECK(l.stats().cell_reads == pulses * (g.columns + g.unit_columns * g.crossbars_per_row_tile()));
        }
}

TEST_CASE("crossbar: zero-skip counters from the bit statistics equal the reference's, every arch")
{
    // count_mvm decides the cycles through skip_stats (zeroskip::bit_stats_plan); the oracle is
    // ref::crossbar_fragment_cycles (one plain OR per fragment). K = 37: only m = 1 divides it.
    fgtest::for_each_runnable_arch([](auto arch) {
        const index_t k = 37, n = 3;
        for (int bits : {8, 16})
            for (index_t m : {1, 2, 4, 8, 16})
                for (int d : {1, 2, 4})
                    for (int s = 0; s < 3; ++s) {
                        auto c = small_config(xb::mapping::offset, false, m, 2, 8, d, bits);
                        c.skip = xb::zero_skip(s);
                        const xb::geometry g(c, k, n);
                        xb::skip_stats skip(c, g);
                        // avx512 takes avx2's 16-fragment path for m = 4, 8, 16 (bit_stats_plan)
                        const bool x16 = m == 4 || m == 8 || m == 16;
                        using finegrain::simd::arch_id;
                        const arch_id a = decltype(arch)::id;
                        CHECK(skip.arch() == (a == arch_id::avx512 && x16 ? arch_id::avx2 : a));
                        const index_t X = g.crossbars_per_row_tile();
                        for (std::uint32_t seed = 0; seed < 3; ++seed) {
                            // ReLU-like: half zeros, magnitudes of every bit length; seed 2 also
                            // zeroes the first two fragments and sets the top input bit.
                            auto x = random_inputs(k, bits, 300 + seed, 0.5);
                            if (seed == 2) {
                                for (index_t i = 0; i < 2 * m && i < k; ++i) x[std::size_t(i)] = 0;
                                x[std::size_t(k - 1)] = std::uint16_t(1u << (bits - 1));
                            }
                            skip.compute(x.data());
                            xb::counters got;
                            xb::count_mvm(c, g, skip, x.data(), got);
                            std::int64_t runs = 0, pulses = 0;
                            int wrong_lists = 0, want[16], list[16];
                            for (index_t f = 0; f < g.fragments; ++f) {
                                const index_t rows = g.rows_in_fragment(f);
                                const std::uint16_t* xf = x.data() + f * m;
                                const int r = finegrain::ref::crossbar_fragment_cycles(c, xf, rows, want);
                                runs += r;
                                for (int i = 0; i < r; ++i)
                                    for (index_t j = 0; j < rows; ++j) pulses += ((xf[j] >> (want[i] * d)) & ((1u << d) - 1u)) != 0;
                                const int got_runs = skip.cycles(f, xf, rows, list);
                                wrong_lists += got_runs != r || !std::equal(list, list + r, want) || skip.cycles_run(f, xf, rows) != r;
                            }
                            INFO("bits " << bits << " m " << m << " d " << d << " skip " << s << " seed " << seed);
                            CHECK(wrong_lists == 0);
                            CHECK(got.cycles_run == runs * X);
                            CHECK(got.cycles_full == g.fragments * c.input_cycles() * X);
                            CHECK(got.dac_pulses == pulses * X);
                            CHECK(got.conversions == runs * (g.columns + g.unit_columns * X));
                            if (s == 0) CHECK(runs == g.fragments * c.input_cycles());
                            if (s > 0 && seed == 2) CHECK(runs < g.fragments * c.input_cycles());  // the zero fragments skip
                        }
                    }
    });
    // The fast engine rejects statistics built for another geometry.
    const auto c = small_config(xb::mapping::offset, false, 4, 2, 8, 1, 8);
    const auto w = random_weights(3, 37, 8, 4, false, 31);
    const auto p = xb::program_weights(c, matrix_view<const std::int32_t>(w.data(), 3, 37));
    const xb::fast_engine engine(p);
    xb::skip_stats other(c, xb::geometry(c, 36, 3));
    const auto x = random_inputs(37, 8, 32);
    std::vector<std::int64_t> y(3);
    other.compute(x.data());
    CHECK_THROWS_WITH_AS(engine.mvm(x.data(), other, y.data()), doctest::Contains("skip"), finegrain::error);
}

TEST_CASE("crossbar: the pinned random stream (same on every platform)")
{
    xb::rng g(1);
    const std::uint64_t first = g.next();
    xb::rng h(1);
    CHECK(h.next() == first);
    CHECK(first == 0xB3F2AF6D0FC710C5ull);
    xb::rng n(42, 7);
    CHECK(n.normal() == doctest::Approx(0.892487018478).epsilon(1e-11));
}

TEST_CASE("crossbar: non-ideal runs are deterministic per seed and their error grows with sigma")
{
    const index_t k = 128, n = 32;
    const auto w = random_weights(n, k, 8, 8, true, 9, 0.0);
    std::vector<std::vector<std::uint16_t>> xs;
    for (std::uint32_t s = 0; s < 4; ++s) xs.push_back(random_inputs(k, 8, 50 + s, 0.3));
    auto run = [&](double sigma, double read, std::uint64_t seed, xb::engine e) {
        auto c = xb::forms(8);
        c.input_bits = 8;
        c.device.programming_sigma = sigma;
        c.device.read_sigma = read;
        c.device.seed = seed;
        xb::layer l(c, matrix_view<const std::int32_t>(w.data(), n, k), e);
        std::vector<std::int64_t> all;
        for (const auto& x : xs) {
            std::vector<std::int64_t> y(static_cast<std::size_t>(n));
            l.mvm(x.data(), y.data());
            all.insert(all.end(), y.begin(), y.end());
        }
        return all;
    };
    std::vector<std::int64_t> want;
    for (const auto& x : xs) {
        const auto y = exact(w, n, k, x);
        want.insert(want.end(), y.begin(), y.end());
    }
    auto error = [&](const std::vector<std::int64_t>& y) {
        double e = 0;
        for (std::size_t i = 0; i < y.size(); ++i) e += std::fabs(double(y[i] - want[i]));
        return e / double(y.size());
    };
    CHECK(run(0.1, 0.0, 3, xb::engine::automatic) == run(0.1, 0.0, 3, xb::engine::automatic));
    CHECK(run(0.1, 0.0, 3, xb::engine::automatic) != run(0.1, 0.0, 4, xb::engine::automatic));
    CHECK(run(0.0, 0.05, 3, xb::engine::reference) == run(0.0, 0.05, 3, xb::engine::reference));
    CHECK(run(0.0, 0.05, 3, xb::engine::reference) != run(0.0, 0.05, 4, xb::engine::reference));
    double previous = 0.0;
    for (double sigma : {0.0, 0.1, 0.2, 0.4}) {
        const double e = error(run(sigma, 0.0, 11, xb::engine::automatic));
        INFO("sigma " << sigma << " mean abs error " << e);
        if (sigma == 0.0) CHECK(e == 0.0);
        else CHECK(e > previous);
        previous = e;
    }
    CHECK(error(run(0.0, 0.1, 11, xb::engine::reference)) > error(run(0.0, 0.02, 11, xb::engine::reference)));
}

TEST_CASE("crossbar: fast path equals the reference bit for bit, every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const xb::mapping maps[] = {xb::mapping::differential, xb::mapping::offset, xb::mapping::polarized};
        std::uint32_t seed = 7;
        for (xb::mapping map : maps)
            for (index_t m : {1, 4, 8, 16})
                for (int dac_bits : {1, 2, 3})
                    for (int variant = 0; variant < 3; ++variant) {
                        auto c = small_config(map, (seed & 1) != 0, m, 2, 7, dac_bits, 9);
                        c.skip = xb::zero_skip(seed % 3);
                        c.range = xb::adc_range(variant);
                        c.adc_bits = std::max(1, c.exact_adc_bits() - (variant == 0 ? 0 : 1));  // full_scale / saturating lose a bit
                        if (variant == 2) {  // static non-idealities: fixed-point levels, i32 lanes
                            c.device.programming_sigma = 0.15;
                            c.device.stuck_on_rate = 0.02;
                            c.device.stuck_off_rate = 0.02;
                            c.device.seed = seed;
                        }
                        const index_t k = 7 + index_t(seed * 11 % 50), n = 1 + index_t(seed * 3 % 17);
                        const auto w = random_weights(n, k, map == xb::mapping::offset ? 7 : 8, m,
                                                      map == xb::mapping::polarized, seed);
                        const auto x = random_inputs(k, 9, seed + 1);
                        const auto p = xb::program_weights(c, matrix_view<const std::int32_t>(w.data(), n, k));
                        // tables kept (default budget) on even seeds, rebuilt per MVM on odd ones
                        xb::fast_engine fast(p, seed % 2 ? 0 : xb::fast_engine::default_table_budget);
                        CHECK(fast.arch() == A::id);
                        CHECK(fast.tables_prebuilt() == (seed % 2 == 0));
                        std::vector<std::int64_t> y(static_cast<std::size_t>(n)), r(static_cast<std::size_t>(n));
                        fast.mvm(x.data(), y.data());
                        finegrain::ref::crossbar_mvm(p, x.data(), r.data());
                        INFO(std::string(fast.kernel_name()) << " mapping " << xb::to_string(map) << " m " << m << " d " << dac_bits
                                                << " variant " << variant << " K " << k << " N " << n);
                        CHECK(y == r);
                        ++seed;
                    }
        // Real size: one ResNet-18 3x3 row (K = 1152) under FORMS (u8 lanes) and ISAAC-like m = 128 (u8x2 lanes).
        for (index_t m : {8, 128}) {
            auto c = xb::forms(m == 128 ? 8 : m);
            c.fragment_rows = m;
            c.adc_bits = c.exact_adc_bits() - 1;
            c.range = xb::adc_range::saturating;
            const index_t k = 1152, n = 16;
            const auto w = random_weights(n, k, 9, m, true, 77);
            const auto x = random_inputs(k, 16, 78);
            const auto p = xb::program_weights(c, matrix_view<const std::int32_t>(w.data(), n, k));
            xb::fast_engine fast(p);
            std::vector<std::int64_t> y(static_cast<std::size_t>(n)), r(static_cast<std::size_t>(n));
            fast.mvm(x.data(), y.data());
            finegrain::ref::crossbar_mvm(p, x.data(), r.data());
            INFO(std::string(fast.kernel_name()));
            CHECK(y == r);
        }
    });
}

TEST_CASE("crossbar: fragments split into two byte-sum halves (u8x2) equal the reference, every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        const xb::mapping maps[] = {xb::mapping::differential, xb::mapping::offset, xb::mapping::polarized};
        std::uint32_t seed = 101;
        for (xb::mapping map : maps)
            for (const auto& md : {std::pair<index_t, int>{32, 2}, {48, 2}, {128, 1}})
                for (index_t k : {150, 300}) {  // 300: the last fragment is partial
                    auto c = small_config(map, (seed & 1) != 0, md.first, 2, 8, md.second, 9);
                    c.rows = md.first == 48 ? 96 : 128;
                    c.cols = 64;
                    c.skip = xb::zero_skip(seed % 3);
                    c.adc_bits = c.exact_adc_bits() - int(seed % 2);  // saturating one bit short, or exact
                    const index_t n = 1 + index_t(seed * 7 % 23);
                    const auto w = random_weights(n, k, map == xb::mapping::offset ? 7 : 8, md.first,
                                                  map == xb::mapping::polarized, seed);
                    const auto x = random_inputs(k, 9, seed + 1, 0.2);
                    const auto p = xb::program_weights(c, matrix_view<const std::int32_t>(w.data(), n, k));
                    std::vector<std::int64_t> y(static_cast<std::size_t>(n)), r(static_cast<std::size_t>(n));
                    finegrain::ref::crossbar_mvm(p, x.data(), r.data());
                    for (index_t budget : {index_t(0), xb::fast_engine::default_table_budget}) {  // tables per MVM / kept
                        xb::fast_engine fast(p, budget);
                        CHECK(fast.arch() == A::id);
                        CHECK(fast.tables_prebuilt() == (budget > 0));
                        INFO(std::string(fast.kernel_name()) << " mapping " << xb::to_string(map) << " m " << md.first
                                                             << " d " << md.second << " K " << k << " N " << n << " budget " << budget);
                        CHECK(std::string(fast.kernel_name()).rfind("u8x2_", 0) == 0);
                        fast.mvm(x.data(), y.data());
                        CHECK(y == r);
                    }
                    ++seed;
                }
    });
}

TEST_CASE("crossbar: several column blocks with a partial last one equal the reference, every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 201;
        for (index_t m : {4, 8, 16})
            for (int dac_bits : {1, 2}) {
                auto c = small_config(xb::mapping::polarized, false, m, 2, 8, dac_bits, 9);
                c.skip = xb::zero_skip(seed % 3);
                const index_t k = 40, n = 70;  // 280 weight columns: blocks of 256 or 128 columns + a partial one
                const auto w = random_weights(n, k, 8, m, true, seed);
                const auto x = random_inputs(k, 9, seed + 1);
                const auto p = xb::program_weights(c, matrix_view<const std::int32_t>(w.data(), n, k));
                std::vector<std::int64_t> y(static_cast<std::size_t>(n)), r(static_cast<std::size_t>(n));
                finegrain::ref::crossbar_mvm(p, x.data(), r.data());
                CHECK(r == exact(w, n, k, x));
                for (index_t budget : {index_t(0), xb::fast_engine::default_table_budget}) {  // tables per MVM / kept
                    xb::fast_engine fast(p, budget);
                    CHECK(fast.arch() == A::id);
                    CHECK(fast.tables_prebuilt() == (budget > 0));
                    INFO(std::string(fast.kernel_name()) << " m " << m << " d " << dac_bits << " budget " << budget);
                    fast.mvm(x.data(), y.data());
                    CHECK(y == r);
                    fast.mvm(x.data(), y.data());  // a second MVM: tables kept (or rebuilt) unchanged
                    CHECK(y == r);
                }
                ++seed;
            }
    });
}

TEST_CASE("crossbar: exact integer GEMV kernel, every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        for (index_t k : {1, 2, 3, 17, 64, 600})
            for (index_t n : {1, 5, 33, 70})
                for (int bits : {8, 16}) {
                    std::mt19937 g(unsigned(k * 131 + n));
                    std::vector<std::int32_t> w(static_cast<std::size_t>(n * k));
                    for (auto& v : w) v = int(g() % 65535) - 32767;
                    std::vector<std::uint16_t> x(static_cast<std::size_t>(k));
                    for (auto& v : x) v = std::uint16_t(g() & ((1u << bits) - 1u));
                    if (k == 600) {  // extremes: largest weights and inputs
                        for (auto& v : w) v = 32767;
                        for (auto& v : x) v = std::uint16_t((1u << bits) - 1u);
                    }
                    xb::exact_gemv_plan plan(matrix_view<const std::int32_t>(w.data(), n, k), bits);
                    CHECK(plan.arch() == A::id);
                    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
                    plan.run(x.data(), y.data());
                    INFO(std::string(plan.kernel_name()) << " K " << k << " N " << n);
                    CHECK(y == exact(w, n, k, x));
                }
    });
}

TEST_CASE("crossbar: conv layers through im2col, both unroll orders")
{
    const auto s = finegrain::conv2d_shape::square(1, 5, 6, 7, 3, 2, 1);
    std::mt19937 g(5);
    std::vector<std::int32_t> w(static_cast<std::size_t>(s.weight_dims().size()));
    for (auto& v : w) v = int(g() % 255) - 127;
    std::vector<std::uint16_t> in(static_cast<std::size_t>(s.input_dims().size()));
    for (auto& v : in) v = g() % 3 ? std::uint16_t(g() & 0xFFF) : 0;
    // the exact integer conv
    std::vector<std::int64_t> want(static_cast<std::size_t>(s.output_dims().size()));
    const finegrain::tensor4_view<const std::uint16_t> iv(in.data(), s.input_dims());
    for (index_t o = 0; o < s.out_channels; ++o)
        for (index_t y = 0; y < s.out_height(); ++y)
            for (index_t x = 0; x < s.out_width(); ++x) {
                std::int64_t acc = 0;
                for (index_t c = 0; c < s.in_channels; ++c)
                    for (index_t i = 0; i < 3; ++i)
                        for (index_t j = 0; j < 3; ++j) {
                            const index_t yy = y * 2 + i - 1, xx = x * 2 + j - 1;
                            if (yy < 0 || yy >= s.in_height || xx < 0 || xx >= s.in_width) continue;
                            acc += std::int64_t(w[std::size_t(((o * 5 + c) * 3 + i) * 3 + j)]) * iv(0, c, yy, xx);
                        }
                want[std::size_t((o * s.out_height() + y) * s.out_width() + x)] = acc;
            }
    for (auto order : {xb::unroll_order::channel_major, xb::unroll_order::kernel_position_major})
        for (auto e : {xb::engine::reference, xb::engine::fast}) {
            auto c = xb::isaac();
            c.rows = c.cols = 32;
            c.fragment_rows = 16;
            c.weight_bits = 8;
            c.input_bits = 12;
            c.adc_bits = c.exact_adc_bits();
            xb::layer l(c, s, w.data(), order, e);
            std::vector<std::int64_t> out(want.size());
            l.forward(iv, finegrain::tensor4_view<std::int64_t>(out.data(), s.output_dims()));
            INFO(xb::to_string(order) << " " << l.engine_name());
            CHECK(out == want);
            CHECK(l.stats().mvms == s.out_height() * s.out_width());
            CHECK(l.geo().row_tiles == 2);  // K = 45 on 32-row crossbars
        }
}

TEST_CASE("crossbar: cost report")
{
    const index_t k = 256, n = 64;
    const auto w = random_weights(n, k, 8, 8, true, 21);
    const auto x = random_inputs(k, 16, 22);
    std::vector<xb::cost_report> rows;
    for (const auto& cfg : {xb::isaac(), xb::forms(8)}) {
        auto c = cfg;
        c.weight_bits = 8;
        c.adc_bits = c.exact_adc_bits();
        xb::layer l(c, matrix_view<const std::int32_t>(w.data(), n, k));
        std::vector<std::int64_t> y(static_cast<std::size_t>(n));
        l.mvm(x.data(), y.data());
        CHECK(y == exact(w, n, k, x));
        const auto r = xb::evaluate_cost("fc", c, l.geo(), l.stats());
        CHECK(r.ops == 2.0 * double(k * n));
        CHECK(r.e_adc == doctest::Approx(double(l.stats().conversions) * xb::adc_energy_pj(c.costs, c.adc_bits)));
        CHECK(r.energy_pj() > r.e_adc);
        CHECK(r.gops_per_w() > 0.0);
        if (c.name == "isaac") CHECK(r.time_ns() == doctest::Approx(1600.0));  // 16 cycles of 100 ns, ADC keeps up
        rows.push_back(r);
    }
    CHECK(xb::adc_energy_pj(xb::forms(8).costs, 4) == doctest::Approx(0.22619));
    CHECK(xb::adc_energy_pj(xb::isaac().costs, 8) == doctest::Approx(1.667));
    CHECK(rows[1].events.cycles_saved() > 0.0);  // FORMS skips leading zeros, ISAAC does not
    CHECK(rows[0].events.cycles_saved() == 0.0);
    rows.push_back(xb::total_cost(rows, xb::isaac()));
    std::ostringstream table, json;
    xb::write_table(table, rows);
    xb::write_json(json, rows);
    CHECK(table.str().find("forms8") != std::string::npos);
    CHECK(json.str().find("\"conversions\": ") != std::string::npos);
    CHECK(json.str().find("\"gops_per_w\"") != std::string::npos);
}
