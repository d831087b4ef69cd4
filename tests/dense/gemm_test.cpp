#include <string>
#include <vector>

#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/ref/gemm.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using fgtest::random_floats;

namespace {

// pad > 0: B and C rows are n + pad floats apart (views into larger buffers; C's padding must
// stay untouched).
void check_gemm(index_t m, index_t n, index_t k, activation act, bool with_bias, executor* pool, std::uint32_t seed,
                index_t pad = 0)
{
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(pad);
    CAPTURE(to_string(act));
    auto a = random_floats(std::size_t(m * k), seed);
    auto b = random_floats(std::size_t(k * n), seed + 1);
    auto bias = random_floats(std::size_t(m), seed + 2);
    std::vector<float> want(std::size_t(m * n)), got(std::size_t(m * n), -7.0f);
    ref::gemm({a.data(), m, k}, {b.data(), k, n}, {want.data(), m, n}, with_bias ? bias.data() : nullptr, act);
    dense::gemm_options opt;
    opt.bias = with_bias ? bias.data() : nullptr;
    opt.act = act;
    opt.pool = pool;
    dense::gemm_plan<float> plan(matrix_view<const float>(a.data(), m, k), n, opt);
    const index_t ld = n + pad;
    std::vector<float> bs(std::size_t(k * ld), 1e30f), cs(std::size_t(m * ld), -7.0f);
    for (index_t i = 0; i < k; ++i)
        for (index_t j = 0; j < n; ++j) bs[std::size_t(i * ld + j)] = b[std::size_t(i * n + j)];
    plan.run({bs.data(), k, n, ld}, {cs.data(), m, n, ld});
    index_t padding_written = 0;
    for (index_t i = 0; i < m; ++i) {
        for (index_t j = 0; j < n; ++j) got[std::size_t(i * n + j)] = cs[std::size_t(i * ld + j)];
        for (index_t j = n; j < ld; ++j) padding_written += cs[std::size_t(i * ld + j)] != -7.0f;
    }
    CHECK(padding_written == 0);
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(k, 1, 1), plan.kernel_name());
}

} // namespace

TEST_CASE("dense gemm plan matches the reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        dense::gemm_plan<float> probe(matrix_view<const float>(std::vector<float>(4, 1.f).data(), 2, 2), 2);
        CHECK(probe.arch() == A::id);
        const index_t mr = dense::gemm_kernels<A>::mr, nr = dense::gemm_kernels<A>::nr;
        SUBCASE("edge battery around the tile")
        {
            std::uint32_t seed = 1;
            for (index_t m : {index_t(1), mr - 1, mr, mr + 1, 2 * mr + 3})
                for (index_t n : {index_t(1), index_t(2), nr - 1, nr, nr + 1, 3 * nr + 5})
                    for (index_t k : {index_t(1), index_t(7), index_t(33)})
                        if (m > 0 && n > 0) check_gemm(m, n, k, activation::none, true, nullptr, seed++);
        }
        SUBCASE("k across several cache blocks, epilogues")
        {
            check_gemm(37, 29, 700, activation::relu, true, nullptr, 11);
            check_gemm(13, 50, 321, activation::relu6, false, nullptr, 12);
            check_gemm(250, 70, 19, activation::none, false, nullptr, 13);
            check_gemm(2 * mr + 1, nr, 1000, activation::relu, true, nullptr, 14);  // one B sliver: K in one block
        }
        SUBCASE("narrow tile: B of at most one vector of columns")
        {
            const index_t lanes = dense::gemm_kernels<A>::narrow_nr;
            std::uint32_t seed = 51;
            for (index_t n : {index_t(2), lanes - 1, lanes, lanes + 1}) {
                if (n < 2) continue;
                const std::vector<float> ones(std::size_t(3 * 5), 1.0f);
                dense::gemm_plan<float> plan(matrix_view<const float>(ones.data(), 3, 5), n);
                const bool narrow = n <= lanes && lanes < nr;
                const std::string tile = "_" + std::to_string(mr) + "x" + std::to_string(narrow ? lanes : nr) + "__";
                CHECK_MESSAGE(std::string(plan.kernel_name()).find(tile) != std::string::npos, plan.kernel_name());
                for (index_t m : {index_t(1), mr - 1, mr + 1, 3 * mr})
                    if (m > 0) check_gemm(m, n, 300, activation::relu, true, nullptr, seed++);
                thread_pool pool(2);
                check_gemm(5 * mr + 2, n, 65, activation::none, true, &pool, seed++, 3);
            }
        }
        SUBCASE("threads")
        {
            thread_pool pool(3);
            check_gemm(64, 300, 80, activation::relu, true, &pool, 21);
            check_gemm(70, 9, 40, activation::none, true, &pool, 22);
            check_gemm(33, 1, 70, activation::relu, true, &pool, 23);
        }
        SUBCASE("gemv (n = 1)")
        {
            for (index_t m : {1, 3, 4, 5, 17})
                for (index_t k : {1, 15, 16, 17, 64, 100}) check_gemm(m, 1, k, activation::relu6, true, nullptr, 31);
        }
        SUBCASE("strided B and C (x a column of a wider matrix at n = 1)")
        {
            thread_pool pool(2);
            for (index_t pad : {1, 5})
                for (index_t n : {index_t(1), nr + 3}) {
                    check_gemm(19, n, 37, activation::relu, true, nullptr, 41, pad);
                    check_gemm(300, n, 20, activation::none, false, &pool, 42, pad);
                }
        }
    });
}

TEST_CASE("dense gemm plan rejects bad shapes")
{
    std::vector<float> a(6, 1.0f), b(6, 1.0f), c(6);
    dense::gemm_plan<float> plan(matrix_view<const float>(a.data(), 2, 3), 2);
    CHECK_THROWS_AS(plan.run({b.data(), 2, 3}, {c.data(), 2, 3}), finegrain::error);
    CHECK_THROWS_WITH_AS(plan.run({b.data(), 3, 2}, {c.data(), 3, 2}), doctest::Contains("c.rows"), finegrain::error);
    CHECK_THROWS_WITH_AS(dense::gemm_plan<float>(matrix_view<const float>(a.data(), 2, 3), 0),
                         doctest::Contains("gemm_shape.n = 0"), finegrain::error);
}
