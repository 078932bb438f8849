#include "tests/catalog_extension/modulated_tag.hpp"

#include "models/param_check.hpp"

namespace spikerate::models {

void ModulatedTagParams::validate() const {
    require_finite("gain", gain, "");
    bounds.validate();
}

ModulatedTag::ModulatedTag(const Params& params) : p_(params) { p_.validate(); }

}  // namespace spikerate::models
