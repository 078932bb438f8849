#pragma once

// modulated_tag (test-only, not shipped): the simplest three-factor rule. It exists to show
// that a plasticity rule is one file pair plus one catalog line
// (tests/catalog_extension/sim/catalog_extension.hpp), and to test the modulator hook.
//
//   presynaptic spike arriving at the synapse:  tag = 1               (dw = 0)
//   postsynaptic spike:                         nothing               (dw = 0)
//   neuromodulator of amplitude m at t:         dw = gain * m * tag;  tag = 0
// Weights are clipped to [w_min, w_max].

#include <span>
#include <string_view>

#include "models/weight_bounds.hpp"

namespace spikerate::models {

class ModulatedTag;

struct ModulatedTagParams {
    using Rule = ModulatedTag;

    double gain = 0.1;  // weight change per unit of modulator on a tagged synapse
    WeightBounds bounds{};

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("gain", gain, "", "finite");
        v("w_min", bounds.w_min, "", ">= 0");
        v("w_max", bounds.w_max, "", "> w_min");
    }
    void validate() const;
};

class ModulatedTag {
  public:
    using Params = ModulatedTagParams;
    static constexpr std::string_view id = "modulated_tag";
    static constexpr std::string_view summary =
        "test-only: a presynaptic spike tags its synapse, a modulator moves tagged weights";

    struct SynapseState {
        double tag = 0.0;
    };
    struct PostState {};

    explicit ModulatedTag(const Params& params);  // validates

    const WeightBounds& bounds() const { return p_.bounds; }
    double post_term(const PostState& /*post*/, double /*t*/) const { return 0.0; }
    double on_pre(SynapseState& syn, double post_term, double /*w*/, double /*t*/) const {
        syn.tag = 1.0;
        return post_term;
    }
    double on_post(const SynapseState& /*syn*/, const PostState& /*post*/, double /*w*/,
                   double /*t*/) const {
        return 0.0;
    }
    void after_post(PostState& /*post*/, double /*t*/) const {}
    double on_modulator(SynapseState& syn, double value, double /*w*/, double /*t*/) const {
        const double dw = p_.gain * value * syn.tag;
        syn.tag = 0.0;
        return dw;
    }

  private:
    Params p_;
};

}  // namespace spikerate::models
