#include <cstdlib>
#include <string>

#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/simd/cpu_features.hpp"
#include "finegrain/simd/dispatch.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using simd::arch_id;

TEST_CASE("cpu_features are consistent")
{
    const auto& f = simd::cpu_features::get();
    CHECK(f.supports(arch_id::scalar));
#if FINEGRAIN_X86_64
    CHECK(f.sse4_2);  // every x86-64 machine this library targets (Nehalem and later)
    if (f.supports(arch_id::avx512)) CHECK(f.supports(arch_id::avx2));
    if (f.supports(arch_id::avx2)) CHECK(f.supports(arch_id::sse4_2));
    CHECK_FALSE(f.supports(arch_id::neon64));
#elif FINEGRAIN_AARCH64
    CHECK(f.supports(arch_id::neon64));
    CHECK_FALSE(f.supports(arch_id::avx2));
#endif
    std::string have;
    for (arch_id a : {arch_id::sse4_2, arch_id::avx2, arch_id::avx512, arch_id::neon64})
        if (f.supports(a)) have += std::string(" ") + simd::to_string(a);
    const std::string note = "this CPU runs: scalar" + have;
    MESSAGE(note);
}

TEST_CASE("the native arch and scalar are always compiled in")
{
    CHECK(simd::is_compiled<simd::scalar>());
    CHECK(simd::is_compiled<simd::native_arch>());
    int count = 0;
    arch_id last = arch_id::avx512;
    simd::for_each_compiled_arch([&](auto a) {
        ++count;
        last = decltype(a)::id;
    });
    CHECK(last == arch_id::scalar);  // best first, scalar last
    CHECK(count >= 1);
}

TEST_CASE("plans pick the best runnable arch, and the cap limits it")
{
    std::vector<float> a(4, 1.0f);
    const arch_id best = simd::with_best_arch([](auto) {});
    dense::gemm_plan<float> plan(matrix_view<const float>(a.data(), 2, 2), 2);
    CHECK(plan.arch() == best);
    CHECK(simd::cpu_features::get().supports(best));
    {
        fgtest::arch_cap_scope cap(arch_id::scalar);
        dense::gemm_plan<float> scalar_plan(matrix_view<const float>(a.data(), 2, 2), 2);
        CHECK(scalar_plan.arch() == arch_id::scalar);
        CHECK(std::string(scalar_plan.kernel_name()) == "f32_gemm_4x4__scalar");
    }
    dense::gemm_plan<float> again(matrix_view<const float>(a.data(), 2, 2), 2);
    CHECK(again.arch() == best);
}

TEST_CASE("FINEGRAIN_FORCE_ARCH caps the choice and rejects unknown names")
{
    const char* old = std::getenv("FINEGRAIN_FORCE_ARCH");
    const std::string saved = old ? old : "";
    ::setenv("FINEGRAIN_FORCE_ARCH", "scalar", 1);
    CHECK(simd::with_best_arch([](auto) {}) == arch_id::scalar);
    ::setenv("FINEGRAIN_FORCE_ARCH", "sse4_2", 1);
    const arch_id capped = simd::with_best_arch([](auto) {});
    CHECK(simd::arch_level(capped) <= 1);
    ::setenv("FINEGRAIN_FORCE_ARCH", "avx9000", 1);
    CHECK_THROWS_WITH_AS(simd::with_best_arch([](auto) {}),
                         "finegrain: FINEGRAIN_FORCE_ARCH = avx9000: must be one of scalar, sse4_2, avx2, avx512, neon64",
                         finegrain::error);
    if (old)
        ::setenv("FINEGRAIN_FORCE_ARCH", saved.c_str(), 1);
    else
        ::unsetenv("FINEGRAIN_FORCE_ARCH");
}

TEST_CASE("parse_arch round-trips every name")
{
    for (arch_id a : {arch_id::scalar, arch_id::sse4_2, arch_id::avx2, arch_id::avx512, arch_id::neon64})
        CHECK(simd::parse_arch(simd::to_string(a), "x") == a);
}
