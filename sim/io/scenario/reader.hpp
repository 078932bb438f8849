#pragma once

// What every section reader of a scenario file uses (private to sim/io/scenario): where a TOML
// node came from, typed access with messages that name the key path and the expectation,
// suggestions for misspelt names, reading a description struct through its visit_fields, and
// tracing a ParamError from a validate() back to the node of the key it names.
//
// Every failure is a ScenarioError "WHERE: key.path: what (expected ...)", WHERE being
// "FILE:LINE" or "--set key=value" for a node that came from an override.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "models/error.hpp"
#include "sim/io/scenario/fields.hpp"
#include "sim/network_spec.hpp"

namespace spikerate::sim::io::reader {

// Key paths and names.

// `text` as toml++ is given it: every non-ASCII character of a string written as a \u or \U
// escape (a literal string with one becomes the equivalent basic string), those of comments as
// '?', a UTF-8 byte order mark dropped; the parsed values are the same. toml++ 3.3.0's test for
// non-ASCII whitespace reaches __builtin_unreachable for most code points (U+00A1-U+0499 among
// them; marzer/tomlplusplus#190, #305) wherever it scans a character as a possible value
// terminator, including in malformed text it reads as a number or a date, so it must never see
// one. Throws ScenarioError (`where`: "file:line" prefix or "--set ...") for a non-ASCII
// character outside strings and comments, invalid UTF-8 in a string, or one after a backslash.
std::string ascii_toml(std::string_view text, std::string_view where);

std::string quote_key(std::string_view key);  // as TOML writes it: quoted unless bare
std::string child(std::string_view path, std::string_view key);  // "path.key"
std::string item(std::string_view path, std::size_t index);      // "path[index]"
std::string_view trim(std::string_view s);

// The valid name closest to `given`, if it is close enough to be a typo (a small edit distance,
// or `given` without a unit suffix: "tau_m" -> "tau_m_ms").
std::optional<std::string> closest(std::string_view given, const std::vector<std::string>& valid);
std::string one_of(const std::vector<std::string>& valid);  // "one of: a, b, c"
// "unknown model 'lif_con' (did you mean 'lif_cond'? expected one of: ...)"
std::string unknown_name(std::string_view what, std::string_view given,
                         const std::vector<std::string>& valid);
std::string unknown_key(std::string_view given, const std::vector<std::string>& valid);

// Where a node came from.
class Context {
  public:
    Context(std::string source, std::filesystem::path base_dir)
        : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

    const std::string& source() const { return source_; }
    const std::filesystem::path& base_dir() const { return base_dir_; }
    // "coba.toml:12", or "--set key=value" for a node that came from an override.
    std::string where(const toml::node& node) const;
    [[noreturn]] void fail(const toml::node& node, std::string_view path,
                           std::string_view what) const;

  private:
    std::string source_;
    std::filesystem::path base_dir_;
};

// Typed access: each fails naming the key path and what was expected.
const char* type_name(const toml::node& node);  // "a table", "an integer", ...
[[noreturn]] void wrong_type(const Context& ctx, const toml::node& node, std::string_view path,
                             std::string_view expected);
double to_number(const Context& ctx, const toml::node& node, std::string_view path);
std::int64_t to_int64(const Context& ctx, const toml::node& node, std::string_view path);
bool to_bool(const Context& ctx, const toml::node& node, std::string_view path);
std::string to_string(const Context& ctx, const toml::node& node, std::string_view path,
                      std::string_view expected = "a string");
const toml::array& to_array(const Context& ctx, const toml::node& node, std::string_view path,
                            std::string_view expected);

// An integer key needs a TOML integer (a float such as 10.0 is a type error).
template <std::integral Int>
Int to_integer(const Context& ctx, const toml::node& node, std::string_view path,
               Int min = std::numeric_limits<Int>::min()) {
    const std::int64_t value = to_int64(ctx, node, path);
    if (std::cmp_less(value, min)) {
        ctx.fail(node, path, fmt::format("{}: must be >= {}", value, min));
    }
    if (!std::in_range<Int>(value)) {
        ctx.fail(node, path,
                 fmt::format("{}: must be <= {}", value, std::numeric_limits<Int>::max()));
    }
    return static_cast<Int>(value);
}

// A name from a fixed list of (label, value) pairs, e.g. integration = "rk4".
template <class Choices>
auto to_choice(const Context& ctx, const toml::node& node, std::string_view path,
               std::string_view what, const Choices& choices)
    -> std::remove_cvref_t<decltype(std::begin(choices)->second)> {
    const std::vector<std::string> labels = fields::labels_of(choices);
    const std::string given =
        to_string(ctx, node, path, fmt::format("a string, {}", one_of(labels)));
    for (const auto& [label, value] : choices) {
        if (given == std::string_view(label)) return value;
    }
    ctx.fail(node, path, unknown_name(what, given, labels));
}

// A table of the scenario and its key path.
struct Table {
    const Context& ctx;
    const toml::table& table;
    std::string path;

