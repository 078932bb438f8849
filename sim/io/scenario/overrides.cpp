// --set key.path=value: overrides applied to the parsed table before anything is read.

#include <exception>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"

namespace spikerate::sim::io::reader {

namespace {

// The first '=' outside quotes.
std::size_t assignment_position(std::string_view text) {
    char quote = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote != 0) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '=') {
            return i;
        }
    }
    return std::string_view::npos;
}

}  // namespace

// Applies "key.path=value": the value, parsed as TOML, replaces or adds the key. Its nodes keep
// "--set key.path=value" as their source, so that errors about them name the override.
void apply_override(toml::table& root, const std::string& text) {
    const std::string label = "--set " + text;
    const std::size_t equals = assignment_position(text);
    if (equals == std::string_view::npos) {
        throw ScenarioError(fmt::format(
            "{}: expected key.path=value (e.g. run.duration_ms=500 or run.output=\"x.h5\")",
            label));
    }
    const std::string_view key_text = trim(std::string_view(text).substr(0, equals));
    const std::string_view value_text = trim(std::string_view(text).substr(equals + 1));

    std::vector<std::string> keys;
    try {
        if (key_text.empty()) throw std::invalid_argument("empty key");
        const toml::table probe =
            toml::parse(ascii_toml(fmt::format("{} = 0", key_text), label), std::string_view{});
        const toml::table* level = &probe;
        while (level != nullptr && level->size() == 1) {
            keys.emplace_back(level->begin()->first.str());
            level = level->begin()->second.as_table();
        }
    } catch (const std::exception&) {
        keys.clear();
    }
    if (keys.empty()) {
        throw ScenarioError(fmt::format(
            "{}: '{}' is not a key path (expected dotted keys, e.g. populations.exc.size)", label,
            key_text));
    }
    toml::table doc;
    try {
        doc = toml::parse(ascii_toml(fmt::format("{} = {}", key_text, value_text), label),
                          std::string_view(label));
    } catch (const toml::parse_error& e) {
        throw ScenarioError(
            fmt::format("{}: the value '{}' is not a TOML value ({}; strings need quotes, e.g. "
                        "run.output=\"run.h5\")",
                        label, value_text, e.description()));
    }
    // Exactly the chain of tables the key path names, down to one value ("1\nrun.x = 2" is not).
    const toml::table* chain = &doc;
    for (std::size_t i = 0; chain != nullptr && i < keys.size(); ++i) {
        const toml::node* next = chain->get(keys[i]);
        if (chain->size() != 1 || next == nullptr) {
            throw ScenarioError(
                fmt::format("{}: the value '{}' is not a single TOML value", label, value_text));
        }
        chain = i + 1 < keys.size() ? next->as_table() : nullptr;
    }

    toml::table* level = &root;
    toml::table* from = &doc;
    std::string path;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        path = child(path, keys[i]);
        toml::node* value = from->get(keys[i]);
        toml::node* target = level->get(keys[i]);
        if (i + 1 == keys.size() || target == nullptr) {
            level->insert_or_assign(keys[i], std::move(*value));
            return;
        }
        if (!target->is_table()) {
            throw ScenarioError(
                fmt::format("{}: {} is {}, not a table", label, path, type_name(*target)));
        }
        level = target->as_table();
        from = value->as_table();
    }
}

}  // namespace spikerate::sim::io::reader
