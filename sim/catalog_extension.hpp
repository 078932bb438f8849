#pragma once

// Entries a build adds to the catalog (sim/catalog.hpp) without editing it: none in this file.
//
// CMake's SPIKERATE_CATALOG_EXTENSION names a directory whose sim/catalog_extension.hpp takes
// the place of this file (the catalog includes it through SPIKERATE_CATALOG_EXTENSION_HEADER)
// and whose *.cpp files are compiled into the models library: a model or rule kept outside the
// source tree, or, in the test build, the test-only entries of tests/catalog_extension. Those
// lists are appended to the catalog's.

#include "sim/type_list.hpp"

namespace spikerate::sim::catalog {

using ExtensionNeuronModels = TypeList<>;
using ExtensionSources = TypeList<>;
using ExtensionPlasticityRules = TypeList<>;

}  // namespace spikerate::sim::catalog
