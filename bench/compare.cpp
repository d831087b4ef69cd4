// SPDX-License-Identifier: BSD-3-Clause
// compare: finegrain and the dense baselines timed round-robin in one process, layer by layer,
// and the median of the per-round speed ratios. This is what bench/RESULTS.md reports: on a
// shared machine whose speed swings 1.5-3x within minutes (research/baselines.md §7), only
// candidates timed alternately under the same conditions can be compared.
//
//   compare [--family dense|gemm|fc|all] [--threads T] [--layers REGEX] [--impls a,b,...]
//           [--samples N] [--min-time S] [--sample-time S] [--max-time S] [--retries R]
//           [--quiet-wait S] [--no-canary] [--json FILE] [--smoke] [--list]
//
// Per layer: every implementation is set up and its output checked once against double-
// precision reference values and the other implementations (a mismatch drops it and makes the
// exit status 2). Then rounds: in each round every candidate (and an FMA canary that shows how
// fast the cores are right now) takes one sample, in an order rotated from round to round. A
// sample is: wait until the previous library's threads sleep, one untimed warm-up call, then
// `reps` timed calls (reps sized so a sample lasts about --sample-time). Rounds continue until
// every candidate has >= --samples samples and >= --min-time timed seconds (or --max-time has
// passed). Reported: per-candidate median time and GFLOP/s, and per baseline the median over
// rounds of (baseline time / finegrain time) = finegrain's speed as a fraction of the
// baseline's (> 1: finegrain faster). The CPU time other processes used meanwhile is
// measured (/proc/stat); a layer with >= 0.35 foreign cores is re-measured (--retries) and
// marked '!' if it stays contended. Each sample also records the process CPU time per call
// (JSON `cpu_samples_s`): at 1 thread that is the time the call actually ran, a view that
// other processes time-sharing the cores do not distort.
//
// One thread count per process: at 2 threads each library's pool spins between calls, so
// the 1- and 2-thread configurations run as separate invocations (--threads 1, --threads 2).
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

#include "dense_cases.hpp"
#include "support/json.hpp"
#include "support/timing.hpp"

namespace {

using namespace finegrain::bench;

struct options {
    std::vector<family> families{family::gemm};
    int threads = 1;
    std::string layers = ".*";
    std::vector<std::string> impls;  // empty = all available
    int samples = 7;
    double min_time = 0.3;
    double sample_time = 0.02;
    double max_time = 30;
    int retries = 1;
    double foreign_limit = 0.35;
    double quiet_wait = 0;
    bool canary = true;
    std::string json;
    bool smoke = false;
    bool list = false;
};

[[noreturn]] void usage(const char* error)
{
    if (error) std::fprintf(stderr, "compare: %s\n\n", error);
    std::fprintf(stderr,
                 "usage: compare [options]\n"
                 "  --family F       dense (conv), gemm, fc or all          [gemm]\n"
                 "  --threads T      threads of every implementation         [1]\n"
                 "  --layers REGEX   layers whose name matches (ECMAScript)  [all]\n"
                 "  --impls LIST     comma-separated implementations         [all found]\n"
                 "  --samples N      minimum samples per candidate           [7]\n"
                 "  --min-time S     minimum timed seconds per candidate     [0.3]\n"
                 "  --sample-time S  target length of one sample             [0.02]\n"
                 "  --max-time S     stop adding rounds after S seconds      [30]\n"
                 "  --retries R      re-measure a contended layer R times    [1]\n"
                 "  --quiet-wait S   before each layer (and retry), wait up to S seconds\n"
                 "                   for other processes to use < 0.35 cores [0]\n"
                 "  --no-canary      leave out the FMA canary\n"
                 "  --json FILE      write every sample and the context as JSON\n"
                 "  --smoke          one tiny layer per family, few samples (CI)\n"
                 "  --list           print the layers and implementations, run nothing\n");
    std::exit(error ? 1 : 0);
}

double parse_number(const char* text, const char* flag)
{
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0)) usage((std::string("bad value for ") + flag + ": " + text).c_str());
    return v;
}

