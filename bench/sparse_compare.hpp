// SPDX-License-Identifier: BSD-3-Clause
// The round-robin harness shared by the sparse-family compare tools (pattern_compare,
// block_compare): their common flags, candidates checked once and then timed alternately with
// an FMA canary, each sparse candidate's speed-ups over the dense candidates of the same round,
// and the JSON rows.
//
// Per layer a tool builds one candidate list: the dense baselines first (oneDNN first when
// found, then finegrain's dense plan, then OpenBLAS), then its sparse plans. time_round_robin()
// sizes each candidate's sample (`reps` calls lasting about --sample-time; one call when
// --cold), then runs rounds: every candidate and the canary take one sample per round, in an
// order rotated from round to round; a sample = wait until the previous library's threads
// sleep, one untimed warm-up call (or, with --cold, a cache flush so weights come from DRAM),
// then the timed calls. Rounds continue until every candidate has >= --samples samples and
// >= --min-time timed seconds, or --max-time has passed (after at least 3 rounds).
// speedup_row() reports x_dnnl = median over rounds of t_oneDNN / t_sparse and x_dense = the
// same against the fastest dense candidate of each round (> 1: the sparse plan is faster).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dense_cases.hpp"
#include "support/json.hpp"
#include "support/timing.hpp"

namespace finegrain {
namespace bench {

struct compare_options {
    int threads = 1;
    std::string layers = ".*";         // ECMAScript regex on layer names
    std::vector<std::string> configs;  // empty = the tool's defaults
    int samples = 7;
    double min_time = 0.3, sample_time = 0.03, max_time = 30;
    bool cold = false;  // flush the caches before one timed call per sample
    std::string json;
    bool smoke = false;  // one tiny layer, 3 short samples (CI)
};

[[noreturn]] inline void compare_usage(const std::string& tool, const std::string& synopsis, const std::string& error)
{
    std::fprintf(stderr, "%s: %s\nusage: %s %s\n", tool.c_str(), error.c_str(), tool.c_str(), synopsis.c_str());
    std::exit(1);
}

/// The synopsis of the shared flags, for a tool's usage line.
inline const char* compare_flags_synopsis()
{
    return "[--threads T] [--layers REGEX] [--configs LIST] [--samples N] [--min-time S] [--sample-time S] "
           "[--max-time S] [--cold] [--json FILE] [--smoke]";
}

/// A tool's own flag: gets the flag and a reader of its argument; returns false if not its flag.
using compare_flag_fn = std::function<bool(const std::string& flag, const std::function<std::string()>& value)>;

/// Parses the shared flags and, through `extra`, the tool's own; exits with the usage on error.
inline compare_options parse_compare_options(int argc, char** argv, const std::string& tool,
                                             const std::string& synopsis, const compare_flag_fn& extra = nullptr)
{
    compare_options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const std::function<std::string()> value = [&]() -> std::string {
            if (i + 1 >= argc) compare_usage(tool, synopsis, a + " needs a value");
            return argv[++i];
        };
        auto number = [&]() {
            const std::string v = value();
            char* end = nullptr;
            const double d = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0' || !(d >= 0)) compare_usage(tool, synopsis, "bad value for " + a + ": " + v);
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
        else if (a == "--cold") o.cold = true;
        else if (a == "--json") o.json = value();
        else if (a == "--smoke") o.smoke = true;
        else if (!extra || !extra(a, value)) compare_usage(tool, synopsis, "unknown argument " + a);
    }
    if (o.smoke) {
        o.samples = 3;
        o.min_time = 0;
        o.sample_time = 0.001;
    }
    return o;
}

struct compare_candidate {
    std::string name, label;
    std::unique_ptr<bench_case> impl;
    long reps = 1;                // calls per sample
    std::vector<double> samples;  // seconds per call, one per round
    double timed = 0;             // seconds spent in timed calls
};

/// Appends `c` when its check passed; otherwise reports why on stderr and clears `ok`.
inline void keep_if_correct(std::vector<compare_candidate>& cands, compare_candidate c, const check_result& chk,
                            const std::string& layer, bool& ok)
{
    if (!chk.ok) {
        std::fprintf(stderr, "%s %s: %s\n", layer.c_str(), c.name.c_str(), chk.message.c_str());
        ok = false;
        return;
    }
    cands.push_back(std::move(c));
}

/// A dense baseline (make_case's `impl`), checked against the problem's reference values.
inline void add_dense_candidate(std::vector<compare_candidate>& cands, problem& p, const std::string& impl,
                                int threads, bool& ok)
{
    compare_candidate c;
    c.name = impl;
    c.impl = make_case(p, impl, threads);
    c.label = c.impl->label();
    const check_result chk = check_case(p, *c.impl, impl);
    keep_if_correct(cands, std::move(c), chk, p.spec.layer(), ok);
}

/// A sparse candidate, run once and checked against double-precision reference values of its
/// own weights.
inline void add_sparse_candidate(std::vector<compare_candidate>& cands, const std::string& name,
                                 std::unique_ptr<bench_case> impl, const std::vector<spot>& spots, double tolerance,
                                 const std::string& layer, bool& ok)
{
    compare_candidate c;
    c.name = name;
    c.impl = std::move(impl);
    c.label = c.impl->label();
    c.impl->run();
    const check_result chk = check_spots(c.impl->output(), spots, tolerance);
    keep_if_correct(cands, std::move(c), chk, layer, ok);
}

/// Times every candidate round-robin (see the top of this file); returns the canary's FLOP/s
/// of each round.
inline std::vector<double> time_round_robin(std::vector<compare_candidate>& cands, const compare_options& o)
{
    for (compare_candidate& c : cands) {  // calls per sample
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
            compare_candidate& c = cands[idx];
            c.impl->prepare();
            if (o.cold)
                flush_caches();
            else
                c.impl->run();
            const double t0 = now_seconds();
            for (long r = 0; r < c.reps; ++r) c.impl->run();
            const double dt = now_seconds() - t0;
            c.samples.push_back(dt / double(c.reps));
            c.timed += dt;
        }
        bool enough = true;
        for (const compare_candidate& c : cands)
            enough = enough && int(c.samples.size()) >= o.samples && c.timed >= o.min_time;
        if (enough || (round >= 2 && now_seconds() - start > o.max_time)) break;
    }
    return canary;
}

/// Whether candidate 0 is oneDNN (the baseline the issues' targets name).
inline bool leads_with_dnnl(const std::vector<compare_candidate>& cands)
{
    return !cands.empty() && cands[0].name.rfind("dnnl", 0) == 0;
}

struct compare_row {
    std::string layer, config, label;
    int threads = 1;
    double ms = 0, useful_gflops = 0, eff_gflops = 0;
    double x_dnnl = 0, x_dense = 0;  // NaN when there is no oneDNN candidate
    double dnnl_ms = 0, dense_ms = 0, canary = 0;
    double retained = 0;                                // retained L2 energy of the pruned weights
    std::vector<std::pair<std::string, double>> extra;  // the tool's own fields (bytes, density, ...)
};

/// The row of sparse candidate `i`: median ms, useful GFLOP/s (`useful_flops` per call),
/// dense-equivalent GFLOP/s (`dense_flops`), the median per-round speed-ups over oneDNN and over
/// the fastest of candidates [0, dense_count), and the fastest dense candidate's median ms.
inline compare_row speedup_row(const std::vector<compare_candidate>& cands, std::size_t i, std::size_t dense_count,
                               const std::vector<double>& canary, int threads, double useful_flops, double dense_flops)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool have_dnnl = leads_with_dnnl(cands) && dense_count > 0;
    const compare_candidate& c = cands[i];
    compare_row r;
    r.config = c.name;
    r.label = c.label;
    r.threads = threads;
    r.ms = median(c.samples) * 1e3;
    r.useful_gflops = useful_flops / r.ms * 1e-6;
    r.eff_gflops = dense_flops / r.ms * 1e-6;
    std::vector<double> vs_dnnl, vs_dense;
    for (std::size_t k = 0; k < c.samples.size(); ++k) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t d = 0; d < dense_count; ++d)
            if (k < cands[d].samples.size()) best = std::min(best, cands[d].samples[k]);
        vs_dense.push_back(best / c.samples[k]);
        if (have_dnnl && k < cands[0].samples.size()) vs_dnnl.push_back(cands[0].samples[k] / c.samples[k]);
    }
    r.x_dnnl = have_dnnl ? median(vs_dnnl) : nan;
    r.x_dense = median(vs_dense);
    r.dnnl_ms = have_dnnl ? median(cands[0].samples) * 1e3 : nan;
    r.dense_ms = nan;
    for (std::size_t d = 0; d < dense_count; ++d) {
        const double ms = median(cands[d].samples) * 1e3;
        if (!(r.dense_ms <= ms)) r.dense_ms = ms;
    }
    r.canary = median(canary) * 1e-9;
    return r;
}

