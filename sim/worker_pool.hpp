#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <span>
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
// Each task has a home thread (thread 0 is the caller, 1 ... threads - 1 the workers): a thread
// claims its own tasks first and then those the others have not claimed yet. Giving the same
// part of the data the same home at every call keeps it in that core's cache instead of moving
// it between cores at every step, as tasks taken by whichever thread comes first would.
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

    // Task i's home is home[i] % threads() (one per task), or i % threads() without `home`.
    template <class Task>
    void run(std::uint32_t n_tasks, Task&& task, std::span<const std::uint32_t> home = {}) {
        run_erased(
            n_tasks,
            [](void* context, std::uint32_t i) { (*static_cast<std::decay_t<Task>*>(context))(i); },
            const_cast<void*>(static_cast<const void*>(&task)), home);
    }

  private:
    using Erased = void (*)(void* context, std::uint32_t task);
    void run_erased(std::uint32_t n_tasks, Erased function, void* context,
                    std::span<const std::uint32_t> home);
    void work(std::uint32_t self);
    // Claims and runs tasks of the batch `generation`, its own queue first, until none is left.
    void take_tasks(std::uint32_t generation, std::uint32_t self);

    // The batch's generation and task count (worker_pool.cpp), which the workers wait on.
    std::atomic<std::uint64_t> batch_{0};
    // Per thread, the tasks whose home it is: generation, count and next unclaimed one in one
    // word (as the batch), so a claim can never take a task of another batch; a cache line each.
    struct alignas(64) Queue {
        std::atomic<std::uint64_t> word{0};
    };
    std::vector<Queue> queues_;
    std::vector<std::uint32_t> order_;        // the batch's tasks grouped by home thread
    std::vector<std::uint32_t> queue_begin_;  // threads + 1: each queue's tasks in order_
    std::vector<std::uint32_t> queue_fill_;   // threads: scratch for grouping them
    std::atomic<std::uint32_t> done_{0};      // tasks of the batch that have returned
    Erased function_ = nullptr;
    void* context_ = nullptr;
    std::vector<std::exception_ptr> errors_;  // by task
    std::atomic<bool> stopping_{false};
    std::vector<std::jthread> workers_;
};

}  // namespace spikerate::sim