std::vector<std::string> split(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--family") {
            const std::string f = value();
            if (f == "dense" || f == "conv") o.families = {family::dense};
            else if (f == "gemm") o.families = {family::gemm};
            else if (f == "fc") o.families = {family::fc};
            else if (f == "all") o.families = {family::dense, family::gemm, family::fc};
            else usage(("unknown family " + f).c_str());
        } else if (a == "--threads") {
            o.threads = int(parse_number(value(), "--threads"));
            if (o.threads < 1) usage("--threads must be >= 1");
        } else if (a == "--layers") o.layers = value();
        else if (a == "--impls") o.impls = split(value());
        else if (a == "--samples") o.samples = std::max(1, int(parse_number(value(), "--samples")));
        else if (a == "--min-time") o.min_time = parse_number(value(), "--min-time");
        else if (a == "--sample-time") o.sample_time = parse_number(value(), "--sample-time");
        else if (a == "--max-time") o.max_time = parse_number(value(), "--max-time");
        else if (a == "--retries") o.retries = int(parse_number(value(), "--retries"));
        else if (a == "--quiet-wait") o.quiet_wait = parse_number(value(), "--quiet-wait");
        else if (a == "--no-canary") o.canary = false;
        else if (a == "--json") o.json = value();
        else if (a == "--smoke") o.smoke = true;
        else if (a == "--list") o.list = true;
        else if (a == "--help" || a == "-h") usage(nullptr);
        else usage(("unknown argument " + a).c_str());
    }
    if (o.smoke) {
        o.families = {family::dense, family::gemm, family::fc};
        o.samples = 3;
        o.min_time = 0;
        o.sample_time = 0.001;
        o.retries = 0;
    }
    return o;
}

struct candidate {
    std::string impl, label, error;  // error: set up or check failed; not timed
    long reps = 1;                   // calls per sample
    std::vector<double> samples;     // seconds per call, one per round
    std::vector<double> cpu_samples; // process CPU seconds per call, same rounds
    double timed = 0;                // seconds spent in timed calls
    double median_s = 0;
};

struct layer_result {
    problem_spec spec;
    std::vector<candidate> cands;  // finegrain first
    std::vector<double> canary;    // FLOP/s, one per round
    std::vector<double> ratios;    // per candidate: median over rounds of t_candidate / t_finegrain
    double foreign = 0, steal = 0, seconds = 0;
    double waited = 0;  // seconds spent waiting for a quiet machine
    int attempts = 0, rounds = 0;
};

bool contended(const layer_result& r, const options& o) { return r.foreign >= o.foreign_limit; }  // NaN: unknown

using case_list = std::vector<std::unique_ptr<bench_case>>;  // parallel to layer_result::cands; null = dropped

void measure_rounds(layer_result& r, case_list& cases, const options& o)
{
    const std::size_t n = r.cands.size();
    const std::size_t slots = n + (o.canary ? 1 : 0);
    for (candidate& c : r.cands) {
        c.samples.clear();
        c.cpu_samples.clear();
        c.timed = 0;
    }
    r.canary.clear();
    load_probe probe;
    probe.start();
    const double start = now_seconds();
    int round = 0;
    for (;; ++round) {
        for (std::size_t s = 0; s < slots; ++s) {
            const std::size_t idx = (s + std::size_t(round)) % slots;  // rotated order
            if (idx < n && !cases[idx]) continue;
            wait_for_idle_threads();
            if (idx == n) {
                r.canary.push_back(canary_flops(o.threads, o.sample_time));
                continue;
            }
            candidate& c = r.cands[idx];
            bench_case& bc = *cases[idx];
            bc.prepare();
            bc.run();  // warm-up: caches, and wakes the library's workers
            const double c0 = process_cpu_seconds();
            const double t0 = now_seconds();
            for (long k = 0; k < c.reps; ++k) bc.run();
            const double dt = now_seconds() - t0;
            c.cpu_samples.push_back((process_cpu_seconds() - c0) / double(c.reps));
            c.samples.push_back(dt / double(c.reps));
            c.timed += dt;
        }
        bool enough = true, minimal = true;
        for (std::size_t i = 0; i < n; ++i) {
            if (!cases[i]) continue;
            const candidate& c = r.cands[i];
            enough = enough && int(c.samples.size()) >= o.samples && c.timed >= o.min_time;
            minimal = minimal && c.samples.size() >= 3;
        }
        if (enough || (minimal && now_seconds() - start > o.max_time)) break;
    }
    probe.stop();
    r.rounds = round + 1;
    r.seconds = now_seconds() - start;
    r.foreign = probe.foreign_cores();
    r.steal = probe.steal_cores();
}