/// Writes {"context": {...}, <header>"rows": [...]}; `header` holds the tool's own top-level
/// fields, each followed by ", " (e.g. "\"set\": \"fc\", "), or is empty.
inline void write_compare_json(const std::string& path, const std::vector<compare_row>& rows, const std::string& header)
{
    std::ofstream f(path);
    f << "{\n";
    write_json_context(f);
    f << ",\n  " << header << "\"rows\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const compare_row& r = rows[i];
        f << (i ? "," : "") << "\n    {\"layer\": " << json_string(r.layer) << ", \"config\": " << json_string(r.config)
          << ", \"kernel\": " << json_string(r.label) << ", \"threads\": " << r.threads
          << ", \"ms\": " << json_number(r.ms) << ", \"useful_gflops\": " << json_number(r.useful_gflops)
          << ", \"eff_gflops\": " << json_number(r.eff_gflops) << ", \"x_dnnl\": " << json_number(r.x_dnnl)
          << ", \"x_dense\": " << json_number(r.x_dense) << ", \"dnnl_ms\": " << json_number(r.dnnl_ms)
          << ", \"dense_ms\": " << json_number(r.dense_ms) << ", \"canary_gflops\": " << json_number(r.canary)
          << ", \"retained_energy\": " << json_number(r.retained);
        for (const auto& kv : r.extra) f << ", " << json_string(kv.first) << ": " << json_number(kv.second);
        f << "}";
    }
    f << "\n  ]\n}\n";
}

} // namespace bench
} // namespace finegrain
