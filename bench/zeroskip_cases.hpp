// SPDX-License-Identifier: BSD-3-Clause
// Shared by zeroskip_bench and polarized_bench: ReLU-like inputs, a cache flush, and a
// round-robin timer that reports per-candidate medians and median per-round ratios against
// the fastest dense candidate of the same round (the only honest comparison on a noisy
// shared machine: candidates alternate under the same conditions).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "finegrain/core/parallel.hpp"
#include "support/timing.hpp"

#if FINEGRAIN_BENCH_HAVE_DNNL
#include <cstdint>
#include <cstdlib>
#include <memory>

#include <dnnl.hpp>
#endif

namespace finegrain {
namespace bench {

#if FINEGRAIN_BENCH_HAVE_DNNL
/// oneDNN's int8 inner product, the dense int8 library baseline: y (int32, batch x out) =
/// x (uint8) * W^T (int8, out x in, reordered once to the primitive's format `any`). x is given
/// input-major (in x batch, as the finegrain plans take it) and reordered once, outside timing.
class dnnl_int8_inner_product {
public:
    dnnl_int8_inner_product(index_t in, index_t out, index_t batch, const std::int8_t* w, const std::uint8_t* x)
        : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_)
    {
        using dt = dnnl::memory::data_type;
        using tag = dnnl::memory::format_tag;
        using md = dnnl::memory::desc;
        const dnnl::memory::dims src_dims = {batch, in}, w_dims = {out, in}, dst_dims = {batch, out};
        dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, md(src_dims, dt::u8, tag::any),
                                            md(w_dims, dt::s8, tag::any), md(dst_dims, dt::s32, tag::any));
        pd_ = dnnl::inner_product_forward::primitive_desc(d, engine_);
        prim_ = dnnl::inner_product_forward(pd_);
        // x[k * batch + s] is src(s, k): strides {1, batch}.
        src_ = reordered(md(src_dims, dt::u8, dnnl::memory::dims{1, batch}), x, pd_.src_desc());
        weights_ = reordered(md(w_dims, dt::s8, tag::oi), w, pd_.weights_desc());
        dst_ = dnnl::memory(pd_.dst_desc(), engine_);
    }
    void run()
    {
        prim_.execute(stream_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst_}});
        stream_.wait();
    }
    std::string impl() const { return pd_.impl_info_str(); }
    /// y[o * batch + s] (int32) into dst, outside timing.
    void output(std::int32_t* dst, index_t out, index_t batch)
    {
        dnnl::memory::desc t({batch, out}, dnnl::memory::data_type::s32, dnnl::memory::dims{1, batch});
        dnnl::memory user(t, engine_, dst);
        dnnl::reorder(dst_, user).execute(stream_, dst_, user);
        stream_.wait();
    }

private:
    dnnl::memory reordered(const dnnl::memory::desc& user_md, const void* src, const dnnl::memory::desc& want)
    {
        dnnl::memory user(user_md, engine_, const_cast<void*>(src));
        dnnl::memory m(want, engine_);
        dnnl::reorder(user, m).execute(stream_, user, m);
        stream_.wait();
        return m;
    }

    dnnl::engine engine_;
    dnnl::stream stream_;
    dnnl::inner_product_forward::primitive_desc pd_;
    dnnl::inner_product_forward prim_;
    dnnl::memory src_, weights_, dst_;
};

/// Prints oneDNN's implementation and whether its int32 result equals ours (without VNNI its
/// u8 x s8 products are summed in pairs with int16 saturation: vpmaddubsw).
inline void report_int8_check(const char* who, const dnnl_int8_inner_product& ip, const std::vector<std::int32_t>& theirs,
                              const std::vector<std::int32_t>& ours)
{
    std::size_t differ = 0;
    long long worst = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const long long d = std::llabs(static_cast<long long>(theirs[i]) - ours[i]);
        differ += d != 0;
        worst = d > worst ? d : worst;
    }
    std::fprintf(stderr, "%s: oneDNN int8 inner product (%s): %zu of %zu outputs differ from the exact result (max |diff| %lld)\n",
                 who, ip.impl().c_str(), differ, ours.size(), worst);
}
#endif

/// n non-negative values, a fraction `zeros` exactly 0: iid ("random"), or in runs of mean
/// length `run` ("clustered": dead channels, spatial blocks), like real ReLU outputs.
inline std::vector<float> relu_input(std::size_t n, double zeros, bool clustered, std::uint32_t seed, double run = 32)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> v(n);
    bool in_run = false;
    const double leave = 1.0 / run, enter = zeros >= 1 ? 1.0 : leave * zeros / (1.0 - zeros);
    for (auto& x : v) {
        const bool zero = clustered ? (in_run = in_run ? u(rng) >= leave : u(rng) < enter) : u(rng) < zeros;
        x = zero ? 0.0f : static_cast<float>(u(rng) + 0.01);
    }
    return v;
}

