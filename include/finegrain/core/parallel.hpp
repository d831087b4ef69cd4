// SPDX-License-Identifier: BSD-3-Clause
// The library owns no threads. Plans split their work into tasks and hand them to an
// `executor`: the caller's pool (implement the two virtuals), the default `thread_pool`,
// or none (serial). Nothing here allocates per call.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "finegrain/core/error.hpp"

namespace finegrain {

/// A non-owning reference to a callable `void(std::size_t task, std::size_t worker)`.
/// Unlike std::function it never allocates; the referenced callable must outlive the call.
class task_ref {
public:
    template <class F, class = std::enable_if_t<!std::is_same<std::decay_t<F>, task_ref>::value>>
    task_ref(F&& f) noexcept  // NOLINT(google-explicit-constructor)
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* o, std::size_t task, std::size_t worker) {
              (*static_cast<std::remove_reference_t<F>*>(o))(task, worker);
          })
    {
    }
    void operator()(std::size_t task, std::size_t worker) const { call_(object_, task, worker); }

private:
    void* object_;
    void (*call_)(void*, std::size_t, std::size_t);
};

/// Runs `tasks` independent tasks, each exactly once, on up to `concurrency()` workers, and
/// returns when all are done. `worker` is in [0, concurrency()) and is unique among the
/// tasks running at the same time, so a plan can give each worker its own scratch space.
class executor {
public:
    virtual ~executor() = default;
    virtual std::size_t concurrency() const noexcept = 0;
    virtual void run(std::size_t tasks, task_ref fn) = 0;
};

/// A fixed set of std::thread workers; the calling thread works too (worker 0).
/// Workers spin briefly between jobs, then sleep, so back-to-back layer calls stay cheap; a
/// worker still waking when the caller has run every task is not waited for (on a 2-vCPU guest
/// a sleeping worker took 80-100 us to wake, 1.3 ms when both vCPUs had been idle).
class thread_pool final : public executor {
public:
    /// `threads` = total workers including the caller; 0 means std::thread::hardware_concurrency().
    explicit thread_pool(std::size_t threads = 0)
    {
        if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
        detail::require(threads <= 1024, "thread_pool.threads", threads, "must be <= 1024");
        concurrency_ = threads;
        for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    }
    ~thread_pool() override
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_.store(true, std::memory_order_relaxed);  // published by the generation bump below
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        for (auto& t : workers_) t.join();
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    std::size_t concurrency() const noexcept override { return concurrency_; }

    void run(std::size_t tasks, task_ref fn) override
    {
        if (tasks == 0) return;
        if (concurrency_ == 1 || tasks == 1) {
            for (std::size_t t = 0; t < tasks; ++t) fn(t, 0);
            return;
        }
        std::lock_guard<std::mutex> serial(run_mutex_);  // one job at a time per pool
        for (std::size_t first = 0; first < tasks; first += max_batch) {
            const std::size_t count = std::min(max_batch, tasks - first);
            auto shifted = [&](std::size_t t, std::size_t worker) { fn(first + t, worker); };
            run_batch(count, first == 0 && count == tasks ? fn : task_ref(shifted));
        }
    }

private:
    // Tasks of one job are claimed from claim_ = count << 32 | next (one fetch_add each). A
    // worker counts itself in busy_ before it claims and leaves after its last task, so the
    // caller waits only for workers that joined: one still waking when the caller has run every
    // task is not waited for (it finds the job exhausted). Sequentially consistent ordering of
    // busy_ and claim_ makes a worker that claimed a task visible in busy_ to the caller.
    static constexpr std::size_t max_batch = std::size_t(1) << 31;

    void run_batch(std::size_t tasks, task_ref fn)
    {
        job_ = &fn;
        claim_.store(std::uint64_t(tasks) << 32);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        drain(0);
        while (busy_.load() != 0) std::this_thread::yield();
    }
    void drain(std::size_t worker)
    {
        for (;;) {
            const std::uint64_t s = claim_.fetch_add(1);
            const std::size_t t = static_cast<std::size_t>(s & 0xffffffffu), count = static_cast<std::size_t>(s >> 32);
            if (t >= count) break;
            (*job_)(t, worker);
        }
    }
    void worker_loop(std::size_t worker)
    {
        std::size_t seen = 0;
        for (;;) {
            // Spin a little for the next job before sleeping.
            std::size_t gen = generation_.load(std::memory_order_acquire);
            for (int spin = 0; gen == seen && spin < 20000; ++spin) {
                std::this_thread::yield();
                gen = generation_.load(std::memory_order_acquire);
            }
            if (gen == seen) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
                gen = generation_.load(std::memory_order_acquire);
            }
            seen = gen;
            if (stop_.load(std::memory_order_relaxed)) return;  // ordered by the acquire of generation_
            busy_.fetch_add(1);
            drain(worker);
            busy_.fetch_sub(1);
        }
    }

    std::size_t concurrency_ = 1;
    std::vector<std::thread> workers_;
    std::mutex mutex_, run_mutex_;
    std::condition_variable wake_;
    std::atomic<std::size_t> generation_{0};
    std::atomic<std::uint64_t> claim_{0};
    std::atomic<std::size_t> busy_{0};
    const task_ref* job_ = nullptr;
    // Atomic: a worker that joined a job too late for the caller to wait on it reads stop_
    // with no happens-before edge to the destructor's write (TSan).
    std::atomic<bool> stop_{false};
};

/// Runs fn(task, worker) for task in [0, tasks): on `pool` when given, else serially (worker 0).
inline void parallel_for(executor* pool, std::size_t tasks, task_ref fn)
{
    if (pool == nullptr || pool->concurrency() <= 1 || tasks <= 1) {
        for (std::size_t t = 0; t < tasks; ++t) fn(t, 0);
        return;
    }
    pool->run(tasks, fn);
}

/// Workers a plan must provision scratch space for when it runs on `pool`.
inline std::size_t concurrency_of(const executor* pool) noexcept { return pool ? std::max<std::size_t>(1, pool->concurrency()) : 1; }

} // namespace finegrain
