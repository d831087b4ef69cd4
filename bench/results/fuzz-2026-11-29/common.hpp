#pragma once
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <random>
#include <vector>
#include <string>
#include <map>
#include <memory>
#include "finegrain/core/index.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/simd/dispatch.hpp"

using finegrain::index_t;

struct Rng {
    std::mt19937_64 g;
    explicit Rng(std::uint64_t s) : g(s) {}
    index_t range(index_t lo, index_t hi) { return lo + index_t(g() % std::uint64_t(hi - lo + 1)); }
    double uni() { return std::uniform_real_distribution<double>(0, 1)(g); }
    bool coin(double p = 0.5) { return uni() < p; }
    float f(float lo = -1, float hi = 1) { return std::uniform_real_distribution<float>(lo, hi)(g); }
    template <class T> const T& pick(const std::vector<T>& v) { return v[std::size_t(g() % v.size())]; }
    // edge-biased size
    index_t size(index_t maxv = 70) {
        switch (g() % 6) {
        case 0: return range(1, 4);
        case 1: return pick(std::vector<index_t>{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65});
        default: return range(1, maxv);
        }
    }
};

struct Stats {
    long valid = 0, rejected = 0, findings = 0;
    std::map<std::string, int> msgs;
    void reject(const finegrain::error& e) {
        ++rejected;
        std::string m = e.what();
        // key by argument name
        auto p = m.find(" = ");
        std::string key = p == std::string::npos ? m : m.substr(0, p);
        if (msgs[key]++ == 0) std::printf("  [reject sample] %s\n", m.c_str());
    }
    void finding(const std::string& s) {
        ++findings;
        std::printf("FINDING: %s\n", s.c_str());
        std::fflush(stdout);
    }
};

inline finegrain::simd::arch_id random_arch(Rng& r)
{
    using finegrain::simd::arch_id;
    static const std::vector<arch_id> a = {arch_id::scalar, arch_id::sse4_2, arch_id::avx2};
    return r.pick(a);
}

struct Pools {
    finegrain::thread_pool p2{2}, p3{3};
    finegrain::executor* pick(Rng& r) { int k = int(r.g() % 3); return k == 0 ? nullptr : k == 1 ? (finegrain::executor*)&p2 : &p3; }
};
