#include "worker_pool.hpp"

#include <fmt/format.h>

#include "models/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace spikerate::sim {

namespace {

// Spins between checks: a pause instruction, and after a while the core is handed to whatever
// else is runnable (more threads than cores must not starve the one doing work).
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
    static constexpr int pause_spins = 64;
    static constexpr int yield_spins = 4096;  // then sleep until notified (a few ms of yields)
    int spins_ = 0;
};

}  // namespace

WorkerPool::WorkerPool(std::uint32_t threads) {
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    errors_.resize(threads);
    workers_.reserve(threads - 1);
    for (std::uint32_t t = 1; t < threads; ++t) {
        workers_.emplace_back([this, t] { work(t); });
    }
}

WorkerPool::~WorkerPool() {
    stopping_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    // the jthreads join here
}

void WorkerPool::call(std::uint32_t thread) noexcept {
    try {
        function_(context_, thread);
    } catch (...) {
        errors_[thread] = std::current_exception();
    }
}

void WorkerPool::run_erased(Erased function, void* context) {
    function_ = function;
    context_ = context;
    busy_.store(static_cast<std::uint32_t>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);  // publishes the task
    generation_.notify_all();
    call(0);
    Backoff backoff;
    while (busy_.load(std::memory_order_acquire) != 0) backoff.wait();
    for (auto& error : errors_) {
        if (error) {
            std::exception_ptr first = std::exchange(error, nullptr);
            for (auto& other : errors_) other = nullptr;
            std::rethrow_exception(first);
        }
    }
}

void WorkerPool::work(std::uint32_t thread) {
    std::uint64_t seen = 0;
    for (;;) {
        Backoff backoff;
        std::uint64_t now = generation_.load(std::memory_order_acquire);
        while (now == seen) {
            if (backoff.exhausted()) {
                generation_.wait(seen, std::memory_order_acquire);
            } else {
                backoff.wait();
            }
            now = generation_.load(std::memory_order_acquire);
        }
        seen = now;
        if (stopping_.load(std::memory_order_relaxed)) return;
        call(thread);
        busy_.fetch_sub(1, std::memory_order_release);
    }
}

}  // namespace spikerate::sim
