// How long one cache line takes to go from one core to another and back on this machine: the
// floor under every hand-over between threads (a pool's batch and its "done" count, a spike list
// written on one core and read on another). Two threads, pinned to CPUs 0 and 1, bounce a counter
// through two cache lines a million times; the mean round trip is printed.
//
//   g++ -O2 -pthread bench/core_round_trip.cpp -o build/core_round_trip && build/core_round_trip
//
// spikerate's step on threads has two such hand-overs per phase (sim/worker_pool.hpp), so a step
// of a few microseconds (Diehl & Cook 400: about 8 us on one thread) cannot halve on a machine
// whose round trip is a sizeable part of a microsecond.
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace {

struct alignas(64) Line {
    std::atomic<long> value{0};
};
Line ping;
Line pong;

bool pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

}  // namespace

int main() {
    constexpr long rounds = 1'000'000;
    bool other_pinned = false;  // written by the other thread, read after it is joined
    std::thread other([&] {
        other_pinned = pin_to(1);
        for (long i = 1; i <= rounds; ++i) {
            while (ping.value.load(std::memory_order_acquire) != i) {
            }
            pong.value.store(i, std::memory_order_release);
        }
    });
    const bool pinned = pin_to(0);
    const auto start = std::chrono::steady_clock::now();
    for (long i = 1; i <= rounds; ++i) {
        ping.value.store(i, std::memory_order_release);
        while (pong.value.load(std::memory_order_acquire) != i) {
        }
    }
    const auto stop = std::chrono::steady_clock::now();
    other.join();
    const double ns = std::chrono::duration<double, std::nano>(stop - start).count() / rounds;
    std::printf("core 0 <-> core 1: %.0f ns per round trip%s\n", ns,
                pinned && other_pinned ? "" : " (not pinned: fewer than 2 CPUs, or not allowed)");
    return 0;
}
