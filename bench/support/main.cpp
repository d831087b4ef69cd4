// SPDX-License-Identifier: BSD-3-Clause
// The main() of every Google Benchmark binary: picks the OpenBLAS core, registers the binary's
// benchmarks (FINEGRAIN_BENCH_REGISTER) and records the machine context in the output.
#include <cstdio>
#include <exception>

#include <benchmark/benchmark.h>

#include "support/context.hpp"

int main(int argc, char** argv)
{
    finegrain::bench::select_openblas_core(argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    try {
        finegrain::bench::run_registrars();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error while registering benchmarks: %s\n", e.what());
        return 1;
    }
    for (const auto& kv : finegrain::bench::machine_context()) benchmark::AddCustomContext(kv.first, kv.second);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