    const toml::node* find(std::string_view key) const { return table.get(key); }
    std::string key_path(std::string_view key) const { return child(path, key); }
    const toml::node& require(std::string_view key, std::string_view expected) const;
    // Every key must be in `valid`, unless exempt(key) (keys checked elsewhere).
    template <class Exempt>
    void reject_unknown(const std::vector<std::string>& valid, Exempt&& exempt) const {
        for (const auto& [key, node] : table) {
            const std::string_view name = key.str();
            if (std::find(valid.begin(), valid.end(), name) != valid.end() || exempt(name)) {
                continue;
            }
            ctx.fail(node, key_path(name), unknown_key(name, valid));
        }
    }
    void reject_unknown(const std::vector<std::string>& valid) const {
        reject_unknown(valid, [](std::string_view) { return false; });
    }
};
Table as_table(const Context& ctx, const toml::node& node, std::string path,
               std::string_view expected = "a table");

// A number, or { uniform = [low, high] } or { normal = [mean, sd] }, validated.
Distribution to_distribution(const Context& ctx, const toml::node& node, const std::string& path,
                             std::string_view unit);

// Tracing a ParamError back to its node.

// An element a validate() checks (a population, a projection, a report, a section): its table,
// and where each key it may name is, by the name the ParamError uses (ParamError::key()).
class Element {
  public:
    Element(const toml::node* table, std::string path) : table_(table), path_(std::move(path)) {}

    // `ident` is found at `node`, or, when the file does not set it, at `fallback` (its table)
    // as the default value. Registering an ident again replaces the earlier place.
    void add(std::string ident, const toml::node* node, const toml::node* fallback,
             std::string key_path);
    const toml::node& table() const { return *table_; }
    const std::string& path() const { return path_; }

    // Calls f(ident, where, key_path, is_default) for every key registered, "where" being
    // FILE:LINE or the override.
    template <class F>
    void for_each_key(const Context& ctx, F&& f) const {
        for (const KeyRef& k : keys_) f(k.ident, ctx.where(*k.node), k.path, k.is_default);
    }

    // Fails at the node of the key `error` names (the element of an array key when it has an
    // index), with the error's detail; at the element's table when it names no known key.
    [[noreturn]] void fail(const Context& ctx, const ParamError& error) const;

