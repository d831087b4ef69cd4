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
// libxnnpack-dev; bench/block_xnnpack.hpp). Each is checked once against double-precision
// reference values, then timed round-robin with an FMA canary (sparse_compare.hpp; with --cold
// a 64 MB buffer is written before each single timed call, so weights come from DRAM as in a
// network at batch 1). Reported per configuration: median ms, useful GFLOP/s,
// dense-equivalent GFLOP/s, x_dnnl = median over rounds of t_dnnl / t_sparse, x_dense = the
// same against the fastest dense candidate of each round.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "block_cases.hpp"
#if FINEGRAIN_BENCH_HAVE_XNNPACK
#include "block_xnnpack.hpp"
#endif
#include "sparse_compare.hpp"

namespace {

using namespace finegrain;
using namespace finegrain::bench;

const char* const synopsis = "--set conv1x1|fc|punched [--threads T] [--layers REGEX] [--configs 8x1@90,...] "
                             "[--samples N] [--min-time S] [--sample-time S] [--max-time S] [--cold] [--json FILE] "
                             "[--smoke]";

block_config parse_config(const std::string& s)
{
    int r = 0, c = 0, sp = 0;
    if (std::sscanf(s.c_str(), "%dx%d@%d", &r, &c, &sp) != 3)
        compare_usage("block_compare", synopsis, "bad config " + s + " (want RxC@PERCENT)");
    block_config cfg;
    cfg.shape = {r, c};
    cfg.sparsity = sp / 100.0;
    return cfg;
}

// One pool for every block plan of the process (null at 1 thread).
executor* shared_pool(int threads)
{
    static std::unique_ptr<thread_pool> pool;
    if (threads <= 1) return nullptr;
    if (!pool) pool.reset(new thread_pool(std::size_t(threads)));
    return pool.get();
}

std::vector<compare_row> measure_layer(const problem_spec& spec, block_set set, const compare_options& o, bool& ok)
{
    problem p(spec);
    std::vector<std::unique_ptr<block_weights>> weights;
    std::vector<const block_weights*> weights_of;  // parallel to the sparse candidates
    std::vector<compare_candidate> cands;
    for (const std::string& impl : block_baselines(set)) add_dense_candidate(cands, p, impl, o.threads, ok);
    const std::size_t dense_count = cands.size();
    std::vector<block_config> cfgs;
    if (o.configs.empty()) cfgs = default_block_configs(set);
    for (const std::string& s : o.configs) cfgs.push_back(parse_config(s));
    for (const block_config& cfg : cfgs) {
        weights.emplace_back(new block_weights(p, set, cfg));
        const block_weights* w = weights.back().get();
        add_sparse_candidate(cands, cfg.name(),
                             std::unique_ptr<bench_case>(new block_case(p, set, *w, o.threads, shared_pool(o.threads))),
                             w->spots, w->tolerance, spec.layer(), ok);
        weights_of.resize(cands.size() - dense_count, w);
#if FINEGRAIN_BENCH_HAVE_XNNPACK
        // XNNPACK's sparse 1x1 conv on the same weights ("xnn1x1@90"); a refusal is reported and
        // the candidate left out.
        if (set == block_set::conv1x1 && cfg.shape.r == 1 && cfg.shape.c == 1) {
            try {
                add_sparse_candidate(cands, "xnn" + cfg.name(),
                                     std::unique_ptr<bench_case>(new xnnpack_sparse_case(p, *w, o.threads)), w->spots,
                                     w->tolerance, spec.layer(), ok);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "%s xnn%s: %s\n", spec.layer().c_str(), cfg.name().c_str(), e.what());
            }
            weights_of.resize(cands.size() - dense_count, w);
        }
#endif
    }
    const std::vector<double> canary = time_round_robin(cands, o);

    std::vector<compare_row> rows;
    for (std::size_t i = dense_count; i < cands.size(); ++i) {
        const block_weights& w = *weights_of[i - dense_count];
        compare_row r = speedup_row(cands, i, dense_count, canary, o.threads, w.useful_flops, spec.flops());
        r.layer = spec.layer();
        r.retained = w.retained_energy;
        r.extra = {{"density", w.density}, {"weight_mb", double(w.packed_bytes) / 1e6}};
        rows.push_back(r);
    }
    const bool have_dnnl = leads_with_dnnl(cands);
    std::printf("%-13s t%d%s  dnnl %8.3f ms (%s)", spec.layer().c_str(), o.threads, o.cold ? " cold" : "",
                have_dnnl ? median(cands[0].samples) * 1e3 : 0.0, have_dnnl ? cands[0].label.c_str() : "-");
    for (std::size_t d = have_dnnl ? 1 : 0; d < dense_count; ++d)
        std::printf("  %s %8.3f ms", cands[d].name.c_str(), median(cands[d].samples) * 1e3);
    std::printf("  canary %.0f GF/s\n", median(canary) * 1e-9);
    for (const compare_row& r : rows)
        std::printf("   %-8s %-34s %8.3f ms  useful %6.1f GF/s  eff %7.1f GF/s  x_dnnl %6.2f  x_dense %6.2f  "
                    "energy %.2f  %.2f MB\n",
                    r.config.c_str(), r.label.c_str(), r.ms, r.useful_gflops, r.eff_gflops, r.x_dnnl, r.x_dense,
                    r.retained, r.extra[1].second);
    std::fflush(stdout);
    return rows;
}

} // namespace

int main(int argc, char** argv)
{
    select_openblas_core(argv);
    block_set set = block_set::conv1x1;
    const compare_options o = parse_compare_options(argc, argv, "block_compare", synopsis,
                                                    [&](const std::string& flag, const std::function<std::string()>& value) {
                                                        if (flag != "--set") return false;
                                                        const std::string v = value();
                                                        if (v == "conv1x1") set = block_set::conv1x1;
                                                        else if (v == "fc") set = block_set::fc;
                                                        else if (v == "punched") set = block_set::punched;
                                                        else compare_usage("block_compare", synopsis, "unknown set " + v);
                                                        return true;
                                                    });
    record_dispatch();
    bool ok = true;
    std::vector<compare_row> rows;
    try {
        std::vector<problem_spec> specs;
        if (o.smoke) {
            specs.push_back(set == block_set::fc ? fc_spec(fc_layer{"tiny_b1", 72, 24, 1})
                                                   : conv_spec(family::dense, conv_layer{"tiny", 16, 32, 12, 12,
                                                                                         set == block_set::punched ? 3 : 1, 1,
                                                                                         set == block_set::punched ? 1 : 0}));
        } else {
            specs = block_problem_specs(set, o.layers);
        }
        for (const auto& kv : machine_context()) std::printf("# %s: %s\n", kv.first.c_str(), kv.second.c_str());
        for (const problem_spec& s : specs) {
            const std::vector<compare_row> r = measure_layer(s, set, o, ok);
            rows.insert(rows.end(), r.begin(), r.end());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "block_compare: %s\n", e.what());
        return 1;
    }
    if (!o.json.empty())
        write_compare_json(o.json, rows,
                           "\"set\": " + json_string(block_set_name(set)) + ", \"cold\": " + (o.cold ? "true" : "false") + ",\n  ");
    return ok ? 0 : 2;
}
