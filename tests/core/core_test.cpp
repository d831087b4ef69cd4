#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "support/testing.hpp"

using namespace finegrain;

TEST_CASE("error messages name the argument and the value")
{
    CHECK_THROWS_WITH_AS(matrix_view<float>(nullptr, 3, 4), "finegrain: matrix_view.data = nullptr: must not be null",
                         finegrain::error);
    float x[12] = {};
    CHECK_THROWS_WITH_AS(matrix_view<float>(x, -2, 4), "finegrain: matrix_view.rows = -2: must be > 0", finegrain::error);
    CHECK_THROWS_WITH_AS(matrix_view<float>(x, 2, 0), "finegrain: matrix_view.cols = 0: must be > 0", finegrain::error);
    CHECK_THROWS_WITH_AS(matrix_view<float>(x, 2, 4, 3), "finegrain: matrix_view.row_stride = 3: must be >= cols",
                         finegrain::error);
    const index_t huge = std::numeric_limits<index_t>::max() / 2;
    CHECK_THROWS_WITH_AS(matrix_view<float>(x, huge, 4), doctest::Contains("overflow"), finegrain::error);
    CHECK_THROWS_WITH_AS(matrix_view<float>(x, huge / 4, 4), doctest::Contains("address range"), finegrain::error);
    // finegrain::error is a std::invalid_argument, so generic handlers catch it too.
    CHECK_THROWS_AS(matrix_view<float>(x, 0, 1), std::invalid_argument);
}

TEST_CASE("matrix_view addresses rows with its stride and converts to const")
{
    std::vector<float> v(20);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i);
    matrix_view<float> m(v.data(), 3, 4, 6);
    CHECK(m(2, 3) == 15.0f);
    CHECK(m.row(1)[0] == 6.0f);
    matrix_view<const float> c = m;
    CHECK(c(1, 2) == 8.0f);
    CHECK(c.row_stride() == 6);
}

TEST_CASE("tensor4_view: NCHW strides, validation, contiguity")
{
    std::vector<float> v(2 * 3 * 4 * 5);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i);
    tensor4_view<float> t(v.data(), {2, 3, 4, 5});
    CHECK(t.contiguous());
    CHECK(t(1, 2, 3, 4) == float(1 * 60 + 2 * 20 + 3 * 5 + 4));
    CHECK(t.plane(1, 1)[0] == 80.0f);
    tensor4_view<const float> ct = t;
    CHECK(ct(0, 1, 0, 0) == 20.0f);

    std::vector<float> padded(2 * 3 * 4 * 8);
    tensor4_view<float> p(padded.data(), {2, 3, 4, 5}, 3 * 4 * 8, 4 * 8, 8);
    CHECK_FALSE(p.contiguous());
    p(1, 2, 3, 4) = 9.0f;
    CHECK(padded[std::size_t(1 * 96 + 2 * 32 + 3 * 8 + 4)] == 9.0f);

    CHECK_THROWS_WITH_AS(tensor4_view<float>(v.data(), {2, 3, 4, 5}, 60, 20, 4), doctest::Contains("stride_h = 4"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(tensor4_view<float>(v.data(), {2, 3, 4, 5}, 60, 19, 5), doctest::Contains("stride_c = 19"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(tensor4_view<float>(v.data(), {2, 3, 4, 5}, 59, 20, 5), doctest::Contains("stride_n = 59"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(tensor4_view<float>(v.data(), {2, -3, 4, 5}), doctest::Contains("tensor4_view.c = -3"),
                         finegrain::error);
    CHECK_THROWS_WITH_AS(tensor4_view<float>(nullptr, {1, 1, 1, 1}), doctest::Contains("tensor4_view.data"),
                         finegrain::error);
}

TEST_CASE("aligned_buffer: aligned, zeroed, padded, movable")
{
    aligned_buffer<float> b(37, 16);
    CHECK(b.size() == 37);
    CHECK(b.bytes() == (37 + 16) * sizeof(float));
    CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0);
    for (index_t i = 0; i < 37 + 16; ++i) CHECK(b.data()[i] == 0.0f);
    b[3] = 2.5f;
    aligned_buffer<float> moved = std::move(b);
    CHECK(moved[3] == 2.5f);
    CHECK(b.data() == nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    aligned_buffer<float> copy = moved.clone();
    CHECK(copy[3] == 2.5f);
    CHECK(copy.data() != moved.data());
    CHECK_THROWS_WITH_AS(aligned_buffer<float>(-1), "finegrain: aligned_buffer.size = -1: must be >= 0",
                         finegrain::error);
    CHECK_THROWS_AS(aligned_buffer<float>(std::numeric_limits<index_t>::max() / 2), finegrain::error);
    aligned_buffer<float> empty(0);
    CHECK(empty.empty());
}

TEST_CASE("aligned_buffer: page_policy::huge")
{
    const index_t n = index_t(3) << 20 >> 2;  // 3 MB of floats: large enough for a 2 MB mapping
    aligned_buffer<float> b(n, 16, page_policy::huge);
    CHECK(b.size() == n);
    CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0);
#if defined(__linux__)
    CHECK(b.huge_pages_advised());
    CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % (std::uintptr_t(2) << 20) == 0);
#endif
    bool zero = true;
    for (index_t i = 0; i < n + 16; i += 997) zero = zero && b[i] == 0.0f;
    CHECK(zero);
    CHECK(b.data()[n + 15] == 0.0f);
    b[n - 1] = 4.0f;
    aligned_buffer<float> moved = std::move(b);
    CHECK(moved[n - 1] == 4.0f);
    CHECK(!b.huge_pages_advised());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    aligned_buffer<float> copy = moved.clone();
    CHECK(copy[n - 1] == 4.0f);
    CHECK(copy.huge_pages_advised() == moved.huge_pages_advised());
    moved = aligned_buffer<float>(5, 0, page_policy::huge);  // small: an ordinary buffer; the mapping is released
    CHECK(!moved.huge_pages_advised());
    CHECK(moved[4] == 0.0f);
}

TEST_CASE("gemm_shape and conv2d_shape validate every field")
{
    CHECK_NOTHROW(gemm_shape{2, 3, 4}.validate());
    CHECK_THROWS_WITH_AS((gemm_shape{0, 3, 4}.validate()), "finegrain: gemm_shape.m = 0: must be > 0", finegrain::error);
    CHECK_THROWS_WITH_AS((gemm_shape{2, -3, 4}.validate()), doctest::Contains("gemm_shape.n = -3"), finegrain::error);
    const index_t big = index_t(1) << 40;
    CHECK_THROWS_AS((gemm_shape{big, big, 4}.validate()), finegrain::error);

    auto s = conv2d_shape::square(2, 64, 128, 56, 3, 1, 1);
    CHECK_NOTHROW(s.validate());
    CHECK(s.out_height() == 56);
    CHECK(s.taps() == 576);
    CHECK(s.flops() == doctest::Approx(2.0 * 2 * 128 * 56 * 56 * 576));
    auto s2 = conv2d_shape::square(1, 3, 8, 7, 3, 2, 0);
    CHECK(s2.out_width() == 3);

    auto bad = s;
    bad.stride_h = 0;
    CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("conv2d_shape.stride_h = 0"), finegrain::error);
    bad = s;
    bad.pad_w = -1;
    CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("conv2d_shape.pad_w = -1"), finegrain::error);
    bad = s;
    bad.pad_h = 3;
    CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("must be < kernel_h"), finegrain::error);
    bad = conv2d_shape::square(1, 4, 4, 2, 5, 1, 1);
    CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("conv2d_shape.kernel_h = 5"), finegrain::error);
    bad = s;
    bad.in_channels = big;
    bad.in_height = big;
    CHECK_THROWS_AS(bad.validate(), finegrain::error);
}

