// SPDX-License-Identifier: BSD-3-Clause
// pattern_compare: the pattern-sparse 3x3 conv plans and the dense baselines timed round-robin
// in one process, layer by layer; reports median per-round speed ratios (bench/RESULTS.md).
//
//   pattern_compare [--threads T] [--layers REGEX] [--configs c8_g1,c4_g16,...] [--samples N]
//                   [--min-time S] [--sample-time S] [--max-time S] [--cold] [--json FILE] [--smoke]
//
// Per layer, candidates: oneDNN direct conv (dnnl_conv, when found), finegrain's dense conv
// (im2col + GEMM) and one pattern plan per configuration (pattern_cases.hpp), each checked
// once against double-precision reference values, then timed round-robin with an FMA canary
// (sparse_compare.hpp). Reported per configuration: median ms, useful GFLOP/s,
// dense-equivalent GFLOP/s, x_dnnl = median over rounds of t_dnnl / t_pattern, x_dense = the
// same against the faster dense candidate of each round. Tuning knobs come from
// FINEGRAIN_PATTERN_{NF,V,CB,TV,R,BANDS} (see pattern_cases.hpp).
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "pattern_cases.hpp"
#include "sparse_compare.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

std::vector<compare_row> measure_layer(const conv_layer& layer, const compare_options& o, bool& ok)
{
    problem p(conv_spec(family::dense, layer));
    std::vector<std::unique_ptr<pattern_weights>> weights;  // parallel to the sparse candidates
    std::vector<compare_candidate> cands;
#if FINEGRAIN_BENCH_HAVE_DNNL
    add_dense_candidate(cands, p, "dnnl_conv", o.threads, ok);
#endif
    add_dense_candidate(cands, p, "finegrain_conv", o.threads, ok);
    const std::size_t dense_count = cands.size();
    for (const pattern_config& cfg : pattern_configs()) {
        if (!o.configs.empty() && std::find(o.configs.begin(), o.configs.end(), cfg.name()) == o.configs.end()) continue;
        std::unique_ptr<pattern_weights> w(new pattern_weights(p, cfg));
        const std::size_t before = cands.size();
        add_sparse_candidate(cands, cfg.name(),
                             std::unique_ptr<bench_case>(new pattern_case(p, *w, o.threads, pattern_tuning_from_env())),
                             w->spots, w->tolerance, layer.name, ok);
        if (cands.size() > before) weights.push_back(std::move(w));  // kept: its case refers to it
    }
    const std::vector<double> canary = time_round_robin(cands, o);

    std::vector<compare_row> rows;
    for (std::size_t i = dense_count; i < cands.size(); ++i) {
        const pattern_weights& w = *weights[i - dense_count];
        compare_row r = speedup_row(cands, i, dense_count, canary, o.threads, w.useful_flops, layer.shape().flops());
        r.layer = layer.name;
        r.retained = w.retained_energy;
        r.extra = {{"memory_ratio", w.packed.memory().ratio()}};
        rows.push_back(r);
    }
    const bool have_dnnl = leads_with_dnnl(cands);
    std::printf("%-12s t%d%s  dnnl %8.3f ms (%s)  finegrain dense %8.3f ms  canary %.0f GF/s\n", layer.name.c_str(),
                o.threads, o.cold ? " cold" : "", have_dnnl ? median(cands[0].samples) * 1e3 : 0.0,
                have_dnnl ? cands[0].label.c_str() : "-",
                dense_count ? median(cands[dense_count - 1].samples) * 1e3 : 0.0, median(canary) * 1e-9);
    for (const compare_row& r : rows)
        std::printf("   %-9s %-36s %8.3f ms  useful %6.1f GF/s  eff %7.1f GF/s  x_dnnl %5.2f  x_dense %5.2f  "
                    "energy %.2f  bytes %.3f\n",
                    r.config.c_str(), r.label.c_str(), r.ms, r.useful_gflops, r.eff_gflops, r.x_dnnl, r.x_dense,
                    r.retained, r.extra[0].second);
    std::fflush(stdout);
    return rows;
}

} // namespace

int main(int argc, char** argv)
{
    select_openblas_core(argv);
    const compare_options o = parse_compare_options(argc, argv, "pattern_compare", compare_flags_synopsis());
    record_dispatch();
    bool ok = true;
    std::vector<compare_row> rows;
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
            const std::vector<compare_row> r = measure_layer(l, o, ok);
            rows.insert(rows.end(), r.begin(), r.end());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pattern_compare: %s\n", e.what());
        return 1;
    }
    if (!o.json.empty()) write_compare_json(o.json, rows, "");
    return ok ? 0 : 2;
}
