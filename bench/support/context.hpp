// SPDX-License-Identifier: BSD-3-Clause
// What a benchmark run records about itself (Google Benchmark's JSON "context", compare's JSON),
// the OpenBLAS core-type choice, the thread counts to run, and the registration hook of each
// benchmark binary.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace finegrain {
namespace bench {

/// Makes sure OpenBLAS runs kernels that fit this CPU. Call first thing in main().
///
/// OpenBLAS picks its core type when the library loads, from OPENBLAS_CORETYPE or its own
/// detection; a DYNAMIC_ARCH build that does not know the CPU falls back to SSE3 (Prescott)
/// kernels (research/baselines.md §1: 13-28 instead of ~100 GFLOP/s on an AVX-512 Xeon).
/// When OPENBLAS_CORETYPE is unset and the detected core does not match the CPU's best ISA
/// (AVX-512 -> SkylakeX/Cooperlake/SapphireRapids; AVX2+FMA -> Haswell/Zen/...), this sets
/// OPENBLAS_CORETYPE (Cooperlake with AVX-512, Haswell with AVX2) and re-executes the program
/// once. A user-set OPENBLAS_CORETYPE is kept. The choice is recorded in machine_context().
void select_openblas_core(char** argv);

/// Recorded by the binary (which carries the runtime-dispatch TUs): the arch and GEMM kernel
/// that finegrain plans choose on this CPU.
void set_dispatch_info(const std::string& arch, const std::string& gemm_kernel);

/// key/value pairs: CPU, finegrain features and chosen arch, versions, OpenBLAS core, threads.
std::vector<std::pair<std::string, std::string>> machine_context();

/// Thread counts to benchmark: $FINEGRAIN_BENCH_THREADS (e.g. "1,2"), default 1 and 2,
/// never more than the hardware threads.
std::vector<int> bench_threads();

/// Registration hook: a benchmark TU defines `FINEGRAIN_BENCH_REGISTER(fn)`; main() calls every
/// registered fn (after flags are parsed, inside a try block) before running benchmarks.
using registrar_fn = void (*)();
struct registrar {
    explicit registrar(registrar_fn fn);
};
void run_registrars();

} // namespace bench
} // namespace finegrain

#define FINEGRAIN_BENCH_CAT2(a, b) a##b
#define FINEGRAIN_BENCH_CAT(a, b) FINEGRAIN_BENCH_CAT2(a, b)
#define FINEGRAIN_BENCH_REGISTER(fn) \
    static const ::finegrain::bench::registrar FINEGRAIN_BENCH_CAT(finegrain_bench_registrar_, __LINE__)(fn)
