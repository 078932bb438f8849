#pragma once

// The test build's catalog extension (CMake: -DSPIKERATE_CATALOG_EXTENSION=tests/catalog_extension;
// `make test-sanitize` builds with it). Each test-only entry is its file pair in
// tests/catalog_extension plus one include and one list entry here: exactly what adding a model
// or rule to sim/catalog.hpp takes.

#include "sim/type_list.hpp"
#include "tests/catalog_extension/modulated_tag.hpp"
#include "tests/catalog_extension/perfect_if.hpp"

namespace spikerate::sim::catalog {

using ExtensionNeuronModels = TypeList<models::PerfectIf>;
using ExtensionSources = TypeList<>;
using ExtensionPlasticityRules = TypeList<models::ModulatedTag>;

}  // namespace spikerate::sim::catalog
