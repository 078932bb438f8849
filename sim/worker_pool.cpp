#include "worker_pool.hpp"

#include <algorithm>

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

WorkerPool::WorkerPool(std::uint32_t threads)
    : queues_(threads == 0 ? 1 : threads),
      queue_begin_(std::size_t{threads} + 1, 0),
      queue_fill_(threads, 0) {
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    workers_.reserve(threads - 1);
    for (std::uint32_t t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
}

WorkerPool::~WorkerPool() {
    stopping_.store(true, std::memory_order_relaxed);
    batch_.store(make_batch(generation_of(batch_.load()) + 1, 0), std::memory_order_release);
    batch_.notify_all();
    // the jthreads join here
}

void WorkerPool::take_tasks(std::uint32_t generation, std::uint32_t self) {
    const auto n_queues = static_cast<std::uint32_t>(queues_.size());
    for (std::uint32_t k = 0; k < n_queues; ++k) {
        const std::uint32_t q = (self + k) % n_queues;  // its own first, then the others'
        std::atomic<std::uint64_t>& word = queues_[q].word;
        std::uint64_t batch = word.load(std::memory_order_acquire);
        for (;;) {
            if (generation_of(batch) != generation || next_of(batch) >= count_of(batch)) break;
            if (!word.compare_exchange_weak(batch, batch + 1, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
                continue;
            }
            // Claimed: the batch cannot end, nor its task change, before this task returns.
            const std::uint32_t task = order_[queue_begin_[q] + next_of(batch)];
            try {
                function_(context_, task);
            } catch (...) {
                errors_[task] = std::current_exception();
            }
            done_.fetch_add(1, std::memory_order_acq_rel);
            batch = word.load(std::memory_order_acquire);
        }
    }
}

void WorkerPool::run_erased(std::uint32_t n_tasks, Erased function, void* context,
                            std::span<const std::uint32_t> home) {
    if (n_tasks == 0) return;
    if (n_tasks > max_tasks) {
        throw Error(
            fmt::format("worker pool: {} tasks in one batch, more than {}", n_tasks, max_tasks));
    }
    if (!home.empty() && home.size() != n_tasks) {
        throw Error(fmt::format("worker pool: {} home threads for {} tasks", home.size(), n_tasks));
    }
    if (errors_.size() < n_tasks) {  // grows to the largest batch
        errors_.resize(n_tasks);
        order_.resize(n_tasks);
    }
    function_ = function;
    context_ = context;
    done_.store(0, std::memory_order_relaxed);
    // The tasks grouped by home thread, in index order within each (a counting sort).
    const auto n_queues = static_cast<std::uint32_t>(queues_.size());
    const auto home_of = [&](std::uint32_t i) { return (home.empty() ? i : home[i]) % n_queues; };
    std::fill(queue_begin_.begin(), queue_begin_.end(), 0U);
    for (std::uint32_t i = 0; i < n_tasks; ++i) ++queue_begin_[home_of(i) + 1];
    for (std::uint32_t q = 0; q < n_queues; ++q) queue_begin_[q + 1] += queue_begin_[q];
    std::copy(queue_begin_.begin(), queue_begin_.end() - 1, queue_fill_.begin());
    for (std::uint32_t i = 0; i < n_tasks; ++i) order_[queue_fill_[home_of(i)]++] = i;
    // Published queue by queue, then the batch the workers wait on; a thread that sees a queue
    // before the others claims from it, which is as good.
    const std::uint32_t generation =
        (generation_of(batch_.load(std::memory_order_relaxed)) + 1) & 0xffffU;
    for (std::uint32_t q = 0; q < n_queues; ++q) {
        const std::uint32_t count = queue_begin_[q + 1] - queue_begin_[q];
        queues_[q].word.store(make_batch(generation, count), std::memory_order_release);
    }
    batch_.store(make_batch(generation, n_tasks), std::memory_order_release);
    if (!workers_.empty()) batch_.notify_all();
    take_tasks(generation, 0);
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

void WorkerPool::work(std::uint32_t self) {
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
        take_tasks(seen, self);
    }
}

}  // namespace spikerate::sim
