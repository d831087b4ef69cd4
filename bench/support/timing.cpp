// SPDX-License-Identifier: BSD-3-Clause
#include "support/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "finegrain/simd/cpu_features.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace finegrain {
namespace bench {

double now_seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double process_cpu_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

namespace {

// Number of threads of this process (other than the caller) in state R.
int runnable_siblings()
{
    const long self = syscall(SYS_gettid);
    int running = 0;
    DIR* dir = opendir("/proc/self/task");
    if (dir == nullptr) return 0;
    while (dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        if (std::atol(e->d_name) == self) continue;
        std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/stat");
        std::string text;
        std::getline(f, text);
        const auto close = text.rfind(')');
        if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'R') ++running;
    }
    closedir(dir);
    return running;
}

// /proc/stat "cpu" line: busy (user+nice+system+irq+softirq) and steal, in seconds.
void system_times(double& busy, double& steal)
{
    std::ifstream f("/proc/stat");
    std::string cpu;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, st = 0;
    f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> st;
    const double hz = double(sysconf(_SC_CLK_TCK));
    busy = double(user + nice + system + irq + softirq) / hz;
    steal = double(st) / hz;
}

double self_cpu_seconds()
{
    std::ifstream f("/proc/self/stat");
    std::string text;
    std::getline(f, text);
    const auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // After ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    for (int i = 3; i <= 13; ++i) rest >> field;
    rest >> utime >> stime;
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) double fma_burst(long iterations)
{
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i) * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 s = acc[0];
    for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return double(out[0]);  // keeps the loop alive
}
constexpr double burst_flops_per_iteration = 12 * 8 * 2;
#endif

} // namespace

double wait_for_idle_threads(double max_ms)
{
    const double t0 = now_seconds();
    while (runnable_siblings() > 0 && (now_seconds() - t0) * 1e3 < max_ms)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return (now_seconds() - t0) * 1e3;
}

void load_probe::start()
{
    system_times(busy0_, steal0_);
    self0_ = self_cpu_seconds();
    t0_ = now_seconds();
}

void load_probe::stop()
{
    double busy = 0, steal = 0;
    system_times(busy, steal);
    const double self = self_cpu_seconds();
    const double wall = now_seconds() - t0_;
    // /proc/stat counts in clock ticks (10 ms): too coarse for a shorter window.
    if (wall < 0.25) {
        foreign_ = steal_ = std::numeric_limits<double>::quiet_NaN();
        return;
    }
    foreign_ = std::max(0.0, ((busy - busy0_) - (self - self0_)) / wall);
    steal_ = (steal - steal0_) / wall;
}

double wait_for_quiet(double limit, double max_seconds)
{
    const double t0 = now_seconds();
    while (now_seconds() - t0 < max_seconds) {
        load_probe p;
        p.start();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        p.stop();
        if (!(p.foreign_cores() >= limit)) break;
    }
    return now_seconds() - t0;
}

double canary_flops(int threads, double seconds)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    const simd::cpu_features& f = simd::cpu_features::get();
    if (!f.avx2 || !f.fma) return 0;
    // Calibrate the iteration count once: about 1 ms per call.
    static long per_ms = [] {
        long n = 1 << 14;
        for (;;) {
            const double t0 = now_seconds();
            volatile double sink = fma_burst(n);
            (void)sink;
            const double dt = now_seconds() - t0;
            if (dt > 2e-3) return long(double(n) / (dt * 1e3)) + 1;
            n *= 2;
        }
    }();
    const long iterations = std::max(1L, long(double(per_ms) * seconds * 1e3));
    std::vector<std::thread> others;
    const double t0 = now_seconds();
    for (int t = 1; t < threads; ++t) others.emplace_back([iterations] {
        volatile double sink = fma_burst(iterations);
        (void)sink;
    });
    volatile double sink = fma_burst(iterations);
    (void)sink;
    for (auto& t : others) t.join();
    const double dt = now_seconds() - t0;
    return double(iterations) * burst_flops_per_iteration * double(threads) / dt;
#else
    (void)threads;
    (void)seconds;
    return 0;
#endif
}

double median(std::vector<double> values)
{
    values.erase(std::remove_if(values.begin(), values.end(), [](double x) { return x != x; }), values.end());
    if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(values.begin(), values.end());
    const std::size_t h = values.size() / 2;
    return values.size() % 2 ? values[h] : 0.5 * (values[h - 1] + values[h]);
}

void flush_caches(std::size_t bytes)
{
    static std::vector<char> junk;
    static char tick = 0;
    if (junk.size() < bytes) junk.resize(bytes);
    ++tick;
    for (std::size_t i = 0; i < bytes; i += 64) junk[i] = tick;
}

} // namespace bench
} // namespace finegrain
