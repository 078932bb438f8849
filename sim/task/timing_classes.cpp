#include "sim/task/timing_classes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"
#include "sim/memory.hpp"
#include "sim/random_stream.hpp"
#include "sim/task/input_view.hpp"

namespace spikerate::sim::task {

namespace {

void require_count(const char* key, std::uint32_t value, std::uint32_t least) {
    if (value < least) {
        throw ParamError::value(std::string(key), fmt::format("{}: must be >= {}", value, least));
    }
}

// `t` folded into [0, T) by reflection at 0 and T (period 2 T).
double reflect(double t, double duration) {
    double u = std::fmod(t, 2.0 * duration);
    if (u < 0.0) u += 2.0 * duration;
    if (u >= duration) u = 2.0 * duration - u;
    return u < duration ? u : std::nextafter(duration, 0.0);
}

}  // namespace

void TimingClassesParams::validate() const {
    require_count("n_classes", n_classes, 2);
    require_count("n_afferents", n_afferents, 1);
    models::require_positive("duration_ms", duration_ms, "ms");
    require_count("spikes_per_afferent", spikes_per_afferent, 1);
    models::require_non_negative("jitter_ms", jitter_ms, "ms");
    models::require_non_negative("deletion", deletion, "");
    if (deletion > 1.0) {
        throw ParamError::value("deletion",
                                fmt::format("{}: must be <= 1 (a probability)", deletion));
    }
    models::require_non_negative("background_Hz", background_hz, "Hz");
    require_count("train_examples", train_examples, 1);
    require_count("test_examples", test_examples, 1);
    // Spikes (12 bytes each) and the count inputs (4 bytes per afferent) of both sets.
    const double examples = static_cast<double>(train_examples) + test_examples;
    const double spikes = static_cast<double>(n_afferents) *
                          (spikes_per_afferent + background_hz * duration_ms * 1e-3);
    require_memory(examples * (12.0 * spikes + 4.0 * n_afferents), "n_afferents",
                   fmt::format("{:.3g} spikes in each of {} + {} examples", spikes, train_examples,
                               test_examples));
}

std::vector<double> timing_templates(const TimingClassesParams& params, std::uint64_t seed) {
    params.validate();
    const RandomStream stream(seed, "task/timing_classes/templates");
    const std::uint32_t k = params.spikes_per_afferent;
    std::vector<double> times(std::size_t{params.n_classes} * params.n_afferents * k);
    for (std::uint32_t c = 0; c < params.n_classes; ++c) {
        for (std::uint32_t i = 0; i < params.n_afferents; ++i) {
            for (std::uint32_t m = 0; m < k; ++m) {
                times[(std::size_t{c} * params.n_afferents + i) * k + m] =
                    params.duration_ms * stream.uniform(c, i, m);
            }
        }
    }
    return times;
}

Task make_timing_classes(const TimingClassesParams& params, std::uint64_t seed) {
    const std::vector<double> templates = timing_templates(params, seed);
    const RandomStream noise(seed, "task/timing_classes");
    const RandomStream background(seed, "task/timing_classes/background");
    const double T = params.duration_ms;
    const std::uint32_t k = params.spikes_per_afferent;
    const double rate_per_ms = params.background_hz * 1e-3;

    std::vector<double> times;
    std::vector<std::uint32_t> afferents;
    std::vector<std::size_t> order;
    std::vector<double> sorted_times;
    std::vector<std::uint32_t> sorted_afferents;
    const auto make_set = [&](const char* name, std::uint32_t count, std::uint32_t split) {
        Dataset set;
        set.name = fmt::format("timing_classes/{}", name);
        set.n_classes = params.n_classes;
        set.labels.resize(count);
        set.spike_patterns.duration_ms = T;
        set.spike_patterns.n_afferents = params.n_afferents;
        for (std::uint32_t j = 0; j < count; ++j) {
            const std::uint32_t label = j % params.n_classes;
            const std::uint64_t a = 2 * std::uint64_t{j} + split;
            times.clear();
            afferents.clear();
            for (std::uint32_t i = 0; i < params.n_afferents; ++i) {
                const double* tmpl = &templates[(std::size_t{label} * params.n_afferents + i) * k];
                for (std::uint32_t m = 0; m < k; ++m) {
                    if (noise.uniform(a, i, 2 * m) < params.deletion) continue;
                    const double jitter = params.jitter_ms * noise.normal(a, i, 2 * m + 1);
                    times.push_back(reflect(tmpl[m] + jitter, T));
                    afferents.push_back(i);
                }
                if (rate_per_ms <= 0.0) continue;
                double t = 0.0;
                for (std::uint32_t s = 0;; ++s) {
                    t -= std::log(background.uniform(a, i, s)) / rate_per_ms;  // u in (0, 1)
                    if (t >= T) break;
                    times.push_back(t);
                    afferents.push_back(i);
                }
            }
            order.resize(times.size());
            std::iota(order.begin(), order.end(), std::size_t{0});
            std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
                return times[x] != times[y] ? times[x] < times[y] : afferents[x] < afferents[y];
            });
            sorted_times.resize(order.size());
            sorted_afferents.resize(order.size());
            for (std::size_t s = 0; s < order.size(); ++s) {
                sorted_times[s] = times[order[s]];
                sorted_afferents[s] = afferents[order[s]];
            }
            set.spike_patterns.add(sorted_afferents, sorted_times);
            set.labels[j] = label;
        }
        return set;
    };
    Task task{.name = "timing_classes"};
    task.train = make_set("train", params.train_examples, 0);
    task.test = make_set("test", params.test_examples, 1);
    set_count_inputs(task);
    return task;
}

}  // namespace spikerate::sim::task