struct candidate {
    std::string name;
    bool dense = false;  // a baseline: the fastest dense candidate of each round is the reference
    std::function<void()> run;
    std::vector<double> seconds;  // one per round
    std::function<void()> wake = nullptr;  // cold_awake: gets the candidate's worker threads running
};

/// cold: caches flushed, and (after the idle wait) every worker thread asleep: a lone call pays
/// for waking its threads. cold_awake: caches flushed, then the candidate's workers woken
/// (candidate::wake) just before the timed call: the state of back-to-back layers, whose
/// weights are cold but whose threads are spinning. warm: weights as cached as they fit.
enum class cache_state { cold, cold_awake, warm };

inline const char* to_string(cache_state c)
{
    return c == cache_state::cold ? "cold" : c == cache_state::cold_awake ? "cold_awake" : "warm";
}

/// Returns once every worker of `pool` runs (a spin barrier of one task per worker): they then
/// spin for the next job instead of sleeping.
inline void wake_pool(executor* pool)
{
    if (pool == nullptr) return;
    const std::size_t n = concurrency_of(pool);
    std::atomic<std::size_t> arrived{0};
    parallel_for(pool, n, [&](std::size_t, std::size_t) {
        arrived.fetch_add(1);
        while (arrived.load() < n) {
        }
    });
}

/// The same for the OpenMP runtime (oneDNN's threads): the implicit barrier of an empty region.
inline void wake_openmp()
{
#if defined(_OPENMP)
#pragma omp parallel
    {
        benchmark::ClobberMemory();
    }
#endif
}

/// `rounds` rounds; in each, every candidate takes one sample, in an order rotated per round.
/// cold / cold_awake: the caches are flushed before a single timed call (weights from DRAM).
/// warm: one untimed call, then `warm_reps` timed calls averaged (weights as cached as they fit).
inline void round_robin(std::vector<candidate>& cs, int rounds, cache_state cache, int warm_reps = 5)
{
    for (auto& c : cs) c.run();  // first touch, page faults, thread pools spun up
    for (int r = 0; r < rounds; ++r)
        for (std::size_t i = 0; i < cs.size(); ++i) {
            candidate& c = cs[(i + std::size_t(r)) % cs.size()];
            // Until no thread of this process runs (up to 500 ms): OpenBLAS workers spin ~0.1 s
            // after a call, and with 2 threads they took a core from whichever candidate came next.
            wait_for_idle_threads(500);
            if (cache != cache_state::warm) {
                flush_caches(std::size_t(96) << 20);  // 3x this machine's 32 MB L3: the weights come from DRAM
                benchmark::ClobberMemory();
                if (cache == cache_state::cold_awake && c.wake) c.wake();
                const double t0 = now_seconds();
                c.run();
                c.seconds.push_back(now_seconds() - t0);
            } else {
                c.run();
                const double t0 = now_seconds();
                for (int k = 0; k < warm_reps; ++k) c.run();
                c.seconds.push_back((now_seconds() - t0) / warm_reps);
            }
        }
}

/// Median over rounds of (fastest dense time of the round / candidate's time).
inline double ratio_vs_dense(const std::vector<candidate>& cs, const candidate& c)
{
    std::vector<double> r;
    for (std::size_t k = 0; k < c.seconds.size(); ++k) {
        double best = std::numeric_limits<double>::infinity();
        for (const auto& d : cs)
            if (d.dense) best = std::min(best, d.seconds[k]);
        r.push_back(best / c.seconds[k]);
    }
    return median(r);
}

/// Median over rounds of (a's time / b's time).
inline double ratio(const candidate& a, const candidate& b)
{
    std::vector<double> r;
    for (std::size_t k = 0; k < a.seconds.size(); ++k) r.push_back(a.seconds[k] / b.seconds[k]);
    return median(r);
}

/// Counters (ms_<name>, x_<name> vs the fastest dense) and a one-line-per-candidate summary.
inline void report(benchmark::State& state, const std::string& title, const std::vector<candidate>& cs,
                   const std::function<std::string(const candidate&)>& note = nullptr)
{
    std::printf("## %s\n", title.c_str());
    double fastest_dense = std::numeric_limits<double>::infinity();
    for (const auto& c : cs) {
        const double ms = 1e3 * median(c.seconds);
        if (c.dense) fastest_dense = std::min(fastest_dense, ms);
        state.counters["ms_" + c.name] = ms;
        const double x = ratio_vs_dense(cs, c);
        if (!c.dense) state.counters["x_" + c.name] = x;
        std::printf("##   %-28s %9.3f ms  x_dense %6.2f%s%s\n", c.name.c_str(), ms, x, note ? "  " : "",
                    note ? note(c).c_str() : "");
    }
    std::fflush(stdout);
    state.SetIterationTime(fastest_dense * 1e-3);
}

} // namespace bench
} // namespace finegrain
