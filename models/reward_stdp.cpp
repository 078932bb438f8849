#include "reward_stdp.hpp"

#include "param_check.hpp"

namespace spikerate::models {

void RewardStdpParams::validate() const {
    require_non_negative("A_plus", A_plus, "");
    require_non_negative("A_minus", A_minus, "");
    require_positive("tau_plus", tau_plus, "ms");
    require_positive("tau_minus", tau_minus, "ms");
    require_positive("tau_c", tau_c, "ms");
    require_positive("tau_n", tau_n, "ms");
    require_finite("b", b, "per_ms");
    bounds.validate();
}

RewardStdp::RewardStdp(const Params& params)
    : p_(params), tau_s_(1.0 / (1.0 / params.tau_c + 1.0 / params.tau_n)) {
    p_.validate();
}

}  // namespace spikerate::models
