#include "nearest_triplet_stdp.hpp"

#include "param_check.hpp"

namespace spikerate::models {

void NearestTripletStdpParams::validate() const {
    require_non_negative("nu_pre", nu_pre, "");
    require_non_negative("nu_post", nu_post, "");
    require_positive("tau_pre", tau_pre, "ms");
    require_positive("tau_post1", tau_post1, "ms");
    require_positive("tau_post2", tau_post2, "ms");
    bounds.validate();
}

NearestTripletStdp::NearestTripletStdp(const Params& params) : p_(params) { p_.validate(); }

}  // namespace spikerate::models
