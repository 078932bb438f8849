#include "pair_stdp.hpp"

#include "param_check.hpp"

namespace spikerate::models {

void PairStdpParams::validate() const {
    require_positive("tau_plus", tau_plus, "ms");
    require_positive("tau_minus", tau_minus, "ms");
    require_non_negative("A_plus", A_plus, "");
    require_non_negative("A_minus", A_minus, "");
    bounds.validate();
}

PairStdp::PairStdp(const Params& params) : p_(params) { p_.validate(); }

}  // namespace spikerate::models
