#pragma once

// The keys a section reader reads itself, not through a struct's visit_fields (names of
// catalog entries, references to other elements, distributions, nested tables). The readers
// accept exactly these besides the visited fields, and the key reference (key_reference.hpp)
// lists them from here, so the two cannot drift apart.

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace spikerate::sim::io {

struct SpecialKey {
    std::string_view key;
    std::string_view type;
    std::string_view unit;
    std::string_view default_value;
    std::string_view doc;
};

inline constexpr std::array population_special_keys{
    SpecialKey{"model", "string", "", "required",
               "a neuron model or a source of the catalog (tables below)"},
    SpecialKey{"size", "integer", "", "required", ">= 1 (and < 2^32)"},
    SpecialKey{"initial", "table", "", "every variable at rest",
               "neurons only: { <variable>_<unit> = number or distribution, ... } (V_m_mV, "
               "g_e_nS, ...); variables not listed start at rest"},
    SpecialKey{
        "current_noise_<unit>", "distribution", "the model's current unit", "no noise",
        "neurons only: a current drawn afresh for every neuron and step, { uniform = [low, "
        "high] } (low < high) or { normal = [mean, sd] } (sd >= 0), held over the step and "
        "added to the model's input as I_e is (NEST's noise_generator with dt = the step); "
        "the suffix is the unit of the model's I_e (current_noise_pA for lif_curr, lif_cond, "
        "adex; current_noise_mV_per_ms for izhikevich: daspnet.m's I = 13 (rand - 0.5) is "
        "{ uniform = [-6.5, 6.5] }); integration rk4, euler, dopri5, izhikevich_half_steps "
        "or exact (lif_curr). Drawn with the counter (step, neuron) of the stream "
        "current_noise/<population>: the same whatever the size, order or thread count"},
    SpecialKey{
        "poisson_background", "table", "", "none",
        "neurons only: { rate_hz = r, weight_<unit> = w, receptor = \"excitatory\" or "
        "\"inhibitory\" (default excitatory) }: in every step each neuron receives k ~ "
        "Poisson(r dt) input spikes of weight w (>= 0, the model's weight unit: weight_pA onto "
        "lif_curr) on the receptor, added with the step's synaptic input (NEST's "
        "poisson_generator of rate r connected to every neuron, e.g. K_ext x 8 Hz); r dt <= 10 "
        "spikes per step; grid integrations (not precise). Drawn with the counter (step, neuron / "
        "2) "
        "of the stream poisson_background/<population>; the spikes are counted in "
        "/metrics/populations/<name>/background_events"},
};
// spike_train only, instead of times_ms and node_ids.
inline constexpr SpecialKey spike_file_key{
    "file", "string", "", "",
    "a CSV file with the header node_id,time_ms, relative to the "
    "scenario file's directory; instead of times_ms and node_ids"};

inline constexpr std::array projection_special_keys{
    SpecialKey{"pre", "string", "", "required", "a population"},
    SpecialKey{"post", "string", "", "required", "a neuron population (sources take no input)"},
    SpecialKey{"weight_<unit>", "number or distribution", "the target's weight unit", "required",
               ">= 0 for every value it can take; the suffix is the unit the target model takes "
               "(weight_pA onto lif_curr, weight_nS onto lif_cond)"},
    SpecialKey{"delay_ms", "number or distribution", "ms", "dt_ms (one step)",
               "rounded to whole steps; >= 0 from neurons on the grid (delay 0: a spike at the end "
               "of step n acts from step n + 1, as Brian2's default), >= dt_ms from sources and "
               "precise-mode neurons"},
    SpecialKey{"connection", "string or table", "", "\"all_to_all\"",
               "a rule name, or { rule = \"...\", <its keys> } (connection rules below)"},
    SpecialKey{"plasticity", "string or table", "", "none (static synapses)",
               "a rule name, or { rule = \"...\", <its keys> } (plasticity rules below); the "
               "initial weights must lie within [w_min, w_max]"},
};

inline constexpr SpecialKey record_spikes_key{
    "spikes", "array of strings", "", "every neuron population",
    "population names (sources allowed), each once; [] records none"};

inline constexpr std::array task_special_keys{
    SpecialKey{"data_dir", "string", "", "data/cache/mnist of the source tree",
               "mnist only: the directory of the four IDX files, relative to the scenario file"},
};

inline constexpr std::array spiking_special_keys{
    SpecialKey{"architecture", "string", "", "required", "\"diehl_cook_2015\""},
    SpecialKey{"exc", "table", "", "", "the excitatory neurons' lif_cond keys"},
    SpecialKey{"inh", "table", "", "", "the inhibitory neurons' lif_cond keys"},
    SpecialKey{"stdp", "table", "", "", "the input -> exc nearest_triplet_stdp keys"},
};

// The names of the special keys of one table.
template <class Keys>
std::vector<std::string> names_of(const Keys& keys) {
    std::vector<std::string> names;
    for (const SpecialKey& k : keys) names.emplace_back(k.key);
    return names;
}

}  // namespace spikerate::sim::io
