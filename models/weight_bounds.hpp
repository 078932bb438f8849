#pragma once

#include <algorithm>

namespace spikerate::models {

// The interval a plastic weight lives in. The engine clips after every plasticity update, in one
// place; rules only return weight changes.
struct WeightBounds {
    double w_min = 0.0;  // [unit of the projection's weight]
    double w_max = 1.0;  // [unit of the projection's weight]

    double clip(double w) const { return std::clamp(w, w_min, w_max); }
    void validate() const;  // w_min >= 0, w_min < w_max
};

}  // namespace spikerate::models
