#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

namespace spikerate::sim {

// A fixed set of threads that live as long as the pool: run(task) calls task(0) on the calling
// thread and task(1) ... task(n - 1) on the workers, and returns when all have returned. Meant
// for short tasks called many times (one per phase of a simulation step): no thread is created
// per call, nothing is allocated per call, and idle workers spin briefly (yielding the core)
// before they sleep, so a call on a warm pool costs about a microsecond.
//
// An exception thrown by a task is caught on its thread; run() rethrows the one of the lowest
// thread index after every task has returned, so the pool stays usable.
//
//   WorkerPool pool(4);
//   pool.run([&](std::uint32_t thread) { work_on(range_of(thread)); });
class WorkerPool {
  public:
    explicit WorkerPool(std::uint32_t threads);  // >= 1; threads - 1 workers are started
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    std::uint32_t threads() const { return static_cast<std::uint32_t>(errors_.size()); }

    template <class Task>
    void run(Task& task) {
        run_erased(
            [](void* context, std::uint32_t thread) { (*static_cast<Task*>(context))(thread); },
            &task);
    }

  private:
    using Erased = void (*)(void* context, std::uint32_t thread);
    void run_erased(Erased function, void* context);
    void work(std::uint32_t thread);
    void call(std::uint32_t thread) noexcept;

    Erased function_ = nullptr;
    void* context_ = nullptr;
    std::atomic<std::uint64_t> generation_{0};  // one more per run(); workers wait for a change
    std::atomic<std::uint32_t> busy_{0};        // workers still in the current task
    std::atomic<bool> stopping_{false};
    std::vector<std::exception_ptr> errors_;  // by thread
    std::vector<std::jthread> workers_;
};

}  // namespace spikerate::sim