layer_result measure_layer(const problem_spec& spec, const std::vector<std::string>& impls, const options& o,
                           bool& all_ok)
{
    layer_result r;
    r.spec = spec;
    problem p(spec);
    case_list cases;
    for (const std::string& impl : impls) {
        candidate c;
        c.impl = impl;
        std::unique_ptr<bench_case> bc;
        try {
            bc = make_case(p, impl, o.threads);
            c.label = bc->label();
            const check_result chk = check_case(p, *bc, impl);
            if (!chk.ok) {
                c.error = chk.message;
                bc.reset();
                all_ok = false;
            }
        } catch (const std::exception& e) {
            c.error = e.what();
            bc.reset();
        }
        r.cands.push_back(c);
        cases.push_back(std::move(bc));
    }
    // Calibrate: calls per sample so that one sample lasts about sample_time.
    for (std::size_t i = 0; i < cases.size(); ++i) {
        if (!cases[i]) continue;
        wait_for_idle_threads();
        cases[i]->prepare();
        cases[i]->run();
        const double t0 = now_seconds();
        cases[i]->run();
        const double once = std::max(1e-7, now_seconds() - t0);
        r.cands[i].reps = std::max(1L, std::min(100000L, long(std::ceil(o.sample_time / once))));
    }
    // Re-measure a contended layer; keep the least contended attempt.
    layer_result best;
    for (int attempt = 1; attempt <= 1 + o.retries; ++attempt) {
        if (o.quiet_wait > 0) r.waited += wait_for_quiet(o.foreign_limit, o.quiet_wait);
        measure_rounds(r, cases, o);
        if (attempt == 1 || r.foreign < best.foreign) best = r;
        best.attempts = attempt;
        best.waited = r.waited;
        if (!contended(r, o)) break;
    }
    // Medians and the per-round ratios against finegrain (candidate 0).
    const std::vector<double> fg = best.cands.front().samples;
    for (candidate& c : best.cands) {
        c.median_s = median(c.samples);
        std::vector<double> per_round;
        for (std::size_t i = 0; i < c.samples.size() && i < fg.size(); ++i) per_round.push_back(c.samples[i] / fg[i]);
        best.ratios.push_back(median(per_round));
    }
    return best;
}

// ---- output -------------------------------------------------------------------------------------

std::string fmt(const char* f, double v)
{
    if (std::isnan(v)) return "-";
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

void print_header(family f, const std::vector<std::string>& impls, const options& o)
{
    std::printf("\n== %s, %d thread%s  (ms = median per call; GF/s = 2MNK / ms; fg/X = median per-round "
                "t_X / t_finegrain = finegrain speed as a fraction of X's)\n",
                family_name(f), o.threads, o.threads == 1 ? "" : "s");
    std::printf("%-14s %8s", "layer", "GFLOP");
    for (const std::string& i : impls) std::printf(" | %15s", i.c_str());
    std::printf(" |");
    for (std::size_t i = 1; i < impls.size(); ++i) std::printf(" %12s", ("fg/" + impls[i]).c_str());
    if (o.canary) std::printf(" | %7s", "canary");
    std::printf(" | %7s\n", "foreign");
    std::printf("%-14s %8s", "", "");
    for (std::size_t i = 0; i < impls.size(); ++i) std::printf(" | %7s %7s", "ms", "GF/s");
    std::printf(" |\n");
}

void print_layer(const layer_result& r, const options& o)
{
    const double flops = r.spec.flops();
    std::printf("%-14s %8.3f", r.spec.layer().c_str(), flops * 1e-9);
    for (const candidate& c : r.cands) {
        if (!c.error.empty()) std::printf(" | %15s", "error");
        else std::printf(" | %7s %7s", fmt("%.3f", c.median_s * 1e3).c_str(), fmt("%.1f", flops / c.median_s * 1e-9).c_str());
    }
    std::printf(" |");
    for (std::size_t i = 1; i < r.cands.size(); ++i) std::printf(" %12s", fmt("%.2f", r.ratios[i]).c_str());
    if (o.canary) std::printf(" | %7s", fmt("%.1f", median(r.canary) * 1e-9).c_str());
    std::printf(" | %6s%s\n", fmt("%.2f", r.foreign).c_str(), contended(r, o) ? "!" : " ");
    for (const candidate& c : r.cands)
        if (!c.error.empty()) std::printf("   %s: %s\n", c.impl.c_str(), c.error.c_str());
    std::fflush(stdout);
}

void write_json(const std::string& path, const options& o, const std::vector<layer_result>& results)
{
    std::ofstream f(path);
    f << "{\n";
    write_json_context(f);
    f << ",\n  \"options\": {\"threads\": " << o.threads << ", \"samples\": " << o.samples
      << ", \"min_time\": " << o.min_time << ", \"sample_time\": " << o.sample_time << ", \"max_time\": " << o.max_time
      << ", \"retries\": " << o.retries << ", \"foreign_limit\": " << o.foreign_limit
      << ", \"quiet_wait\": " << o.quiet_wait << "},\n  \"layers\": [";
    for (std::size_t l = 0; l < results.size(); ++l) {
        const layer_result& r = results[l];
        const finegrain::gemm_shape g = r.spec.gemm();
        f << (l ? "," : "") << "\n    {\"family\": " << json_string(family_name(r.spec.fam))
          << ", \"layer\": " << json_string(r.spec.layer()) << ", \"threads\": " << o.threads << ", \"m\": " << g.m
          << ", \"n\": " << g.n << ", \"k\": " << g.k << ", \"flops\": " << json_number(r.spec.flops())
          << ", \"rounds\": " << r.rounds << ", \"attempts\": " << r.attempts
          << ", \"seconds\": " << json_number(r.seconds) << ", \"waited_s\": " << json_number(r.waited) << ", \"foreign_cores\": " << json_number(r.foreign)
          << ", \"steal_cores\": " << json_number(r.steal) << ", \"contended\": "
          << (contended(r, o) ? "true" : "false") << ",\n     \"canary_flops\": " << json_array(r.canary)
          << ",\n     \"candidates\": [";
        for (std::size_t i = 0; i < r.cands.size(); ++i) {
            const candidate& c = r.cands[i];
            f << (i ? "," : "") << "\n       {\"impl\": " << json_string(c.impl) << ", \"label\": " << json_string(c.label)
              << ", \"error\": " << json_string(c.error) << ", \"reps\": " << c.reps
              << ", \"median_s\": " << json_number(c.median_s)
              << ", \"gflops\": " << json_number(r.spec.flops() / c.median_s * 1e-9)
              << ", \"finegrain_speed_ratio\": " << json_number(r.ratios[i]) << ", \"samples_s\": " << json_array(c.samples)
              << ", \"cpu_samples_s\": " << json_array(c.cpu_samples)
              << "}";
        }
        f << "]}";
    }
    f << "\n  ]\n}\n";
}

} // namespace

