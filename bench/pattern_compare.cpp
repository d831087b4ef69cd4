// SPDX-License-Identifier: BSD-3-Clause
// pattern_compare: the pattern-sparse 3x3 conv plans and the dense baselines timed round-robin
// in one process, layer by layer; reports median per-round speed ratios (bench/RESULTS.md).
//
//   pattern_compare [--threads T] [--layers REGEX] [--configs c8_g1,c4_g16,...] [--samples N]
//                   [--min-time S] [--sample-time S] [--max-time S] [--json FILE] [--smoke]
//
// Per layer, candidates: oneDNN direct conv (dnnl_conv, when found), finegrain's dense conv
// (im2col + GEMM) and one pattern plan per configuration (pattern_cases.hpp). Each is checked
// once against double-precision reference values. Then rounds: every candidate and an FMA
// canary take one sample per round in a rotated order (a sample = wait for idle threads, one
// warm-up call, `reps` timed calls). Reported per configuration: median ms, useful GFLOP/s,
// dense-equivalent GFLOP/s, x_dnnl = median over rounds of t_dnnl / t_pattern, x_dense = the
// same against the faster dense candidate of each round. Tuning knobs come from
// FINEGRAIN_PATTERN_{NF,V,CB,TV} (see pattern_cases.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "pattern_cases.hpp"
#include "support/timing.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

struct options {
    int threads = 1;
    std::string layers = ".*";
    std::vector<std::string> configs;  // empty = all
    int samples = 7;
    double min_time = 0.3, sample_time = 0.03, max_time = 30;
    std::string json;
    bool smoke = false;
};

