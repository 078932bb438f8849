#pragma once

// The key reference: every key a scenario file may hold, with its type, unit, default and what
// it allows, derived from the catalog (sim/catalog.hpp) and the description structs'
// visit_fields, plus the keys the section readers read themselves
// (sim/io/scenario/special_keys.hpp). `spikerate keys` prints it; `spikerate keys --markdown`
// prints the tables of data/scenarios/README.md, which a test keeps equal to it.

#include <string>
#include <vector>

namespace spikerate::sim::io {

struct KeyRow {
    std::string key;
    std::string type;           // "number", "integer", "boolean", "string", "array of ...", ...
    std::string unit;           // "" for none
    std::string default_value;  // as a scenario writes it, or "required"
    std::string doc;            // what it allows or means
};

struct KeySection {
    std::string heading;  // "[run]", "model = \"lif_cond\"", ...
    int level = 2;        // 2: a table of the file; 3: an alternative within one
    std::string intro;    // one paragraph, may be empty
    std::vector<KeyRow> rows;
};

std::vector<KeySection> key_reference();
std::string key_reference_text();
std::string key_reference_markdown();

}  // namespace spikerate::sim::io
