#pragma once

// Shared by the scenario tests: the fixture directory and the message a malformed scenario gives.

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/io/scenario.hpp"

namespace scenario_test {

inline const std::filesystem::path fixtures =
    std::filesystem::path(__FILE__).parent_path() / "scenarios";

// The message of the ScenarioError that parsing throws (any other exception fails the test).
inline std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {},
                            const std::string& source = "bad.toml") {
    try {
        spikerate::sim::io::parse_scenario(text, source, overrides);
    } catch (const spikerate::ScenarioError& e) {
        return e.what();
    }
    FAIL("the scenario loaded without an error:\n" << text);
    return {};
}

}  // namespace scenario_test