[[noreturn]] void usage(const std::string& error)
{
    std::fprintf(stderr, "pattern_compare: %s\nusage: pattern_compare [--threads T] [--layers REGEX] [--configs LIST] "
                         "[--samples N] [--min-time S] [--sample-time S] [--max-time S] [--json FILE] [--smoke]\n",
                 error.c_str());
    std::exit(1);
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
        if (a == "--threads") o.threads = std::max(1, int(number()));
        else if (a == "--layers") o.layers = value();
        else if (a == "--configs") {
            std::stringstream in(value());
            for (std::string item; std::getline(in, item, ',');)
                if (!item.empty()) o.configs.push_back(item);
        } else if (a == "--samples") o.samples = std::max(1, int(number()));
        else if (a == "--min-time") o.min_time = number();
        else if (a == "--sample-time") o.sample_time = number();
        else if (a == "--max-time") o.max_time = number();
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

struct candidate {
    std::string name, label;
    std::unique_ptr<bench_case> impl;
    const pattern_weights* weights = nullptr;  // null for the dense baselines
    long reps = 1;
    std::vector<double> samples;
    double timed = 0;
};

struct row {
    std::string layer, config, label;
    double ms = 0, useful_gflops = 0, eff_gflops = 0, x_dnnl = 0, x_dense = 0, retained = 0, memory_ratio = 0;
    double dnnl_ms = 0, dense_ms = 0, canary = 0;
    int threads = 1;
};

std::vector<row> measure_layer(const conv_layer& layer, const options& o, bool& ok)
{
    problem p(conv_spec(family::dense, layer));
    const conv2d_shape shape = layer.shape();
    const double dense_flops = shape.flops();
    std::vector<std::unique_ptr<pattern_weights>> weights;
    std::vector<candidate> cands;
    auto add_dense = [&](const std::string& impl) {
        candidate c;
        c.name = impl;
        c.impl = make_case(p, impl, o.threads);
        c.label = c.impl->label();
        const check_result chk = check_case(p, *c.impl, impl);
        if (!chk.ok) {
            std::fprintf(stderr, "%s %s: %s\n", layer.name.c_str(), impl.c_str(), chk.message.c_str());
            ok = false;
            return;
        }
        cands.push_back(std::move(c));
    };
#if FINEGRAIN_BENCH_HAVE_DNNL
    add_dense("dnnl_conv");
#endif
    add_dense("finegrain_conv");
    const std::size_t dense_count = cands.size();
    for (const pattern_config& cfg : pattern_configs()) {
        if (!o.configs.empty() && std::find(o.configs.begin(), o.configs.end(), cfg.name()) == o.configs.end()) continue;
        weights.emplace_back(new pattern_weights(p, cfg));
        candidate c;
        c.name = cfg.name();
        c.weights = weights.back().get();
        c.impl.reset(new pattern_case(p, *c.weights, o.threads, pattern_tuning_from_env()));
        c.label = c.impl->label();
        c.impl->run();
        const check_result chk = check_spots(c.impl->output(), c.weights->spots, c.weights->tolerance);
        if (!chk.ok) {
            std::fprintf(stderr, "%s %s: %s\n", layer.name.c_str(), c.name.c_str(), chk.message.c_str());
            ok = false;
            continue;
        }
        cands.push_back(std::move(c));
    }
    for (candidate& c : cands) {  // calls per sample
        wait_for_idle_threads();
        c.impl->prepare();
        c.impl->run();
        const double t0 = now_seconds();
        c.impl->run();
        const double once = std::max(1e-7, now_seconds() - t0);
        c.reps = std::max(1L, std::min(100000L, long(std::ceil(o.sample_time / once))));
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
            c.impl->run();
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
    const bool have_dnnl = dense_count == 2;
    for (std::size_t i = dense_count; i < cands.size(); ++i) {
        const candidate& c = cands[i];
        row r;
        r.layer = layer.name;
        r.config = c.name;
        r.label = c.label;
        r.threads = o.threads;
        r.ms = median(c.samples) * 1e3;
        r.useful_gflops = c.weights->useful_flops / r.ms * 1e-6;
        r.eff_gflops = dense_flops / r.ms * 1e-6;
        r.retained = c.weights->retained_energy;
        r.memory_ratio = c.weights->packed.memory().ratio();
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
    std::printf("%-12s t%d  dnnl %8.3f ms (%s)  finegrain dense %8.3f ms  canary %.0f GF/s\n", layer.name.c_str(),
                o.threads, rows.empty() ? 0.0 : rows[0].dnnl_ms, dense_count == 2 ? cands[0].label.c_str() : "-",
                rows.empty() ? 0.0 : rows[0].dense_ms, median(canary) * 1e-9);
    for (const row& r : rows)
        std::printf("   %-9s %-36s %8.3f ms  useful %6.1f GF/s  eff %7.1f GF/s  x_dnnl %5.2f  x_dense %5.2f  "
                    "energy %.2f  bytes %.3f\n",
                    r.config.c_str(), r.label.c_str(), r.ms, r.useful_gflops, r.eff_gflops, r.x_dnnl, r.x_dense,
                    r.retained, r.memory_ratio);
    std::fflush(stdout);
    return rows;
}

void write_json(const std::string& path, const std::vector<row>& rows)
{
    std::ofstream f(path);
    f << "{\n  \"context\": {";
    bool first = true;
    for (const auto& kv : machine_context()) {
        f << (first ? "\n" : ",\n") << "    \"" << kv.first << "\": \"" << kv.second << "\"";
        first = false;
    }
    f << "\n  },\n  \"rows\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const row& r = rows[i];
        f << (i ? "," : "") << "\n    {\"layer\": \"" << r.layer << "\", \"config\": \"" << r.config << "\", \"kernel\": \""
          << r.label << "\", \"threads\": " << r.threads << ", \"ms\": " << r.ms << ", \"useful_gflops\": " << r.useful_gflops
          << ", \"eff_gflops\": " << r.eff_gflops << ", \"x_dnnl\": " << (std::isnan(r.x_dnnl) ? 0.0 : r.x_dnnl)
          << ", \"x_dense\": " << r.x_dense << ", \"dnnl_ms\": " << (std::isnan(r.dnnl_ms) ? 0.0 : r.dnnl_ms)
          << ", \"dense_ms\": " << r.dense_ms << ", \"canary_gflops\": " << r.canary
          << ", \"retained_energy\": " << r.retained << ", \"memory_ratio\": " << r.memory_ratio << "}";
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
        std::vector<conv_layer> layers;
        if (o.smoke) {
            layers.push_back(conv_layer{"tiny", 16, 32, 12, 12, 3, 1, 1});
        } else {
            const std::regex re(o.layers);
            for (const conv_layer& l : pattern_layers())
                if (std::regex_search(l.name, re)) layers.push_back(l);
        }
        for (const auto& kv : machine_context()) std::printf("# %s: %s\n", kv.first.c_str(), kv.second.c_str());
        for (const conv_layer& l : layers) {
            const std::vector<row> r = measure_layer(l, o, ok);
            rows.insert(rows.end(), r.begin(), r.end());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pattern_compare: %s\n", e.what());
        return 1;
    }
    if (!o.json.empty()) write_json(o.json, rows);
    return ok ? 0 : 2;
}