TEST_CASE("parallel_for runs every task exactly once, serially or on a pool")
{
    for (std::size_t threads : {1u, 2u, 4u}) {
        CAPTURE(threads);
        thread_pool pool(threads);
        CHECK(pool.concurrency() == threads);
        for (std::size_t tasks : {0u, 1u, 3u, 100u}) {
            std::vector<std::atomic<int>> hits(tasks);
            std::vector<std::atomic<int>> busy(threads);
            std::atomic<bool> overlap{false};
            parallel_for(&pool, tasks, [&](std::size_t t, std::size_t w) {
                REQUIRE(w < threads);
                if (busy[w].fetch_add(1) != 0) overlap = true;  // worker ids are exclusive
                hits[t].fetch_add(1);
                busy[w].fetch_sub(1);
            });
            for (auto& h : hits) CHECK(h.load() == 1);
            CHECK_FALSE(overlap.load());
        }
    }
    int serial = 0;
    parallel_for(nullptr, 5, [&](std::size_t, std::size_t w) { serial += w == 0 ? 1 : 100; });
    CHECK(serial == 5);
    CHECK(concurrency_of(nullptr) == 1);
    CHECK_THROWS_WITH_AS(thread_pool(5000), doctest::Contains("thread_pool.threads = 5000"), finegrain::error);
}

TEST_CASE("thread_pool: back-to-back jobs, workers asleep or joining late, every task exactly once")
{
    // Jobs of 1..40 tasks in a row, with pauses long enough for the workers to fall asleep: a
    // worker that wakes after the caller ran every task finds the job exhausted (the caller does
    // not wait for it) and must never run a task twice or under another worker's id.
    std::uint32_t seed = 1;
    for (std::size_t threads : {2u, 3u}) {
        CAPTURE(threads);
        thread_pool pool(threads);
        for (int job = 0; job < 400; ++job) {
            seed = seed * 1664525u + 1013904223u;
            const std::size_t tasks = 1 + (seed >> 8) % 40;
            std::vector<std::atomic<int>> hits(tasks);
            std::vector<std::atomic<int>> busy(threads);
            std::atomic<bool> overlap{false}, bad_worker{false};
            pool.run(tasks, [&](std::size_t t, std::size_t w) {
                if (w >= threads) {
                    bad_worker = true;
                    return;
                }
                if (busy[w].fetch_add(1) != 0) overlap = true;
                hits[t].fetch_add(1);
                busy[w].fetch_sub(1);
            });
            int wrong = 0;
            for (auto& h : hits) wrong += h.load() != 1;
            REQUIRE(wrong == 0);
            REQUIRE_FALSE(overlap.load());
            REQUIRE_FALSE(bad_worker.load());
            if (job % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(40));  // workers go to sleep
        }
    }
}

namespace {
// A user pool: the executor interface is all a plan needs.
struct counting_executor final : executor {
    std::size_t calls = 0;
    std::size_t concurrency() const noexcept override { return 3; }
    void run(std::size_t tasks, task_ref fn) override
    {
        ++calls;
        for (std::size_t t = 0; t < tasks; ++t) fn(t, t % 3);
    }
};
} // namespace

TEST_CASE("parallel_for hands work to a user-supplied executor")
{
    counting_executor ex;
    std::vector<int> seen(7, 0);
    parallel_for(&ex, seen.size(), [&](std::size_t t, std::size_t) { seen[t]++; });
    CHECK(ex.calls == 1);
    for (int s : seen) CHECK(s == 1);
}
