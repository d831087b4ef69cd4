// SPDX-License-Identifier: BSD-3-Clause
// block_compare: block-sparse plans and the dense baselines timed round-robin in one process,
// layer by layer; reports median per-round speed ratios (bench/RESULTS.md, block section).
//
//   block_compare --set conv1x1|fc|punched [--threads T] [--layers REGEX] [--configs 8x1@90,...]
//                 [--samples N] [--min-time S] [--sample-time S] [--max-time S] [--cold]
//                 [--json FILE] [--smoke]
//
// Per layer: oneDNN (direct conv / inner product, when found), finegrain dense (and OpenBLAS for
// fc), one block plan per configuration (block_cases.hpp; default: 1x1, 4x1, 1x4, 8x1, 4x4 at
// 50/70/80/90/95%, punched 8x4/4x4/16x4 at 8x compression), and for conv1x1 XNNPACK's sparse
// 1x1 conv on the weights of every 1x1-block configuration ("xnn1x1@90", when CMake found
// libxnnpack-dev; bench/block_xnnpack.hpp). Each is checked once against
// double-precision reference values. Then rounds: every candidate and an FMA canary take one
// sample per round in a rotated order (wait for idle threads, one warm-up call, `reps` timed
// calls; with --cold: a 64 MB buffer is written before each single timed call, so weights come
// from DRAM as in a network at batch 1). Reported per configuration: median ms, useful GFLOP/s,
// dense-equivalent GFLOP/s, x_dnnl = median over rounds of t_dnnl / t_sparse, x_dense = the
// same against the fastest dense candidate of each round.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "block_cases.hpp"
#if FINEGRAIN_BENCH_HAVE_XNNPACK
#include "block_xnnpack.hpp"
#endif
#include "support/timing.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

struct options {
    block_set set = block_set::conv1x1;
    int threads = 1;
    std::string layers = ".*";
    std::vector<std::string> configs;  // empty = defaults of the set
    int samples = 7;
    double min_time = 0.3, sample_time = 0.03, max_time = 30;
    bool cold = false;
    std::string json;
    bool smoke = false;
};

[[noreturn]] void usage(const std::string& error)
{
    std::fprintf(stderr,
                 "block_compare: %s\nusage: block_compare --set conv1x1|fc|punched [--threads T] [--layers REGEX] "
                 "[--configs 8x1@90,...] [--samples N] [--min-time S] [--sample-time S] [--max-time S] [--cold] "
                 "[--json FILE] [--smoke]\n",
                 error.c_str());
    std::exit(1);
}

block_config parse_config(const std::string& s)
{
    int r = 0, c = 0, sp = 0;
    if (std::sscanf(s.c_str(), "%dx%d@%d", &r, &c, &sp) != 3) usage("bad config " + s + " (want RxC@PERCENT)");
    block_config cfg;
    cfg.shape = {r, c};
    cfg.sparsity = sp / 100.0;
    return cfg;
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        auto number = [&]() {
            const std::string v = value();
            char* end = nullptr;
            const double d = std::strtod(v.c_str(), &end);
            if (*end != '\0' || !(d >= 0)) usage("bad value for " + a + ": " + v);
            return d;
        };
        if (a == "--set") {
            const std::string v = value();
            if (v == "conv1x1") o.set = block_set::conv1x1;
            else if (v == "fc") o.set = block_set::fc;
            else if (v == "punched") o.set = block_set::punched;
            else usage("unknown set " + v);
        } else if (a == "--threads") o.threads = std::max(1, int(number()));
        else if (a == "--layers") o.layers = value();
        else if (a == "--configs") {
            std::stringstream in(value());
            for (std::string item; std::getline(in, item, ',');)
                if (!item.empty()) o.configs.push_back(item);
        } else if (a == "--samples") o.samples = std::max(1, int(number()));
        else if (a == "--min-time") o.min_time = number();
        else if (a == "--sample-time") o.sample_time = number();
        else if (a == "--max-time") o.max_time = number();
        else if (a == "--cold") o.cold = true;
        else if (a == "--json") o.json = value();
        else if (a == "--smoke") o.smoke = true;
        else usage("unknown argument " + a);
    }
    if (o.smoke) {
        o.samples = 3;
        o.min_time = 0;
        o.sample_time = 0.001;
    }
    return o;
}