  private:
    struct KeyRef {
        std::string ident;
        const toml::node* node;
        std::string path;
        bool is_default;
    };
    const toml::node* table_;
    std::string path_;
    std::vector<KeyRef> keys_;
};

// Runs check(); a ParamError it throws fails at the key it names within `element`.
template <class Check>
void check_in(const Context& ctx, const Element& element, Check&& check) {
    try {
        check();
    } catch (const ScenarioError&) {
        throw;
    } catch (const ParamError& e) {
        element.fail(ctx, e);
    }
}

// Description structs: their fields as keys.

template <class Params>
std::vector<std::string> keys_of(Params params) {
    std::vector<std::string> keys;
    params.visit_fields(
        [&](std::string_view name, auto& /*field*/, const auto& extra, std::string_view /*doc*/) {
            keys.push_back(fields::key_of(name, extra));
        });
    return keys;
}

template <class Field, class Extra>
void read_field(const Context& ctx, const toml::node& node, const std::string& path,
                std::string_view name, Field& field, const Extra& extra) {
    if constexpr (std::is_same_v<Field, bool>) {
        field = to_bool(ctx, node, path);
    } else if constexpr (std::is_floating_point_v<Field>) {
        field = to_number(ctx, node, path);
    } else if constexpr (std::is_integral_v<Field>) {
        field = to_integer<Field>(ctx, node, path);
    } else if constexpr (std::is_enum_v<Field>) {
        field = to_choice(ctx, node, path, name, extra);
    } else if constexpr (std::is_same_v<Field, std::string>) {
        field = to_string(ctx, node, path);
    } else if constexpr (fields::IsVector<Field>::value) {
        using Item = typename Field::value_type;
        const toml::array& array =
            to_array(ctx, node, path, fmt::format("an {}", fields::type_of<Field>()));
        field.clear();
        field.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i) {
            Item value{};
            read_field(ctx, array[i], item(path, i), name, value, extra);
            field.push_back(value);
        }
    } else {
        static_assert(!sizeof(Field*), "a parameter type scenario files cannot read yet");
    }
}

// Reads every field of `params` present in `table`, and registers each with `element` (when
// given) under the names a ParamError may use for it: the field's name, its key and the key in
// lower case ("rate", "rate_Hz", "rate_hz"), each after `prefix` ("exc." for a nested struct).
template <class Params>
void read_fields(const Table& table, Params& params, Element* element, const toml::node* fallback,
                 std::string_view prefix = {}) {
    params.visit_fields(
        [&](std::string_view name, auto& field, const auto& extra, std::string_view /*doc*/) {
            const std::string key = fields::key_of(name, extra);
            const toml::node* node = table.find(key);
            const std::string path = table.key_path(key);
            if (element != nullptr) {
                std::string lower = key;
                std::transform(lower.begin(), lower.end(), lower.begin(),
                               [](char c) { return static_cast<char>(std::tolower(c)); });
                for (const std::string& ident : {std::string(name), key, lower}) {
                    element->add(std::string(prefix) + ident, node, fallback, path);
                }
            }
            if (node != nullptr) read_field(table.ctx, *node, path, name, field, extra);
        });
}

// Variants: the alternatives' names (models, rules, connections) and keys.

// Calls f with each alternative of Variant, default-constructed.
template <class Variant, class F>
void for_each_alternative(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f(std::variant_alternative_t<I, Variant>{}), ...);
    }
    (std::make_index_sequence<std::variant_size_v<Variant>>{});
}

// The ids of the alternatives, leaving out those without one (static synapses).
template <class Variant>
std::vector<std::string> alternative_ids() {
    std::vector<std::string> ids;
    for_each_alternative<Variant>([&](const auto& alternative) {
        using Alternative = std::decay_t<decltype(alternative)>;
        if constexpr (!std::is_same_v<Alternative, NoPlasticity>) {
            if constexpr (requires { Alternative::id; }) {
                ids.emplace_back(Alternative::id);
            } else {
                ids.emplace_back(id_of<Alternative>());
            }
        }
    });
    return ids;
}

// The alternative whose id is `id`, default-constructed.
template <class Variant>
std::optional<Variant> alternative_with_id(std::string_view id) {
    std::optional<Variant> out;
    const std::vector<std::string> ids = alternative_ids<Variant>();
    const auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) return out;
    std::size_t k = 0;
    const std::size_t wanted = static_cast<std::size_t>(it - ids.begin());
    for_each_alternative<Variant>([&](const auto& alternative) {
        using Alternative = std::decay_t<decltype(alternative)>;
        if constexpr (!std::is_same_v<Alternative, NoPlasticity>) {
            if (k++ == wanted) out = Variant{alternative};
        }
    });
    return out;
}

// Every key of every alternative, for suggestions before the alternative is known.
template <class Variant>
std::vector<std::string> keys_of_any(std::vector<std::string> keys) {
    for_each_alternative<Variant>([&](const auto& alternative) {
        for (auto& key : keys_of(alternative)) keys.push_back(std::move(key));
    });
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

}  // namespace spikerate::sim::io::reader
