#include "demo.hpp"

#include <algorithm>
#include <chrono>
#include <ostream>

#include <fmt/ostream.h>

#include "sim/examples.hpp"
#include "sim/network.hpp"

namespace spikerate::app {

namespace {

constexpr double g_max = sim::examples::song_2000_g_max;

struct WeightSummary {
    double mean;
    double below_10_percent;  // fraction of weights < 0.1 g_max
    double above_90_percent;  // fraction of weights > 0.9 g_max
};

WeightSummary summarise(std::span<const double> w) {
    const auto n = static_cast<double>(w.size());
    const auto count = [&](auto pred) { return std::count_if(w.begin(), w.end(), pred) / n; };
    double sum = 0.0;
    for (const double x : w) sum += x;
    return {sum / n, count([](double x) { return x < 0.1 * g_max; }),
            count([](double x) { return x > 0.9 * g_max; })};
}

}  // namespace

int run_demo(double duration_s, std::uint64_t seed, std::ostream& out) {
    sim::Network net(sim::examples::song_miller_abbott_2000(seed));
    const auto& synapses = net.projection("input->neuron");
    const auto& neuron = net.population("neuron");

    fmt::print(out,
               "spikerate demo: Song, Miller & Abbott (2000) STDP, as in Brian2's example\n"
               "  1000 Poisson inputs at 15 Hz -> 1 conductance LIF neuron (lif_cond, rk4)\n"
               "  additive pair STDP, tau 20 ms, A_plus = 0.01 g_max, A_minus = 1.05 A_plus, "
               "w in [0, g_max = {} nS]\n"
               "  dt = {} ms, seed {}, {} s simulated\n\n",
               g_max, net.grid().dt(), seed, duration_s);
    fmt::print(out, "{:>8}  {:>12}  {:>14}  {:>12}  {:>12}\n", "t [s]", "rate [Hz]",
               "mean w/g_max", "w<0.1 g_max", "w>0.9 g_max");
    const auto print_row = [&](double t_s, double rate_hz) {
        const auto w = summarise(synapses.weights());
        fmt::print(out, "{:8.1f}  {:12.1f}  {:14.3f}  {:11.1f}%  {:11.1f}%\n", t_s, rate_hz,
                   w.mean / g_max, 100.0 * w.below_10_percent, 100.0 * w.above_90_percent);
    };
    print_row(0.0, 0.0);

    const auto start = std::chrono::steady_clock::now();
    const int rows = 10;
    const double window_s = duration_s / rows;
    for (int row = 1; row <= rows; ++row) {
        const auto spikes_before = neuron.spike_count();
        net.run(window_s * 1e3);
        print_row(row * window_s, static_cast<double>(neuron.spike_count() - spikes_before) / window_s);
    }
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    fmt::print(out,
               "\nwork done: {} input spikes, {} synaptic events, {} plasticity updates, "
               "{} neuron updates\n"
               "wall time: {:.2f} s for {} s simulated ({:.1f}x real time)\n"
               "Brian2 2.5.1 reference after 100 s: 23 % of weights below 0.1 g_max, 18.5 % "
               "above 0.9 g_max, 26.4 Hz (../shared/REFERENCES.md)\n",
               net.population("input").spike_count(), synapses.synaptic_events(),
               synapses.plasticity_updates(), neuron.neuron_updates(), wall_s, duration_s,
               duration_s / wall_s);
    return 0;
}

}  // namespace spikerate::app