int main(int argc, char** argv)
{
    select_openblas_core(argv);
    const options o = parse(argc, argv);
    record_dispatch();
    bool all_ok = true;
    std::vector<layer_result> results;
    try {
        const std::regex pattern(o.layers);
        std::vector<conv_layer> convs;
        std::vector<fc_layer> fcs;
        if (!o.smoke) {
            convs = load_all_conv_layers();
            fcs = load_all_fc_layers();
        }
        for (const auto& kv : machine_context()) std::printf("# %s: %s\n", kv.first.c_str(), kv.second.c_str());
        for (family f : o.families) {
            std::vector<std::string> impls = impls_of(f);
            if (!o.impls.empty()) {
                std::vector<std::string> chosen{impls.front()};  // finegrain is always the reference
                for (const std::string& i : o.impls)
                    if (i != impls.front() && std::find(impls.begin(), impls.end(), i) != impls.end())
                        chosen.push_back(i);
                impls = chosen;
            }
            std::vector<problem_spec> specs;
            if (o.smoke) {
                for (const problem_spec& s : smoke_specs())
                    if (s.fam == f) specs.push_back(s);
            } else {
                for (const problem_spec& s : specs_of(f, convs, fcs))
                    if (std::regex_search(s.layer(), pattern)) specs.push_back(s);
            }
            if (o.list) {
                std::printf("%s:", family_name(f));
                for (const std::string& i : impls) std::printf(" %s", i.c_str());
                std::printf("\n");
                for (const problem_spec& s : specs) {
                    const finegrain::gemm_shape g = s.gemm();
                    std::printf("  %-14s M=%-5td N=%-6td K=%-5td %.3f GFLOP\n", s.layer().c_str(), g.m, g.n, g.k,
                                s.flops() * 1e-9);
                }
                continue;
            }
            if (specs.empty()) continue;
            print_header(f, impls, o);
            for (const problem_spec& s : specs) {
                results.push_back(measure_layer(s, impls, o, all_ok));
                print_layer(results.back(), o);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "compare: %s\n", e.what());
        return 1;
    }
    if (!o.json.empty()) write_json(o.json, o, results);
    if (!all_ok) std::fprintf(stderr, "compare: some implementations gave wrong results (see above)\n");
    return all_ok ? 0 : 2;
}
