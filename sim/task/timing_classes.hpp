#pragma once

// Classes that differ only in spike timing (issue 15): each class is a fixed spike-time template
// over n_afferents afferents in a window of duration_ms, every afferent firing
// spikes_per_afferent spikes in the template of every class, so spike counts carry no class
// information; only the times do. Masquelier, Guyonneau & Thorpe (2009, Neural Comput. 21:1259)
// learn such patterns with STDP in competing neurons.
//
//   template of class c: afferent i fires at T u(c, i, m), m < spikes_per_afferent, u uniform in
//                        (0, 1) from stream "task/timing_classes/templates";
//   example j (class j mod n_classes): each template spike is deleted with probability
//                        `deletion`, else moved by Gaussian jitter of SD jitter_ms and reflected
//                        at the window's edges (t < 0 -> -t, t >= T -> 2T - t), which keeps it
//                        in the window whatever the jitter; every afferent adds Poisson
//                        background spikes at background_Hz over [0, T).
// Deletion, jitter and background do not depend on the class, so an afferent's count has the
// same distribution in every class: Binomial(spikes_per_afferent, 1 - deletion) plus
// Poisson(background_Hz T). Draws: template spike m of afferent i in example j of split s uses
// counters (2 j + s, i, 2 m) (deletion) and (2 j + s, i, 2 m + 1) (jitter) of
// "task/timing_classes", background spike k counter (2 j + s, i, k) of
// "task/timing_classes/background": example j depends on nothing but the seed and its own
// counters, so a shorter set is a prefix of a longer one.
//
// The task's Dataset::spike_patterns hold the spikes; its inputs (the rate view) are the spike
// counts per afferent, scaled as input_view.hpp says (counts / the training set's largest).

#include <cstdint>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

struct TimingClassesParams {
    std::uint32_t n_classes = 4;
    std::uint32_t n_afferents = 50;
    double duration_ms = 50.0;  // [ms] the window T
    std::uint32_t spikes_per_afferent = 1;
    double jitter_ms = 2.0;       // [ms] SD of the Gaussian jitter of each template spike
    double deletion = 0.1;        // probability that a template spike is left out, in [0, 1]
    double background_hz = 10.0;  // [Hz] Poisson background of every afferent
    std::uint32_t train_examples = 400;
    std::uint32_t test_examples = 400;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("n_classes", n_classes, "", ">= 2: one spike-time template each");
        v("n_afferents", n_afferents, "", ">= 1: inputs (spike trains) per example");
        v("duration", duration_ms, "ms", "> 0: the window of every example");
        v("spikes_per_afferent", spikes_per_afferent, "",
          ">= 1: spikes of every afferent in every class's template (equal counts)");
        v("jitter", jitter_ms, "ms",
          ">= 0: SD of the Gaussian jitter of each template spike (reflected at the edges)");
        v("deletion", deletion, "", "in [0, 1]: probability that a template spike is left out");
        v("background", background_hz, "Hz",
          ">= 0: Poisson background spikes of every afferent, in every class");
        v("train_examples", train_examples, "", "examples generated");
        v("test_examples", test_examples, "", "examples generated");
    }
    // ParamError naming the key: n_classes >= 2, n_afferents >= 1, duration_ms > 0,
    // spikes_per_afferent >= 1, jitter_ms >= 0, deletion in [0, 1], background_hz >= 0, at least
    // one example per set, all finite, and the spikes expected fit in memory.
    void validate() const;
};

// The templates: spike m of afferent i in class c at times[(c n_afferents + i)
// spikes_per_afferent + m] [ms].
std::vector<double> timing_templates(const TimingClassesParams& params, std::uint64_t seed);

Task make_timing_classes(const TimingClassesParams& params, std::uint64_t seed);

}  // namespace spikerate::sim::task
