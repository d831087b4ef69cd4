// SPDX-License-Identifier: BSD-3-Clause
// Helpers for honest timing on a shared, noisy 2-core machine (research/baselines.md §3, §7).
#pragma once

#include <cstddef>
#include <vector>

namespace finegrain {
namespace bench {

/// Monotonic seconds.
double now_seconds();

/// CPU seconds used by this process (all its threads). For a single-threaded call the
/// difference is the time it actually ran, whatever other processes took from the core:
/// the contention-robust view of 1-thread measurements (at 2 threads it counts spinning too).
double process_cpu_seconds();

/// Waits until no other thread of this process is runnable, i.e. the spinning workers of the
/// previous library (finegrain's pool, OpenMP, OpenBLAS) have gone to sleep and will not steal
/// a core from the next measurement. Gives up after `max_ms`; returns the milliseconds waited.
double wait_for_idle_threads(double max_ms = 500);

/// CPU time used by *other* processes between start() and stop(), from /proc/stat minus this
/// process's own CPU time: `foreign` busy cores and hypervisor `steal` cores (averages).
/// NaN when the window is shorter than 0.25 s (the counters tick every 10 ms).
class load_probe {
public:
    void start();
    void stop();
    double foreign_cores() const { return foreign_; }
    double steal_cores() const { return steal_; }

private:
    double t0_ = 0, busy0_ = 0, steal0_ = 0, self0_ = 0;
    double foreign_ = 0, steal_ = 0;
};

/// Waits (sleeping, in 0.5 s windows) until other processes use fewer than `limit` cores,
/// at most `max_seconds`. Returns the seconds waited.
double wait_for_quiet(double limit, double max_seconds);

/// FLOP/s of a fixed FMA burst (12 independent 256-bit FMA chains per thread, AVX2+FMA) on
/// `threads` threads for about `seconds`: how fast the cores are right now. 0 if the CPU
/// lacks AVX2/FMA or this is not x86-64.
double canary_flops(int threads, double seconds);

/// Median of the values that are not NaN; NaN when there are none.
double median(std::vector<double> values);

/// Writes `bytes` of a static buffer (default 64 MB, twice this machine's L3) so that the next
/// call finds its weights in DRAM: the cold cache state of a layer at batch 1 in a network.
void flush_caches(std::size_t bytes = std::size_t(64) << 20);

} // namespace bench
} // namespace finegrain
