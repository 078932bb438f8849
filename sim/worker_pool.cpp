#include "worker_pool.hpp"

#include <fmt/format.h>

#include "models/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace spikerate::sim {

namespace {

// A batch word: generation (16 bits, wrapping), task count (24 bits), next unclaimed task (24
// bits). A claim is a compare-exchange of the whole word, so it is valid for the batch current
// at that moment, whatever a slow thread saw before.
constexpr std::uint32_t generation_of(std::uint64_t batch) {
    return static_cast<std::uint32_t>(batch >> 48);
}
constexpr std::uint32_t count_of(std::uint64_t batch) {
    return static_cast<std::uint32_t>(batch >> 24) & 0xffffffU;
}
constexpr std::uint32_t next_of(std::uint64_t batch) {
    return static_cast<std::uint32_t>(batch) & 0xffffffU;
}
constexpr std::uint64_t make_batch(std::uint32_t generation, std::uint32_t count) {
    return (std::uint64_t{generation & 0xffffU} << 48) | (std::uint64_t{count} << 24);
}

// Waiting by spinning: a pause instruction, then handing the core to whatever else is runnable,
// then (for the workers) sleeping until notified.
class Backoff {
  public:
    void wait() {
        if (++spins_ < pause_spins) {
#if defined(__x86_64__) || defined(__i386__)
            _mm_pause();
#endif
        } else {
            std::this_thread::yield();
        }
    }
    bool exhausted() const { return spins_ >= pause_spins + yield_spins; }

  private:
    static constexpr int pause_spins = 256;
    static constexpr int yield_spins = 2048;
    int spins_ = 0;
};

}  // namespace

WorkerPool::WorkerPool(std::uint32_t threads) {
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    workers_.reserve(threads - 1);
    for (std::uint32_t t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
    stopping_.store(true, std::memory_order_relaxed);
    batch_.store(make_batch(generation_of(batch_.load()) + 1, 0), std::memory_order_release);
    batch_.notify_all();
    // the jthreads join here
}

void WorkerPool::take_tasks(std::uint32_t generation) {
    std::uint64_t batch = batch_.load(std::memory_order_acquire);
    for (;;) {
        if (generation_of(batch) != generation || next_of(batch) >= count_of(batch)) return;
        if (!batch_.compare_exchange_weak(batch, batch + 1, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
            continue;
        }
        // Claimed: the batch cannot end, nor its task change, before this task returns.
        const std::uint32_t task = next_of(batch);
        try {
            function_(context_, task);
        } catch (...) {
            errors_[task] = std::current_exception();
        }
        done_.fetch_add(1, std::memory_order_acq_rel);
        batch = batch_.load(std::memory_order_acquire);
    }
}

void WorkerPool::run_erased(std::uint32_t n_tasks, Erased function, void* context) {
    if (n_tasks == 0) return;
    if (n_tasks > max_tasks) {
        throw Error(
            fmt::format("worker pool: {} tasks in one batch, more than {}", n_tasks, max_tasks));
    }
    if (errors_.size() < n_tasks) errors_.resize(n_tasks);  // grows once, to the largest batch
    function_ = function;
    context_ = context;
    done_.store(0, std::memory_order_relaxed);
    const std::uint32_t generation =
        (generation_of(batch_.load(std::memory_order_relaxed)) + 1) & 0xffffU;
    batch_.store(make_batch(generation, n_tasks), std::memory_order_release);  // publishes it
    if (!workers_.empty()) batch_.notify_all();
    take_tasks(generation);
    Backoff backoff;
    while (done_.load(std::memory_order_acquire) != n_tasks) backoff.wait();
    for (std::uint32_t i = 0; i < n_tasks; ++i) {
        if (errors_[i]) {
            std::exception_ptr first = std::exchange(errors_[i], nullptr);
            for (std::uint32_t j = i + 1; j < n_tasks; ++j) errors_[j] = nullptr;
            std::rethrow_exception(first);
        }
    }
}

void WorkerPool::work() {
    std::uint32_t seen = 0;  // the last generation taken part in
    for (;;) {
        Backoff backoff;
        std::uint64_t batch = batch_.load(std::memory_order_acquire);
        while (generation_of(batch) == seen) {
            if (backoff.exhausted()) {
                batch_.wait(batch, std::memory_order_acquire);
            } else {
                backoff.wait();
            }
            batch = batch_.load(std::memory_order_acquire);
        }
        seen = generation_of(batch);
        if (stopping_.load(std::memory_order_relaxed)) return;
        take_tasks(seen);
    }
}

}  // namespace spikerate::sim
