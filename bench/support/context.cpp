// SPDX-License-Identifier: BSD-3-Clause
#include "support/context.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <xsimd/xsimd.hpp>

#include "finegrain/simd/cpu_features.hpp"
#include "finegrain/version.hpp"
#include "support/baselines.hpp"

namespace finegrain {
namespace bench {

namespace {

struct dispatch_info {
    std::string arch = "unknown", kernel = "unknown";
};
dispatch_info& dispatch() noexcept
{
    static dispatch_info d;
    return d;
}

std::vector<registrar_fn>& registrars()
{
    static std::vector<registrar_fn> r;
    return r;
}

std::string cpu_model()
{
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown";
}

std::string cpu_family_model()
{
    std::ifstream f("/proc/cpuinfo");
    std::string family, model;
    for (std::string line; std::getline(f, line) && (family.empty() || model.empty());) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (line.rfind("cpu family", 0) == 0) family = value;
        if (line.rfind("model\t", 0) == 0) model = value;
    }
    return "family " + family + " model " + model;
}

std::string feature_list()
{
    const simd::cpu_features& f = simd::cpu_features::get();
    std::string s;
    auto add = [&](bool on, const char* name) {
        if (on) (s += s.empty() ? "" : " ") += name;
    };
    add(f.sse4_2, "sse4_2");
    add(f.avx, "avx");
    add(f.avx2, "avx2");
    add(f.fma, "fma");
    add(f.avx512f, "avx512f");
    add(f.avx512cd, "avx512cd");
    add(f.avx512bw, "avx512bw");
    add(f.avx512dq, "avx512dq");
    add(f.avx512vl, "avx512vl");
    add(f.avx512vnni, "avx512vnni");
    add(f.neon, "neon");
    add(f.asimddp, "asimddp");
    if (!f.avx512f && (f.avx2 || f.sse4_2)) s += " (no AVX-512)";
    return s;
}

} // namespace

void select_openblas_core(char** argv)
{
#if FINEGRAIN_BENCH_HAVE_OPENBLAS && (defined(__x86_64__) || defined(_M_X64))
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's (or our re-exec's) choice
    const simd::cpu_features& f = simd::cpu_features::get();
    std::string core = openblas_baseline::core_name();
    for (char& ch : core) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    const bool avx512 = f.supports(simd::arch_id::avx512);
    const bool avx2 = f.supports(simd::arch_id::avx2);
    static const char* const avx512_cores[] = {"skylakex", "cooperlake", "sapphirerapids"};
    static const char* const avx2_cores[] = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"};
    auto listed = [&](const char* const* b, const char* const* e) { return std::find(b, e, core) != e; };
    const bool good = avx512 ? listed(std::begin(avx512_cores), std::end(avx512_cores))
                             : avx2 ? listed(std::begin(avx2_cores), std::end(avx2_cores)) : true;
    if (good || std::getenv("FINEGRAIN_BENCH_OPENBLAS_DETECTED") != nullptr) return;
    setenv("OPENBLAS_CORETYPE", avx512 ? "Cooperlake" : "Haswell", 1);
    setenv("FINEGRAIN_BENCH_OPENBLAS_DETECTED", openblas_baseline::core_name().c_str(), 1);
    std::fprintf(stderr, "finegrain bench: OpenBLAS detected core %s, restarting with OPENBLAS_CORETYPE=%s\n",
                 openblas_baseline::core_name().c_str(), std::getenv("OPENBLAS_CORETYPE"));
    std::fflush(stderr);
    execv("/proc/self/exe", argv);
    std::perror("finegrain bench: execv /proc/self/exe failed; continuing with the detected core");
#else
    (void)argv;
#endif
}

void set_dispatch_info(const std::string& arch, const std::string& gemm_kernel)
{
    dispatch().arch = arch;
    dispatch().kernel = gemm_kernel;
}

std::vector<std::pair<std::string, std::string>> machine_context()
{
    std::vector<std::pair<std::string, std::string>> c;
    c.emplace_back("finegrain_version", FINEGRAIN_VERSION_STRING);
    c.emplace_back("cpu_model", cpu_model() + " (" + cpu_family_model() + ")");
    c.emplace_back("cpu_features", feature_list());
    c.emplace_back("hardware_threads", std::to_string(std::thread::hardware_concurrency()));
    c.emplace_back("finegrain_arch", dispatch().arch);
    c.emplace_back("finegrain_gemm_kernel", dispatch().kernel);
    c.emplace_back("xsimd_version", std::to_string(XSIMD_VERSION_MAJOR) + "." + std::to_string(XSIMD_VERSION_MINOR) +
                                        "." + std::to_string(XSIMD_VERSION_PATCH));
#if defined(__VERSION__)
    c.emplace_back("compiler", __VERSION__);
#endif
    c.emplace_back("build_type", FINEGRAIN_BENCH_BUILD_TYPE);
#ifdef NDEBUG
    c.emplace_back("asserts", "off (NDEBUG)");
#else
    c.emplace_back("asserts", "on: not a Release build, numbers are not representative");
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
    c.emplace_back("openblas_core", openblas_baseline::core_name());
    c.emplace_back("openblas_config", openblas_baseline::config());
    const char* detected = std::getenv("FINEGRAIN_BENCH_OPENBLAS_DETECTED");
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    std::string choice;
    if (detected != nullptr && coretype != nullptr)
        choice = std::string("OPENBLAS_CORETYPE=") + coretype +
                 " set by the harness (OpenBLAS detected " + detected + ", which does not fit this CPU)";
    else if (coretype != nullptr)
        choice = std::string("OPENBLAS_CORETYPE=") + coretype + " from the environment";
    else
        choice = "OpenBLAS autodetection kept (its core fits this CPU's ISA)";
    c.emplace_back("openblas_core_choice", choice);
#else
    c.emplace_back("openblas", "not found");
#endif
#if FINEGRAIN_BENCH_HAVE_DNNL
    c.emplace_back("dnnl_version", dnnl_baseline::version());
    c.emplace_back("dnnl_threads", "omp_set_num_threads per configuration (OpenMP runtime)");
#else
    c.emplace_back("dnnl", "not found");
#endif
    std::string threads;
    for (int t : bench_threads()) (threads += threads.empty() ? "" : ",") += std::to_string(t);
    c.emplace_back("bench_threads", threads);
    c.emplace_back("finegrain_threads", "finegrain::thread_pool(t) as the plan's executor for t > 1, none for t = 1");
    return c;
}

std::vector<int> bench_threads()
{
    const int hw = std::max(1, int(std::thread::hardware_concurrency()));
    std::vector<int> out;
    const char* env = std::getenv("FINEGRAIN_BENCH_THREADS");
    std::stringstream list(env != nullptr && *env != '\0' ? env : "1,2");
    for (std::string item; std::getline(list, item, ',');) {
        const int t = std::atoi(item.c_str());
        if (t >= 1 && t <= hw && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
    if (out.empty()) out.push_back(1);
    return out;
}

registrar::registrar(registrar_fn fn) { registrars().push_back(fn); }

void run_registrars()
{
    for (registrar_fn fn : registrars()) fn();
}

} // namespace bench
} // namespace finegrain
