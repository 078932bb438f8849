#include "triplet_stdp.hpp"

#include "param_check.hpp"

namespace spikerate::models {

void TripletStdpParams::validate() const {
    require_positive("tau_plus", tau_plus, "ms");
    require_positive("tau_x", tau_x, "ms");
    require_positive("tau_minus", tau_minus, "ms");
    require_positive("tau_y", tau_y, "ms");
    require_non_negative("A2_plus", A2_plus, "");
    require_non_negative("A3_plus", A3_plus, "");
    require_non_negative("A2_minus", A2_minus, "");
    require_non_negative("A3_minus", A3_minus, "");
    bounds.validate();
}

TripletStdp::TripletStdp(const Params& params) : p_(params) { p_.validate(); }

}  // namespace spikerate::models
