// Probe: does a 2-thread thread_pool call run its tasks on two CPUs?
// Per call: which worker ran each task and on which CPU; the wall time.
#include <sched.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
#include "finegrain/core/parallel.hpp"

using clk = std::chrono::steady_clock;
static volatile double sink;
static void work(long iters) { double a = 1.0; for (long i = 0; i < iters; ++i) a = a * 1.0000001 + 1e-9; sink = a; }

int main(int argc, char** argv)
{
    const bool asleep = argc > 1 && std::strcmp(argv[1], "asleep") == 0;
    const int calls = argc > 2 ? std::atoi(argv[2]) : 40;
    const std::size_t tasks = 8;
    // Calibrate ~250 us per task.
    long iters = 100000;
    { auto t0 = clk::now(); work(iters); double us = std::chrono::duration<double, std::micro>(clk::now() - t0).count(); iters = long(iters * 250.0 / us); }
    finegrain::thread_pool pool(2);
    std::vector<double> ms;
    int worker_none = 0, same_cpu_calls = 0, worker_on_other = 0;
    for (int c = 0; c < calls; ++c) {
        if (asleep) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        else pool.run(2, [](std::size_t, std::size_t) {});  // wake the worker: back-to-back calls
        int wcpu[8], wid[8];
        const int caller = sched_getcpu();
        auto t0 = clk::now();
        pool.run(tasks, [&](std::size_t t, std::size_t w) { wcpu[t] = sched_getcpu(); wid[t] = int(w); work(iters); });
        double us = std::chrono::duration<double, std::micro>(clk::now() - t0).count();
        ms.push_back(us);
        int nw = 0, wother = 0; bool onecpu = true;
        for (std::size_t t = 0; t < tasks; ++t) { if (wid[t] != 0) { ++nw; if (wcpu[t] != caller) wother = 1; } if (wcpu[t] != wcpu[0]) onecpu = false; }
        if (nw == 0) ++worker_none;
        if (onecpu) ++same_cpu_calls;
        worker_on_other += wother;
        if (c < 6 || argc > 3) {
            std::printf("call %2d caller cpu %d %7.0f us tasks:", c, caller, us);
            for (std::size_t t = 0; t < tasks; ++t) std::printf(" w%d@%d", wid[t], wcpu[t]);
            std::printf("\n");
        }
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s: %d calls, 1-thread work %.0f us; median %.0f us (min %.0f, max %.0f); "
                "calls with all tasks on one CPU %d, worker ran no task %d, worker ran on another CPU %d\n",
                asleep ? "asleep" : "awake", calls, 8 * 250.0, ms[ms.size() / 2], ms.front(), ms.back(),
                same_cpu_calls, worker_none, worker_on_other);
}