double median(std::vector<double> v)
{
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// Writes a buffer larger than the L3 so the next call finds its weights in DRAM.
void flush_caches()
{
    static std::vector<char> junk(std::size_t(64) << 20);
    static char tick = 0;
    ++tick;
    for (std::size_t i = 0; i < junk.size(); i += 64) junk[i] = tick;
}

struct candidate {
    std::string name, label;
    std::unique_ptr<bench_case> impl;
    const block_weights* weights = nullptr;  // null for the dense baselines
    long reps = 1;
    std::vector<double> samples;
    double timed = 0;
};

struct row {
    std::string layer, config, label;
    double ms = 0, useful_gflops = 0, eff_gflops = 0, x_dnnl = 0, x_dense = 0, retained = 0, density = 0;
    double dnnl_ms = 0, dense_ms = 0, canary = 0, weight_mb = 0;
    int threads = 1;
};

// One pool for every block plan of the process (null at 1 thread).
executor* shared_pool(int threads)
{
    static std::unique_ptr<thread_pool> pool;
    if (threads <= 1) return nullptr;
    if (!pool) pool.reset(new thread_pool(std::size_t(threads)));
    return pool.get();
}

#if FINEGRAIN_BENCH_HAVE_XNNPACK
// XNNPACK's sparse 1x1 conv on the weights of an unstructured configuration ("xnn1x1@90"),
// checked like the block plans; a refusal is reported and the candidate left out.
void add_xnnpack(const problem& p, const options& o, const block_weights* w, std::vector<candidate>& cands, bool& ok)
{
    candidate c;
    c.name = "xnn" + w->cfg.name();
    c.weights = w;
    try {
        c.impl.reset(new xnnpack_sparse_case(p, *w, o.threads));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s %s: %s\n", p.spec.layer().c_str(), c.name.c_str(), e.what());
        return;
    }
    c.label = c.impl->label();
    c.impl->run();
    const check_result chk = check_spots(c.impl->output(), w->spots, w->tolerance);
    if (!chk.ok) {
        std::fprintf(stderr, "%s %s: %s\n", p.spec.layer().c_str(), c.name.c_str(), chk.message.c_str());
        ok = false;
        return;
    }
    cands.push_back(std::move(c));
}
#endif

std::vector<row> measure_layer(const problem_spec& spec, const options& o, bool& ok)
{
    problem p(spec);
    const double dense_flops = spec.flops();
    std::vector<std::unique_ptr<block_weights>> weights;
    std::vector<candidate> cands;
    bool have_dnnl = false;
    for (const std::string& impl : block_baselines(o.set)) {
        candidate c;
        c.name = impl;
        c.impl = make_case(p, impl, o.threads);
        c.label = c.impl->label();
        const check_result chk = check_case(p, *c.impl, impl);
        if (!chk.ok) {
            std::fprintf(stderr, "%s %s: %s\n", spec.layer().c_str(), impl.c_str(), chk.message.c_str());
            ok = false;
            continue;
        }
        have_dnnl = have_dnnl || impl.rfind("dnnl", 0) == 0;
        cands.push_back(std::move(c));
    }
    const std::size_t dense_count = cands.size();
    std::vector<block_config> cfgs;
    if (o.configs.empty()) cfgs = default_block_configs(o.set);
    for (const std::string& s : o.configs) cfgs.push_back(parse_config(s));
    for (const block_config& cfg : cfgs) {
        weights.emplace_back(new block_weights(p, o.set, cfg));
        candidate c;
        c.name = cfg.name();
        c.weights = weights.back().get();
        c.impl.reset(new block_case(p, o.set, *c.weights, o.threads, shared_pool(o.threads)));
        c.label = c.impl->label();
        c.impl->run();
        const check_result chk = check_spots(c.impl->output(), c.weights->spots, c.weights->tolerance);
        if (!chk.ok) {
            std::fprintf(stderr, "%s %s: %s\n", spec.layer().c_str(), c.name.c_str(), chk.message.c_str());
            ok = false;
            continue;
        }
        cands.push_back(std::move(c));
#if FINEGRAIN_BENCH_HAVE_XNNPACK
        if (o.set == block_set::conv1x1 && cfg.shape.r == 1 && cfg.shape.c == 1) add_xnnpack(p, o, weights.back().get(), cands, ok);
#endif
    }
    for (candidate& c : cands) {  // calls per sample
        wait_for_idle_threads();
        c.impl->prepare();
        c.impl->run();
        const double t0 = now_seconds();
        c.impl->run();
        const double once = std::max(1e-7, now_seconds() - t0);
        c.reps = o.cold ? 1 : std::max(1L, std::min(100000L, long(std::ceil(o.sample_time / once))));
    }
    std::vector<double> canary;
    const std::size_t slots = cands.size() + 1;
    const double start = now_seconds();
    for (int round = 0;; ++round) {
        for (std::size_t s = 0; s < slots; ++s) {
            const std::size_t idx = (s + std::size_t(round)) % slots;
            wait_for_idle_threads();
            if (idx == cands.size()) {
                canary.push_back(canary_flops(o.threads, std::min(0.01, o.sample_time)));
                continue;
            }
            candidate& c = cands[idx];
            c.impl->prepare();
            if (o.cold) {
                flush_caches();
            } else {
                c.impl->run();
            }
            const double t0 = now_seconds();
            for (long r = 0; r < c.reps; ++r) c.impl->run();
            const double dt = now_seconds() - t0;
            c.samples.push_back(dt / double(c.reps));
            c.timed += dt;
        }
        bool enough = true;
        for (const candidate& c : cands) enough = enough && int(c.samples.size()) >= o.samples && c.timed >= o.min_time;
        if (enough || (round >= 2 && now_seconds() - start > o.max_time)) break;
    }

    std::vector<row> rows;
    for (std::size_t i = dense_count; i < cands.size(); ++i) {
        const candidate& c = cands[i];
        row r;
        r.layer = spec.layer();
        r.config = c.name;
        r.label = c.label;
        r.threads = o.threads;
        r.ms = median(c.samples) * 1e3;
        r.useful_gflops = c.weights->useful_flops / r.ms * 1e-6;
        r.eff_gflops = dense_flops / r.ms * 1e-6;
        r.retained = c.weights->retained_energy;
        r.density = c.weights->density;
        r.weight_mb = double(c.weights->packed_bytes) / 1e6;
        std::vector<double> vs_dnnl, vs_dense;
        for (std::size_t k = 0; k < c.samples.size(); ++k) {
            double best = std::numeric_limits<double>::infinity();
            for (std::size_t d = 0; d < dense_count; ++d)
                if (k < cands[d].samples.size()) best = std::min(best, cands[d].samples[k]);
            vs_dense.push_back(best / c.samples[k]);
            if (have_dnnl && k < cands[0].samples.size()) vs_dnnl.push_back(cands[0].samples[k] / c.samples[k]);
        }
        r.x_dnnl = have_dnnl ? median(vs_dnnl) : std::numeric_limits<double>::quiet_NaN();
        r.x_dense = median(vs_dense);
        r.dnnl_ms = have_dnnl ? median(cands[0].samples) * 1e3 : std::numeric_limits<double>::quiet_NaN();
        r.dense_ms = median(cands[dense_count - 1].samples) * 1e3;
        r.canary = median(canary) * 1e-9;
        rows.push_back(r);
    }
    std::printf("%-13s t%d%s  dnnl %8.3f ms (%s)", spec.layer().c_str(), o.threads, o.cold ? " cold" : "",
                have_dnnl ? median(cands[0].samples) * 1e3 : 0.0, have_dnnl ? cands[0].label.c_str() : "-");
    for (std::size_t d = have_dnnl ? 1 : 0; d < dense_count; ++d)
        std::printf("  %s %8.3f ms", cands[d].name.c_str(), median(cands[d].samples) * 1e3);
    std::printf("  canary %.0f GF/s\n", median(canary) * 1e-9);
    for (const row& r : rows)
        std::printf("   %-8s %-34s %8.3f ms  useful %6.1f GF/s  eff %7.1f GF/s  x_dnnl %6.2f  x_dense %6.2f  "
                    "energy %.2f  %.2f MB\n",
                    r.config.c_str(), r.label.c_str(), r.ms, r.useful_gflops, r.eff_gflops, r.x_dnnl, r.x_dense,
                    r.retained, r.weight_mb);
    std::fflush(stdout);
    return rows;
}

void write_json(const std::string& path, const std::vector<row>& rows, const options& o)
{
    std::ofstream f(path);
    f << "{\n  \"context\": {";
    bool first = true;
    for (const auto& kv : machine_context()) {
        f << (first ? "\n" : ",\n") << "    \"" << kv.first << "\": \"" << kv.second << "\"";
        first = false;
    }
    f << "\n  },\n  \"set\": \"" << block_set_name(o.set) << "\", \"cold\": " << (o.cold ? "true" : "false")
      << ",\n  \"rows\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const row& r = rows[i];
        f << (i ? "," : "") << "\n    {\"layer\": \"" << r.layer << "\", \"config\": \"" << r.config << "\", \"kernel\": \""
          << r.label << "\", \"threads\": " << r.threads << ", \"ms\": " << r.ms << ", \"useful_gflops\": " << r.useful_gflops
          << ", \"eff_gflops\": " << r.eff_gflops << ", \"x_dnnl\": " << (std::isnan(r.x_dnnl) ? 0.0 : r.x_dnnl)
          << ", \"x_dense\": " << r.x_dense << ", \"dnnl_ms\": " << (std::isnan(r.dnnl_ms) ? 0.0 : r.dnnl_ms)
          << ", \"dense_ms\": " << r.dense_ms << ", \"canary_gflops\": " << r.canary
          << ", \"retained_energy\": " << r.retained << ", \"density\": " << r.density << ", \"weight_mb\": " << r.weight_mb
          << "}";
    }
    f << "\n  ]\n}\n";
}

} // namespace

int main(int argc, char** argv)
{
    select_openblas_core(argv);
    const options o = parse(argc, argv);
    record_dispatch();
    bool ok = true;
    std::vector<row> rows;
    try {
        std::vector<problem_spec> specs;
        if (o.smoke) {
            specs.push_back(o.set == block_set::fc ? fc_spec(fc_layer{"tiny_b1", 72, 24, 1})
                                                   : conv_spec(family::dense, conv_layer{"tiny", 16, 32, 12, 12,
                                                                                         o.set == block_set::punched ? 3 : 1, 1,
                                                                                         o.set == block_set::punched ? 1 : 0}));
        } else {
            specs = block_problem_specs(o.set, o.layers);
        }
        for (const auto& kv : machine_context()) std::printf("# %s: %s\n", kv.first.c_str(), kv.second.c_str());
        for (const problem_spec& s : specs) {
            const std::vector<row> r = measure_layer(s, o, ok);
            rows.insert(rows.end(), r.begin(), r.end());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "block_compare: %s\n", e.what());
        return 1;
    }
    if (!o.json.empty()) write_json(o.json, rows, o);
    return ok ? 0 : 2;
}
