#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

namespace spikerate::sim {

// A fixed set of threads that live as long as the pool, for short batches of independent tasks
// called many times (the phases of a simulation step): run(n, task) calls task(0) ... task(n - 1),
// each exactly once, on the calling thread and the workers, and returns when all have returned.
// Tasks are claimed one at a time, so the caller never waits for a worker that has not started
// (on a machine busier than its cores, a descheduled worker only means fewer hands); nothing is
// allocated per call, and idle workers spin briefly (yielding the core) before they sleep.
// Which thread runs a task must not matter to the result: tasks write disjoint data.
//
// An exception thrown by a task is caught; run() rethrows the one of the lowest task index after
// every task has returned, so the pool stays usable.
//
//   WorkerPool pool(4);
//   pool.run(parts.size(), [&](std::size_t i) { advance(parts[i]); });
class WorkerPool {
  public:
    explicit WorkerPool(std::uint32_t threads);  // >= 1; threads - 1 workers are started
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    std::uint32_t threads() const { return static_cast<std::uint32_t>(workers_.size()) + 1; }
    static constexpr std::uint32_t max_tasks = (1U << 24) - 1;  // in one call

    template <class Task>
    void run(std::uint32_t n_tasks, Task&& task) {
        run_erased(
            n_tasks,
            [](void* context, std::uint32_t i) { (*static_cast<std::decay_t<Task>*>(context))(i); },
            const_cast<void*>(static_cast<const void*>(&task)));
    }

  private:
    using Erased = void (*)(void* context, std::uint32_t task);
    void run_erased(std::uint32_t n_tasks, Erased function, void* context);
    void work();
    // Claims and runs tasks of the batch `generation` until none is left.
    void take_tasks(std::uint32_t generation);

    // The batch: generation, task count and next unclaimed task in one word (worker_pool.cpp),
    // so a claim can never take a task of another batch.
    std::atomic<std::uint64_t> batch_{0};
    std::atomic<std::uint32_t> done_{0};  // tasks of the batch that have returned
    Erased function_ = nullptr;
    void* context_ = nullptr;
    std::vector<std::exception_ptr> errors_;  // by task
    std::atomic<bool> stopping_{false};
    std::vector<std::jthread> workers_;
};

}  // namespace spikerate::sim
