#include "weight_bounds.hpp"

#include "param_check.hpp"

namespace spikerate::models {

void WeightBounds::validate() const {
    require_non_negative("w_min", w_min, "");
    require_less("w_min", w_min, "w_max", w_max, "");
}

}  // namespace spikerate::models
