#include "sim/io/scenario.hpp"

// How a scenario is read:
//   1. toml++ parses the file (syntax errors carry line:column);
//   2. each --set override is parsed as the TOML line "key.path = value" and moved into the
//      table, so its nodes keep a source region that names the override;
//   3. the table is converted section by section (run, populations, projections, record):
//      each table first rejects keys that are not valid there, then reads its values, then the
//      element it describes is validated on its own, so that a ParamError from a model's or the
//      network's validate() can be traced back to the node it concerns;
//   4. the whole network and the recording are validated once more;
//   5. the table is written back out (resolved_text).
// Every failure is a ScenarioError "where: key.path: what (expected ...)", where "where" is
// "FILE:LINE" or "--set key=value".
//
// Parameter keys are generated from the parameter structs' visit_fields(v): v(name, field, unit)
// gives the key "<name>_<unit>" (just "<name>" when the unit is empty), v(name, field, choices)
// an enumeration. The model ids come from the PopulationModel variant, the rule ids from the
// PlasticityParams and ConnectionRule variants.

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "models/concepts.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim::io {

namespace {

// Key paths and suggestions.

bool is_bare_key(std::string_view key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
}

// A key as TOML writes it (quoted unless bare), so that a key path can be pasted into --set.
std::string quote_key(std::string_view key) {
    if (is_bare_key(key)) return std::string(key);
    std::string out = "\"";
    for (const char c : key) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

std::string child(std::string_view path, std::string_view key) {
    return path.empty() ? quote_key(key) : fmt::format("{}.{}", path, quote_key(key));
}

std::string item(std::string_view path, std::size_t index) {
    return fmt::format("{}[{}]", path, index);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The valid name closest to `given`, if it is close enough to be a typo: a small edit distance,
// or the valid name is `given` plus a unit suffix ("tau_m" -> "tau_m_ms").
std::optional<std::string> closest(std::string_view given, const std::vector<std::string>& valid) {
    const std::size_t limit = given.size() <= 3 ? 1 : (given.size() < 10 ? 2 : 3);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : valid) {
        std::size_t distance = edit_distance(given, candidate);
        const bool adds_unit = candidate.size() > given.size() + 1 &&
                               candidate.starts_with(given) && candidate[given.size()] == '_' &&
                               candidate.find('_', given.size() + 1) == std::string::npos;
        if (adds_unit) distance = std::min<std::size_t>(distance, 1);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

std::string one_of(const std::vector<std::string>& valid) {
    return valid.empty() ? std::string("none is defined")
                         : fmt::format("one of: {}", fmt::join(valid, ", "));
}

// "unknown model 'lif_con' (did you mean 'lif_cond'? expected one of: lif_curr, lif_cond, ...)"
std::string unknown_name(std::string_view what, std::string_view given,
                         const std::vector<std::string>& valid) {
    if (valid.empty()) return fmt::format("unknown {} '{}' (there is none)", what, given);
    if (const auto guess = closest(given, valid)) {
        return fmt::format("unknown {} '{}' (did you mean '{}'? expected {})", what, given, *guess,
                           one_of(valid));
    }
    return fmt::format("unknown {} '{}' (expected {})", what, given, one_of(valid));
}

std::string unknown_key(std::string_view given, const std::vector<std::string>& valid) {
    if (const auto guess = closest(given, valid)) {
        return fmt::format("unknown key (did you mean '{}'?)", *guess);
    }
    return fmt::format("unknown key (expected {})", one_of(valid));
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// "tau_m = -20 ms: must be > 0" without "tau_m = ", when it starts so.
std::string without_assignment(std::string_view message, std::string_view ident) {
    const std::string prefix = fmt::format("{} = ", ident);
    if (message.starts_with(prefix)) return std::string(message.substr(prefix.size()));
    return std::string(message);
}

// Where a node came from, and typed access.

class Context {
  public:
    Context(std::string source, std::filesystem::path base_dir)
        : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

    const std::string& source() const { return source_; }
    const std::filesystem::path& base_dir() const { return base_dir_; }

    // "coba.toml:12", or "--set key=value" for a node that came from an override.
    std::string where(const toml::node& node) const {
        const toml::source_region& region = node.source();
        if (region.path && *region.path != source_) return *region.path;
        if (region.begin.line == 0) return source_;
        return fmt::format("{}:{}", source_, region.begin.line);
    }

    [[noreturn]] void fail(const toml::node& node, std::string_view path,
                           std::string_view what) const {
        throw ScenarioError(fmt::format("{}: {}: {}", where(node), path, what));
    }

  private:
    std::string source_;
    std::filesystem::path base_dir_;
};

const char* type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

[[noreturn]] void wrong_type(const Context& ctx, const toml::node& node, std::string_view path,
                             std::string_view expected) {
    ctx.fail(node, path, fmt::format("expected {}, got {}", expected, type_name(node)));
}

// A float key accepts integers too (1000 == 1000.0).
double to_number(const Context& ctx, const toml::node& node, std::string_view path) {
    if (const auto* integer = node.as_integer()) return static_cast<double>(integer->get());
    if (const auto* floating = node.as_floating_point()) return floating->get();
    wrong_type(ctx, node, path, "a number");
}

// An integer key needs a TOML integer (a float such as 10.0 is a type error).
template <std::integral Int>
Int to_integer(const Context& ctx, const toml::node& node, std::string_view path,
               Int min = std::numeric_limits<Int>::min()) {
    const auto* integer = node.as_integer();
    if (integer == nullptr) wrong_type(ctx, node, path, "an integer");
    const std::int64_t value = integer->get();
    if (std::cmp_less(value, min))
        ctx.fail(node, path, fmt::format("{}: must be >= {}", value, min));
    if (!std::in_range<Int>(value)) {
        ctx.fail(node, path,
                 fmt::format("{}: must be <= {}", value, std::numeric_limits<Int>::max()));
    }
    return static_cast<Int>(value);
}

bool to_bool(const Context& ctx, const toml::node& node, std::string_view path) {
    const auto* boolean = node.as_boolean();
    if (boolean == nullptr) wrong_type(ctx, node, path, "a boolean (true or false)");
    return boolean->get();
}

std::string to_string(const Context& ctx, const toml::node& node, std::string_view path,
                      std::string_view expected = "a string") {
    const auto* string = node.as_string();
    if (string == nullptr) wrong_type(ctx, node, path, expected);
    return string->get();
}

const toml::array& to_array(const Context& ctx, const toml::node& node, std::string_view path,
                            std::string_view expected) {
    const auto* array = node.as_array();
    if (array == nullptr) wrong_type(ctx, node, path, expected);
    return *array;
}

// A name from a fixed list, e.g. integration = "rk4".
template <class Choices>
auto to_choice(const Context& ctx, const toml::node& node, std::string_view path,
               std::string_view what, const Choices& choices)
    -> std::remove_cvref_t<decltype(std::begin(choices)->second)> {
    std::vector<std::string> labels;
    for (const auto& [label, value] : choices) labels.emplace_back(label);
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

    const toml::node& require(std::string_view key, std::string_view expected) const {
        if (const toml::node* node = find(key)) return *node;
        ctx.fail(table, key_path(key), fmt::format("missing required key (expected {})", expected));
    }

    // Every key must be in `valid`, unless exempt(key) (keys checked elsewhere).
    template <class Exempt>
    void reject_unknown(const std::vector<std::string>& valid, Exempt&& exempt) const {
        for (const auto& [key, node] : table) {
            const std::string_view name = key.str();
            if (std::find(valid.begin(), valid.end(), name) != valid.end() || exempt(name))
                continue;
            ctx.fail(node, key_path(name), unknown_key(name, valid));
        }
    }
    void reject_unknown(const std::vector<std::string>& valid) const {
        reject_unknown(valid, [](std::string_view) { return false; });
    }
};

Table as_table(const Context& ctx, const toml::node& node, std::string path,
               std::string_view expected = "a table") {
    const auto* table = node.as_table();
    if (table == nullptr) wrong_type(ctx, node, path, expected);
    return Table{ctx, *table, std::move(path)};
}

// Tracing a ParamError from a validate() back to the node it concerns.

// How a validate() message names a key ("tau_m", "rate_hz", "initial V_m") and where it is.
struct KeyRef {
    std::string ident;
    const toml::node* node;  // the key's node, or where it would be (its table) when not set
    std::string path;
    bool is_default;  // not in the scenario: the message is about the default value
};

// A population, projection or report: its table and the keys its validate() may name.
struct Element {
    const toml::node* table = nullptr;
    std::string path;
    std::vector<KeyRef> keys;

    void add(std::string ident, const toml::node* node, const toml::node* fallback,
             std::string key_path) {
        keys.push_back(KeyRef{std::move(ident), node != nullptr ? node : fallback,
                              std::move(key_path), node == nullptr});
    }
};

// Fails at the key the message starts with ("tau_m = -20 ms: must be > 0" -> the node of
// tau_m_ms, message "-20 ms: must be > 0"; "node_ids[3] = 7: ..." -> element 3 of node_ids), or
// at the element's table when it names none.
[[noreturn]] void fail_in(const Context& ctx, const Element& element, std::string_view message) {
    const KeyRef* best = nullptr;
    for (const auto& key : element.keys) {
        if (!message.starts_with(key.ident)) continue;
        const std::string_view after = message.substr(key.ident.size());
        if (!after.empty() && after[0] != ' ' && after[0] != '[' && after[0] != ':' &&
            after[0] != ',') {
            continue;
        }
        if (best == nullptr || key.ident.size() > best->ident.size()) best = &key;
    }
    if (best == nullptr) ctx.fail(*element.table, element.path, message);

    const toml::node* node = best->node;
    std::string path = best->path;
    std::string_view rest = message.substr(best->ident.size());
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        std::size_t index = 0;
        const char* first = rest.data() + 1;
        const char* last = rest.data() + (close == std::string_view::npos ? 1 : close);
        const auto [end, error] = std::from_chars(first, last, index);
        const auto* array = best->is_default ? nullptr : node->as_array();
        if (close != std::string_view::npos && error == std::errc{} && end == last &&
            array != nullptr && index < array->size()) {
            node = array->get(index);
            path = item(path, index);
            rest = rest.substr(close + 1);
        } else {
            rest = {};
        }
    }
    std::string what = rest.starts_with(" = ") ? std::string(rest.substr(3)) : std::string(message);
    if (best->is_default) what += " (the default value)";
    ctx.fail(*node, path, what);
}

template <class Check>
void check_in(const Context& ctx, const Element& element, std::string_view context, Check&& check) {
    try {
        check();
    } catch (const ScenarioError&) {
        throw;
    } catch (const ParamError& e) {
        const std::string_view message = e.what();
        fail_in(ctx, element,
                message.starts_with(context) ? message.substr(context.size()) : message);
    }
}

// Parameter structs: their fields as scenario keys.

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class Extra>
constexpr bool is_unit = std::is_convertible_v<const Extra&, std::string_view>;

// v(name, field, unit) -> "<name>_<unit>", or "<name>" without a unit or for an enumeration.
template <class Extra>
std::string field_key(std::string_view name, const Extra& extra) {
    if constexpr (is_unit<Extra>) {
        const std::string_view unit = extra;
        return unit.empty() ? std::string(name) : fmt::format("{}_{}", name, unit);
    } else {
        return std::string(name);
    }
}

template <class Params, class Visitor>
void visit_params(Params& params, Visitor&& visitor) {
    params.visit_fields(visitor);
}

template <class Params>
std::vector<std::string> keys_of(Params params) {
    std::vector<std::string> keys;
    visit_params(params, [&](std::string_view name, auto& /*field*/, const auto& extra,
                             std::string_view /*doc*/) { keys.push_back(field_key(name, extra)); });
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
    } else if constexpr (IsVector<Field>::value) {
        using Item = typename Field::value_type;
        const char* expected =
            std::is_floating_point_v<Item> ? "an array of numbers" : "an array of integers";
        const toml::array& array = to_array(ctx, node, path, expected);
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

// Reads every field of `params` present in `table`; registers each with `element` (when given)
// under the names validate() messages use: the field name, the key and the key in lower case.
template <class Params>
void read_fields(const Table& table, Params& params, Element* element, const toml::node* fallback) {
    visit_params(params, [&](std::string_view name, auto& field, const auto& extra,
                             std::string_view /*doc*/) {
        const std::string key = field_key(name, extra);
        const toml::node* node = table.find(key);
        const std::string path = table.key_path(key);
        if (element != nullptr) {
            std::string lower = key;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](char c) { return static_cast<char>(std::tolower(c)); });
            for (const std::string& ident : {std::string(name), key, lower}) {
                element->add(ident, node, fallback, path);
            }
        }
        if (node != nullptr) read_field(table.ctx, *node, path, name, field, extra);
    });
}

// Names of models, rules and enumerations.

template <class Variant, class F, std::size_t... I>
void for_each_alternative_impl(F& f, std::index_sequence<I...> /*indices*/) {
    (f(std::variant_alternative_t<I, Variant>{}), ...);
}

// Calls f with each alternative of Variant, default-constructed.
template <class Variant, class F>
void for_each_alternative(F&& f) {
    for_each_alternative_impl<Variant>(f, std::make_index_sequence<std::variant_size_v<Variant>>{});
}

template <class Variant, class NameOf>
std::vector<std::string> alternative_names(NameOf&& name_of) {
    std::vector<std::string> names;
    for_each_alternative<Variant>([&](const auto& alternative) {
        if (std::string name = name_of(alternative); !name.empty()) names.push_back(name);
    });
    return names;
}

// The alternative whose name is `name`, default-constructed.
template <class Variant, class NameOf>
std::optional<Variant> alternative_named(std::string_view name, NameOf&& name_of) {
    std::optional<Variant> out;
    for_each_alternative<Variant>([&](const auto& alternative) {
        if (!out && name_of(alternative) == name) out = Variant{alternative};
    });
    return out;
}

// Every key of every alternative, for suggestions before the alternative is known.
template <class Variant>
std::vector<std::string> keys_of_any(std::vector<std::string> keys) {
    for_each_alternative<Variant>([&](const auto& alternative) {
        std::ranges::copy(keys_of(alternative), std::back_inserter(keys));
    });
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

// Model ids: Params::Model::id for neurons, "poisson" and "spike_train" for sources.
const auto population_model_id = [](const auto& params) {
    return std::string(model_id(PopulationModel{params}));
};

// Rule ids from the catalog (static synapses have no id a scenario names).
template <class Params>
std::string plasticity_id(const Params& /*params*/) {
    if constexpr (std::is_same_v<Params, NoPlasticity>) {
        return {};
    } else {
        return std::string(id_of<Params>());
    }
}
const auto plasticity_rule_id = [](const auto& params) { return plasticity_id(params); };

const auto connection_rule_id = [](const auto& rule) -> std::string {
    return std::string(std::decay_t<decltype(rule)>::id);
};

// Connection rule fields without a useful default.
bool required_connection_field(std::string_view key) {
    return key == "p" || key == "k" || key == "pre" || key == "post";
}

std::vector<std::string> all_weight_keys() {
    std::vector<std::string> keys;
    for_each_alternative<PopulationModel>([&](const auto& params) {
        if (const auto unit = weight_unit(PopulationModel{params}); !unit.empty()) {
            keys.push_back("weight_" + std::string(unit));
        }
    });
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

constexpr std::array integration_names{
    std::pair{"automatic", Integration::automatic},
    std::pair{"rk4", Integration::rk4},
    std::pair{"euler", Integration::euler},
    std::pair{"exponential_euler", Integration::exponential_euler},
    std::pair{"dopri5", Integration::dopri5},
    std::pair{"exact", Integration::exact},
    std::pair{"precise", Integration::precise},
};
constexpr std::array receptor_names{
    std::pair{"excitatory", Receptor::excitatory},
    std::pair{"inhibitory", Receptor::inhibitory},
};
constexpr std::array storage_names{
    std::pair{"automatic", Storage::automatic},
    std::pair{"dense", Storage::dense},
    std::pair{"sparse", Storage::sparse},
};
enum class Mode { grid, precise };
constexpr std::array mode_names{std::pair{"grid", Mode::grid}, std::pair{"precise", Mode::precise}};

// Values.

// A number, or { uniform = [low, high] } or { normal = [mean, sd] }.
Distribution to_distribution(const Context& ctx, const toml::node& node, const std::string& path,
                             std::string_view unit) {
    static const std::vector<std::string> kinds{"uniform", "normal"};
    Distribution out;
    if (node.is_number()) {
        out = Distribution::constant(to_number(ctx, node, path));
    } else if (const auto* table = node.as_table()) {
        const Table t{ctx, *table, path};
        t.reject_unknown(kinds);
        if (table->size() != 1) {
            ctx.fail(node, path,
                     "expected exactly one distribution, such as { uniform = [low, high] } or "
                     "{ normal = [mean, sd] }");
        }
        const auto entry = *table->begin();  // a proxy holding references
        const toml::key& key = entry.first;
        const toml::node& value = entry.second;
        const std::string value_path = t.key_path(key.str());
        const bool uniform = key.str() == "uniform";
        const char* expected =
            uniform ? "an array of 2 numbers [low, high]" : "an array of 2 numbers [mean, sd]";
        const toml::array& bounds = to_array(ctx, value, value_path, expected);
        if (bounds.size() != 2) {
            ctx.fail(value, value_path,
                     fmt::format("expected {}, got {} elements", expected, bounds.size()));
        }
        const double a = to_number(ctx, bounds[0], item(value_path, 0));
        const double b = to_number(ctx, bounds[1], item(value_path, 1));
        out = uniform ? Distribution::uniform(a, b) : Distribution::normal(a, b);
    } else {
        wrong_type(ctx, node, path,
                   "a number or a distribution such as { uniform = [low, high] } or "
                   "{ normal = [mean, sd] }");
    }
    const std::string unit_string(unit);
    const std::string leaf = "value";
    try {
        out.validate(leaf, unit_string.c_str());
    } catch (const ParamError& e) {
        ctx.fail(node, path, without_assignment(e.what(), leaf));
    }
    return out;
}

// Spike-train files: CSV with the header node_id,time_ms.

void read_spike_file(const Context& ctx, const toml::node& node, const std::string& path,
                     const std::filesystem::path& file, std::uint32_t size,
                     SpikeTrainSourceParams& out) {
    const std::string name = file.lexically_normal().string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) {
        ctx.fail(node, path,
                 fmt::format("cannot open '{}': no such file (relative paths are relative to "
                             "the scenario file)",
                             name));
    }
    std::ifstream in(file);
    if (!in) ctx.fail(node, path, fmt::format("cannot open '{}'", name));

    const auto bad = [&](std::size_t line, std::string_view what) {
        ctx.fail(node, path, fmt::format("{}:{}: {}", name, line, what));
    };
    std::string line;
    std::size_t number = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++number;
        std::string_view text = trim(line);
        if (number == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
        if (text.empty()) continue;
        const auto comma = text.find(',');
        const std::string_view first = trim(text.substr(0, comma));
        const std::string_view second =
            comma == std::string_view::npos ? std::string_view{} : trim(text.substr(comma + 1));
        if (!header) {
            if (first != "node_id" || second != "time_ms") {
                bad(number, fmt::format("expected the header 'node_id,time_ms', got '{}'", text));
            }
            header = true;
            continue;
        }
        if (comma == std::string_view::npos || second.find(',') != std::string_view::npos) {
            bad(number, fmt::format("expected two fields 'node_id,time_ms', got '{}'", text));
        }
        std::uint32_t node_id = 0;
        const auto id_result = std::from_chars(first.data(), first.data() + first.size(), node_id);
        if (id_result.ec != std::errc{} || id_result.ptr != first.data() + first.size()) {
            bad(number,
                fmt::format("node_id '{}': expected an integer in [0, {}]", first, size - 1));
        }
        if (node_id >= size) {
            bad(number, fmt::format("node_id {}: out of range for size {} (expected 0 to {})",
                                    node_id, size, size - 1));
        }
        double time = 0.0;
        const auto time_result =
            std::from_chars(second.data(), second.data() + second.size(), time);
        if (time_result.ec != std::errc{} || time_result.ptr != second.data() + second.size()) {
            bad(number, fmt::format("time_ms '{}': expected a number", second));
        }
        if (!(std::isfinite(time) && time >= 0.0)) {
            bad(number, fmt::format("time_ms {}: must be finite and >= 0", time));
        }
        out.node_ids.push_back(node_id);
        out.times_ms.push_back(time);
    }
    if (!header) bad(1, "empty file (expected the header 'node_id,time_ms')");
}

// The conversion from the table to a Scenario.

class Loader {
  public:
    explicit Loader(const Context& ctx) : ctx_(ctx) {}

    Scenario load(const toml::table& root) {
        const Table top{ctx_, root, ""};
        top.reject_unknown(
            {"run", "populations", "projections", "record", "task", "training", "rate", "spiking"});
        read_run(top);
        // A scenario that trains networks on a task needs no free-running spiking network.
        const bool trains = top.find("rate") != nullptr || top.find("spiking") != nullptr;
        const bool spiking = top.find("populations") != nullptr || !trains;
        if (spiking) {
            read_populations(top);
            read_projections(top);
        } else if (const auto* projections = top.find("projections")) {
            ctx_.fail(*projections, "projections", "projections need [populations.<name>] tables");
        }
        read_record(top);
        read_task(top);
        read_training(top);
        read_rate_networks(top);
        read_spiking_networks(top);
        validate_all();
        return std::move(scenario_);
    }

    // The data directory as read (relative to the scenario file), if [task] names one.
    const std::optional<std::filesystem::path>& data_dir() const { return data_dir_; }

    // Spike-train files read, by population: the resolved text names them by absolute path.
    const std::map<std::string, std::filesystem::path>& spike_files() const { return spike_files_; }
    bool output_given() const { return output_given_; }

  private:
    void read_run(const Table& top) {
        NetworkSpec& net = scenario_.network;
        scenario_.run.output = default_output();
        const toml::node* node = top.find("run");
        if (node == nullptr) {
            check_duration(top.table, "run.duration_ms", true);
            return;
        }
        const Table run = as_table(ctx_, *node, "run");
        run.reject_unknown({"dt_ms", "duration_ms", "seed", "output", "mode"});
        if (const auto* dt = run.find("dt_ms")) {
            net.dt_ms = to_number(ctx_, *dt, run.key_path("dt_ms"));
            if (!(std::isfinite(net.dt_ms) && net.dt_ms > 0.0)) {
                ctx_.fail(*dt, run.key_path("dt_ms"), fmt::format("{} ms: must be > 0", net.dt_ms));
            }
        }
        if (const auto* seed = run.find("seed")) {
            net.seed = to_integer<std::uint64_t>(ctx_, *seed, run.key_path("seed"));
        }
        if (const auto* output = run.find("output")) {
            scenario_.run.output = to_string(ctx_, *output, run.key_path("output"));
            if (scenario_.run.output.empty()) {
                ctx_.fail(*output, run.key_path("output"), "must not be empty");
            }
            output_given_ = true;
        }
        if (const auto* mode = run.find("mode")) {
            mode_ = to_choice(ctx_, *mode, run.key_path("mode"), "mode", mode_names);
        }
        const toml::node* duration = run.find("duration_ms");
        if (duration != nullptr) {
            scenario_.run.duration_ms = to_number(ctx_, *duration, run.key_path("duration_ms"));
        }
        check_duration(duration != nullptr ? *duration : run.table, run.key_path("duration_ms"),
                       duration == nullptr);
    }

    // Also the default: 1000 ms is not a whole number of steps for every dt.
    void check_duration(const toml::node& node, const std::string& path, bool is_default) const {
        const double value = scenario_.run.duration_ms;
        const char* note = is_default ? " (the default value)" : "";
        if (!(std::isfinite(value) && value > 0.0)) {
            ctx_.fail(node, path, fmt::format("{} ms: must be > 0{}", value, note));
        }
        try {
            TimeGrid(scenario_.network.dt_ms).steps_in(value, "duration_ms");
        } catch (const ParamError& e) {
            ctx_.fail(node, path, without_assignment(e.what(), "duration_ms") + note);
        }
    }

    std::string default_output() const {
        const std::string stem = std::filesystem::path(ctx_.source()).stem().string();
        return (stem.empty() || stem.front() == '<' ? std::string("scenario") : stem) + ".h5";
    }

    void check_name(const toml::node& node, const std::string& path, std::string_view name,
                    std::string_view what) const {
        if (name.empty()) ctx_.fail(node, path, fmt::format("a {} name must not be empty", what));
        if (name.find('/') != std::string_view::npos) {
            ctx_.fail(node, path,
                      fmt::format("a {} name must not contain '/' (it names an HDF5 group)", what));
        }
    }

    void read_populations(const Table& top) {
        const toml::node& node = top.require(
            "populations", "a table of populations, e.g. [populations.exc] with model and size");
        const Table populations = as_table(ctx_, node, "populations");
        if (populations.table.empty()) {
            ctx_.fail(node, "populations",
                      "no populations (expected at least one [populations.<name>] table)");
        }
        for (const auto& [key, value] : populations.table) {
            const std::string path = populations.key_path(key.str());
            check_name(value, path, key.str(), "population");
            read_population(as_table(ctx_, value, path), std::string(key.str()));
        }
    }

    void read_population(const Table& t, const std::string& name) {
        static const std::vector<std::string> ids =
            alternative_names<PopulationModel>(population_model_id);
        const std::vector<std::string> common{"model", "size", "integration"};

        if (t.find("model") == nullptr) {  // a misspelt model key is reported as such
            std::vector<std::string> any = common;
            any.push_back("initial");
            any.push_back("file");
            t.reject_unknown(keys_of_any<PopulationModel>(any));
        }
        const toml::node& model_node = t.require("model", fmt::format("a string, {}", one_of(ids)));
        const std::string model_path = t.key_path("model");
        const std::string id =
            to_string(ctx_, model_node, model_path, fmt::format("a string, {}", one_of(ids)));
        const auto model = alternative_named<PopulationModel>(id, population_model_id);
        if (!model) ctx_.fail(model_node, model_path, unknown_name("model", id, ids));

        PopulationSpec pop;
        pop.name = name;
        pop.model = *model;
        const bool neuron = is_neuron_model(pop.model);
        const bool spike_train = std::holds_alternative<SpikeTrainSourceParams>(pop.model);

        std::vector<std::string> valid = common;
        std::visit(
            [&](auto& params) { std::ranges::copy(keys_of(params), std::back_inserter(valid)); },
            pop.model);
        if (neuron) valid.push_back("initial");
        if (spike_train) valid.push_back("file");
        t.reject_unknown(valid);

        Element element{&t.table, t.path, {}};
        element.add("model", &model_node, &t.table, model_path);

        const std::string size_path = t.key_path("size");
        const toml::node& size_node = t.require("size", "an integer >= 1");
        pop.size = to_integer<std::uint32_t>(ctx_, size_node, size_path, 1);
        element.add("size", &size_node, &t.table, size_path);

        const toml::node* integration = t.find("integration");
        if (integration != nullptr) {
            pop.integration = to_choice(ctx_, *integration, t.key_path("integration"),
                                        "integration", integration_names);
        } else if (mode_ == Mode::precise && has_exact_propagator(pop.model)) {
            pop.integration = Integration::precise;
        }
        element.add("integration", integration, &t.table, t.key_path("integration"));

        std::visit([&](auto& params) { read_fields(t, params, &element, &t.table); }, pop.model);

        if (const toml::node* initial = t.find("initial"); initial != nullptr) {
            read_initial(as_table(ctx_, *initial, t.key_path("initial")), pop, element);
        }
        if (spike_train) read_spike_train(t, pop, element);

        const std::string context =
            fmt::format("population '{}' ({}): ", pop.name, model_id(pop.model));
        check_in(ctx_, element, context, [&] {
            NetworkSpec alone{.dt_ms = scenario_.network.dt_ms, .seed = scenario_.network.seed};
            alone.populations.push_back(pop);
            alone.validate();
        });
        population_elements_.emplace(pop.name, std::move(element));
        scenario_.network.populations.push_back(std::move(pop));
    }

    void read_initial(const Table& t, PopulationSpec& pop, Element& element) const {
        const std::vector<StateVariable> vars = state_variables(pop.model);
        std::vector<std::string> keys;
        for (const auto& var : vars) keys.push_back(field_key(var.name, var.unit));
        t.reject_unknown(keys);
        for (std::size_t i = 0; i < vars.size(); ++i) {
            const toml::node* node = t.find(keys[i]);
            if (node == nullptr) continue;
            const std::string path = t.key_path(keys[i]);
            pop.initial.push_back(
                InitialValue{std::string(vars[i].name),
                             to_distribution(ctx_, *node, path, std::string(vars[i].unit))});
            element.add("initial " + std::string(vars[i].name), node, &t.table, path);
        }
    }

    void read_spike_train(const Table& t, PopulationSpec& pop, Element& element) {
        auto& params = std::get<SpikeTrainSourceParams>(pop.model);
        const toml::node* times = t.find("times_ms");
        const toml::node* ids = t.find("node_ids");
        const toml::node* file = t.find("file");
        if (file != nullptr) {
            const std::string path = t.key_path("file");
            if (times != nullptr || ids != nullptr) {
                ctx_.fail(*file, path, "give either file or times_ms and node_ids, not both");
            }
            const std::filesystem::path name = to_string(ctx_, *file, path);
            const std::filesystem::path resolved = ctx_.base_dir() / name;
            read_spike_file(ctx_, *file, path, resolved, pop.size, params);
            element.add("times_ms", file, &t.table, path);
            element.add("node_ids", file, &t.table, path);
            spike_files_[pop.name] = resolved;
            return;
        }
        if (times == nullptr && ids == nullptr) {
            ctx_.fail(t.table, t.path,
                      "a spike_train needs times_ms and node_ids, or file (a CSV file with the "
                      "header node_id,time_ms)");
        }
        if (times == nullptr) t.require("times_ms", "an array of numbers, one per node id");
        if (ids == nullptr) t.require("node_ids", "an array of integers, one per time");
    }

    void read_projections(const Table& top) {
        const toml::node* node = top.find("projections");
        if (node == nullptr) return;
        const Table projections = as_table(ctx_, *node, "projections");
        for (const auto& [key, value] : projections.table) {
            const std::string path = projections.key_path(key.str());
            check_name(value, path, key.str(), "projection");
            read_projection(as_table(ctx_, value, path), std::string(key.str()));
        }
    }

    const PopulationSpec* population(std::string_view name) const {
        for (const auto& pop : scenario_.network.populations) {
            if (pop.name == name) return &pop;
        }
        return nullptr;
    }

    std::vector<std::string> population_names(bool neurons_only = false) const {
        std::vector<std::string> names;
        for (const auto& pop : scenario_.network.populations) {
            if (!neurons_only || is_neuron_model(pop.model)) names.push_back(pop.name);
        }
        return names;
    }

    const PopulationSpec& population_ref(const Table& t, std::string_view key) const {
        const toml::node& node = t.require(key, "a population name");
        const std::string path = t.key_path(key);
        const std::string name = to_string(ctx_, node, path, "a population name");
        const PopulationSpec* pop = population(name);
        if (pop == nullptr)
            ctx_.fail(node, path, unknown_name("population", name, population_names()));
        return *pop;
    }

    static bool is_weight_key(std::string_view key) {
        return key == "weight" || key.starts_with("weight_");
    }

    void read_projection(const Table& t, const std::string& name) {
        ProjectionSpec proj;
        proj.name = name;
        proj.delay_ms = Distribution::constant(scenario_.network.dt_ms);

        // The weight key depends on the target; suggest it when the target is known.
        std::vector<std::string> valid{"pre",      "post",    "connection", "receptor",
                                       "delay_ms", "storage", "plasticity"};
        std::vector<std::string> with_weight = valid;
        std::string target_unit;
        if (const auto* post = t.find("post"); post != nullptr && post->is_string()) {
            if (const auto* pop = population(post->as_string()->get())) {
                target_unit = weight_unit(pop->model);
            }
        }
        if (target_unit.empty()) {
            std::ranges::copy(all_weight_keys(), std::back_inserter(with_weight));
        } else {
            with_weight.push_back("weight_" + target_unit);
        }
        t.reject_unknown(with_weight, is_weight_key);

        Element element{&t.table, t.path, {}};
        const PopulationSpec& pre = population_ref(t, "pre");
        const PopulationSpec& post = population_ref(t, "post");
        proj.pre = pre.name;
        proj.post = post.name;
        element.add("pre", t.find("pre"), &t.table, t.key_path("pre"));
        element.add("post", t.find("post"), &t.table, t.key_path("post"));
        if (!is_neuron_model(post.model)) {
            ctx_.fail(*t.find("post"), t.key_path("post"),
                      fmt::format("'{}' is a {} source, which takes no input (expected a neuron "
                                  "population, {})",
                                  post.name, model_id(post.model), one_of(population_names(true))));
        }
        const std::string unit(weight_unit(post.model));
        read_weight(t, proj, post, unit, element);

        if (const auto* delay = t.find("delay_ms")) {
            proj.delay_ms = to_distribution(ctx_, *delay, t.key_path("delay_ms"), "ms");
        }
        element.add("delay_ms", t.find("delay_ms"), &t.table, t.key_path("delay_ms"));
        if (const auto* receptor = t.find("receptor")) {
            proj.receptor =
                to_choice(ctx_, *receptor, t.key_path("receptor"), "receptor", receptor_names);
        }
        if (const auto* storage = t.find("storage")) {
            proj.storage =
                to_choice(ctx_, *storage, t.key_path("storage"), "storage", storage_names);
        }
        element.add("storage", t.find("storage"), &t.table, t.key_path("storage"));
        if (const auto* connection = t.find("connection")) {
            proj.connection = read_connection(*connection, t.key_path("connection"), element);
        }
        if (const auto* plasticity = t.find("plasticity")) {
            proj.plasticity = read_plasticity(*plasticity, t.key_path("plasticity"), element);
        }
        element.add("plasticity", t.find("plasticity"), &t.table, t.key_path("plasticity"));

        const std::string context = fmt::format("projection '{}': ", proj.resolved_name());
        check_in(ctx_, element, context, [&] {
            // Only the populations it connects.
            NetworkSpec alone{.dt_ms = scenario_.network.dt_ms, .seed = scenario_.network.seed};
            for (const PopulationSpec* pop : {&pre, &post}) {
                if (!alone.populations.empty() && pop->name == alone.populations[0].name) break;
                PopulationSpec copy = *pop;  // spike trains are not needed here
                if (std::holds_alternative<SpikeTrainSourceParams>(copy.model)) {
                    copy.model = SpikeTrainSourceParams{};
                }
                alone.populations.push_back(std::move(copy));
            }
            alone.projections.push_back(proj);
            alone.validate();
        });
        projection_elements_.emplace(proj.resolved_name(), std::move(element));
        scenario_.network.projections.push_back(std::move(proj));
    }

    void read_weight(const Table& t, ProjectionSpec& proj, const PopulationSpec& post,
                     const std::string& unit, Element& element) const {
        const std::string expected_key = "weight_" + unit;
        const toml::node* found = nullptr;
        std::string found_key;
        for (const auto& [key, value] : t.table) {
            if (!is_weight_key(key.str())) continue;
            const std::string path = t.key_path(key.str());
            if (found != nullptr) {
                ctx_.fail(value, path,
                          fmt::format("a second weight key besides '{}' (give one weight, in {}, "
                                      "as {})",
                                      found_key, unit, expected_key));
            }
            if (key.str() != expected_key) {
                ctx_.fail(value, path,
                          fmt::format("'{}' is a {} population, which takes weights in {} "
                                      "(expected {})",
                                      post.name, model_id(post.model), unit, expected_key));
            }
            found = &value;
            found_key = key.str();
        }
        const std::string path = t.key_path(expected_key);
        if (found == nullptr) {
            ctx_.fail(t.table, path,
                      fmt::format("missing required key (expected the weight in {}, a number or "
                                  "a distribution, as {} takes weights in {})",
                                  unit, model_id(post.model), unit));
        }
        proj.weight = to_distribution(ctx_, *found, path, unit);
        element.add("weight", found, &t.table, path);
        element.add("initial weights", found, &t.table, path);
    }

    ConnectionRule read_connection(const toml::node& node, const std::string& path,
                                   Element& element) const {
        static const std::vector<std::string> rules =
            alternative_names<ConnectionRule>(connection_rule_id);
        const std::string expected =
            fmt::format("a rule name or a table {{ rule = ..., ... }}, rule {}", one_of(rules));
        const auto rule_of = [&](const toml::node& name_node, const std::string& name_path) {
            const std::string name = to_string(ctx_, name_node, name_path, expected);
            const auto rule = alternative_named<ConnectionRule>(name, connection_rule_id);
            if (!rule)
                ctx_.fail(name_node, name_path, unknown_name("connection rule", name, rules));
            return *rule;
        };
        for (const char* ident : {"one_to_one", "from_list", "no presynaptic"}) {
            element.add(ident, &node, &node, path);
        }

        if (node.is_string()) {
            ConnectionRule rule = rule_of(node, path);
            std::visit(
                [&](auto& r) {
                    for (const auto& key : keys_of(r)) {
                        if (required_connection_field(key)) {
                            ctx_.fail(node, path,
                                      fmt::format("{} needs {}: write connection = {{ rule = "
                                                  "\"{}\", {} = ... }}",
                                                  connection_rule_id(r), key, connection_rule_id(r),
                                                  key));
                        }
                    }
                },
                rule);
            element.add("p", nullptr, &node, path);
            element.add("k", nullptr, &node, path);
            return rule;
        }
        const Table t = as_table(ctx_, node, path, expected);
        if (t.find("rule") == nullptr) {  // a misspelt rule key is reported as such
            t.reject_unknown(keys_of_any<ConnectionRule>({"rule"}));
        }
        ConnectionRule rule = rule_of(t.require("rule", fmt::format("a string, {}", one_of(rules))),
                                      t.key_path("rule"));
        std::visit(
            [&](auto& r) {
                std::vector<std::string> valid{"rule"};
                std::ranges::copy(keys_of(r), std::back_inserter(valid));
                t.reject_unknown(valid);
                for (const auto& key : keys_of(r)) {
                    if (required_connection_field(key)) {
                        t.require(key, key == "p"   ? "a probability in [0, 1]"
                                       : key == "k" ? "an integer, the in-degree"
                                                    : "an array of neuron indices");
                    }
                }
                read_fields(t, r, nullptr, &node);
            },
            rule);
        element.add("p", t.find("p"), &node, t.key_path("p"));
        element.add("k", t.find("k"), &node, t.key_path("k"));
        element.add("pre index", t.find("pre"), &node, t.key_path("pre"));
        element.add("post index", t.find("post"), &node, t.key_path("post"));
        return rule;
    }

    PlasticityParams read_plasticity(const toml::node& node, const std::string& path,
                                     Element& element) const {
        static const std::vector<std::string> rules =
            alternative_names<PlasticityParams>(plasticity_rule_id);
        const std::string expected = fmt::format(
            "a rule name or a table {{ rule = ..., <parameters> }}, rule {}", one_of(rules));
        const auto rule_of = [&](const toml::node& name_node, const std::string& name_path) {
            const std::string name = to_string(ctx_, name_node, name_path, expected);
            const auto rule = name.empty()
                                  ? std::nullopt
                                  : alternative_named<PlasticityParams>(name, plasticity_rule_id);
            if (!rule) {
                ctx_.fail(name_node, name_path, unknown_name("plasticity rule", name, rules));
            }
            return *rule;
        };
        if (node.is_string()) {
            PlasticityParams rule = rule_of(node, path);
            std::visit(
                [&](auto& r) {
                    read_fields(Table{ctx_, empty_, path}, r, &element, &node);
                },
                rule);
            return rule;
        }
        const Table t = as_table(ctx_, node, path, expected);
        if (t.find("rule") == nullptr) {
            t.reject_unknown(keys_of_any<PlasticityParams>({"rule"}));
        }
        PlasticityParams rule = rule_of(
            t.require("rule", fmt::format("a string, {}", one_of(rules))), t.key_path("rule"));
        std::visit(
            [&](auto& r) {
                std::vector<std::string> valid{"rule"};
                std::ranges::copy(keys_of(r), std::back_inserter(valid));
                t.reject_unknown(valid);
                read_fields(t, r, &element, &node);
            },
            rule);
        return rule;
    }

    void read_record(const Table& top) {
        RecordingSpec& record = scenario_.record;
        const toml::node* node = top.find("record");
        const Table t =
            node != nullptr ? as_table(ctx_, *node, "record") : Table{ctx_, empty_, "record"};
        t.reject_unknown({"spikes", "weights", "state"});

        Element spikes{&t.table, t.key_path("spikes"), {}};
        if (const auto* list = t.find("spikes")) {
            const std::string path = t.key_path("spikes");
            const toml::array& names = to_array(ctx_, *list, path, "an array of population names");
            for (std::size_t i = 0; i < names.size(); ++i) {
                const std::string name =
                    to_string(ctx_, names[i], item(path, i), "a population name");
                if (population(name) == nullptr) {
                    ctx_.fail(names[i], item(path, i),
                              unknown_name("population", name, population_names()));
                }
                record.spikes.push_back(name);
            }
            spikes.table = list;
        } else {
            record.spikes = population_names(true);
        }
        record_elements_.emplace("record.spikes: ", std::move(spikes));

        if (const auto* weights = t.find("weights")) {
            const Table reports = as_table(ctx_, *weights, t.key_path("weights"),
                                           "a table of reports [record.weights.<name>]");
            for (const auto& [key, value] : reports.table) {
                const std::string path = reports.key_path(key.str());
                check_name(value, path, key.str(), "report");
                read_weight_report(as_table(ctx_, value, path), std::string(key.str()));
            }
        }
        if (const auto* states = t.find("state")) {
            const Table reports = as_table(ctx_, *states, t.key_path("state"),
                                           "a table of reports [record.state.<name>]");
            for (const auto& [key, value] : reports.table) {
                const std::string path = reports.key_path(key.str());
                check_name(value, path, key.str(), "report");
                read_state_report(as_table(ctx_, value, path), std::string(key.str()));
            }
        }
    }

    void read_weight_report(const Table& t, const std::string& name) {
        t.reject_unknown({"projection", "every_ms", "post_neurons"});
        WeightReportSpec report;
        report.name = name;
        Element element{&t.table, t.path, {}};

        const toml::node& projection = t.require("projection", "a projection name");
        const std::string path = t.key_path("projection");
        report.projection = to_string(ctx_, projection, path, "a projection name");
        std::vector<std::string> names;
        for (const auto& proj : scenario_.network.projections)
            names.push_back(proj.resolved_name());
        if (std::find(names.begin(), names.end(), report.projection) == names.end()) {
            ctx_.fail(projection, path, unknown_name("projection", report.projection, names));
        }
        element.add("projection", &projection, &t.table, path);
        if (const auto* every = t.find("every_ms")) {
            report.every_ms = to_number(ctx_, *every, t.key_path("every_ms"));
        }
        element.add("every_ms", t.find("every_ms"), &t.table, t.key_path("every_ms"));
        if (const auto* post = t.find("post_neurons")) {
            read_field(ctx_, *post, t.key_path("post_neurons"), "post_neurons", report.post_neurons,
                       "");
        }
        element.add("post_neurons", t.find("post_neurons"), &t.table, t.key_path("post_neurons"));
        record_elements_.emplace(fmt::format("record.weights.{}: ", name), std::move(element));
        scenario_.record.weights.push_back(std::move(report));
    }

    void read_state_report(const Table& t, const std::string& name) {
        t.reject_unknown({"population", "variable", "every_ms", "neurons"});
        StateReportSpec report;
        report.name = name;
        Element element{&t.table, t.path, {}};

        const PopulationSpec& pop = population_ref(t, "population");
        report.population = pop.name;
        element.add("population", t.find("population"), &t.table, t.key_path("population"));

        const toml::node& variable = t.require("variable", "a state variable name, e.g. \"V_m\"");
        const std::string path = t.key_path("variable");
        report.variable = to_string(ctx_, variable, path, "a state variable name");
        std::vector<std::string> vars;
        for (const auto& var : state_variables(pop.model)) vars.emplace_back(var.name);
        if (vars.empty()) {
            ctx_.fail(variable, path,
                      fmt::format("'{}' is a {} source, which has no state variables", pop.name,
                                  model_id(pop.model)));
        }
        if (std::find(vars.begin(), vars.end(), report.variable) == vars.end()) {
            ctx_.fail(variable, path,
                      unknown_name(fmt::format("state variable of {}", model_id(pop.model)),
                                   report.variable, vars));
        }
        element.add("variable", &variable, &t.table, path);
        if (const auto* every = t.find("every_ms")) {
            report.every_ms = to_number(ctx_, *every, t.key_path("every_ms"));
        }
        element.add("every_ms", t.find("every_ms"), &t.table, t.key_path("every_ms"));
        if (const auto* neurons = t.find("neurons")) {
            read_field(ctx_, *neurons, t.key_path("neurons"), "neurons", report.neurons, "");
        }
        element.add("neurons", t.find("neurons"), &t.table, t.key_path("neurons"));
        record_elements_.emplace(fmt::format("record.state.{}: ", name), std::move(element));
        scenario_.record.states.push_back(std::move(report));
    }

    // [task]: the data set, with its parameters in [task.<dataset>] (e.g. [task.bars]).
    void read_task(const Table& top) {
        const toml::node* node = top.find("task");
        if (node == nullptr) {
            if (const auto* rate = top.find("rate")) {
                ctx_.fail(*rate, "rate",
                          "rate networks need a [task] section (e.g. dataset = \"mnist\")");
            }
            if (const auto* spiking = top.find("spiking")) {
                ctx_.fail(*spiking, "spiking",
                          "spiking networks need a [task] section (e.g. dataset = \"mnist\")");
            }
            return;
        }
        const Table t = as_table(ctx_, *node, "task");
        task::TaskSpec spec;
        std::vector<std::string> valid = keys_of(spec);
        valid.emplace_back("data_dir");
        for (const auto& [name, kind] : task::dataset_kinds) {
            if (kind != task::DatasetKind::mnist) valid.emplace_back(name);
        }
        t.reject_unknown(valid);
        Element element{&t.table, t.path, {}};
        read_fields(t, spec, &element, node);
        const std::string dataset = task::dataset_name(spec.dataset);
        for (const auto& [name, kind] : task::dataset_kinds) {
            const toml::node* params = t.find(name);
            if (params != nullptr && kind != spec.dataset) {
                ctx_.fail(
                    *params, t.key_path(name),
                    fmt::format("parameters of '{}' given, but dataset = \"{}\"", name, dataset));
            }
        }
        if (const auto* dir = t.find("data_dir")) {
            const std::string text = to_string(ctx_, *dir, t.key_path("data_dir"), "a directory");
            if (spec.dataset != task::DatasetKind::mnist) {
                ctx_.fail(
                    *dir, t.key_path("data_dir"),
                    fmt::format("only the mnist dataset is read from files (dataset = \"{}\")",
                                dataset));
            }
            if (text.empty()) ctx_.fail(*dir, t.key_path("data_dir"), "must not be empty");
            data_dir_ = text;
            spec.data_dir = ctx_.base_dir() / text;
        }
        const auto read_dataset_params = [&](auto& params) {
            const toml::node* sub = t.find(dataset);
            const Table st = sub != nullptr ? as_table(ctx_, *sub, t.key_path(dataset))
                                            : Table{ctx_, empty_, t.key_path(dataset)};
            st.reject_unknown(keys_of(params));
            Element sub_element{sub != nullptr ? sub : node, st.path, {}};
            read_fields(st, params, &sub_element, sub != nullptr ? sub : node);
            check_in(ctx_, sub_element, "", [&] { params.validate(); });
        };
        switch (spec.dataset) {
            case task::DatasetKind::mnist:
                break;
            case task::DatasetKind::bars:
                read_dataset_params(spec.bars);
                break;
            case task::DatasetKind::gaussian_clusters:
                read_dataset_params(spec.gaussian_clusters);
                break;
            case task::DatasetKind::xor_task:
                read_dataset_params(spec.xor_task);
                break;
        }
        check_in(ctx_, element, "", [&] { spec.validate(); });
        scenario_.task = std::move(spec);
    }

    // [training]: the schedule on the shared axis of examples seen.
    void read_training(const Table& top) {
        const toml::node* node = top.find("training");
        if (node == nullptr) return;
        if (!scenario_.task) {
            ctx_.fail(*node, "training", "a training schedule needs a [task] section");
        }
        const Table t = as_table(ctx_, *node, "training");
        t.reject_unknown(keys_of(scenario_.training));
        Element element{&t.table, t.path, {}};
        read_fields(t, scenario_.training, &element, node);
        check_in(ctx_, element, "", [&] { scenario_.training.validate(); });
    }

    // [rate.<name>]: rate networks trained on the task (keys of the network, the optimiser and
    // the training of that network in one table).
    void read_rate_networks(const Table& top) {
        const toml::node* node = top.find("rate");
        if (node == nullptr) return;
        const Table rates = as_table(ctx_, *node, "rate", "a table of rate networks [rate.<name>]");
        if (rates.table.empty()) {
            ctx_.fail(*node, "rate", "no rate networks (expected [rate.<name>] tables)");
        }
        for (const auto& [key, value] : rates.table) {
            const std::string path = rates.key_path(key.str());
            check_name(value, path, key.str(), "rate network");
            const Table t = as_table(ctx_, value, path);
            train::RateNetworkSpec spec;
            spec.name = std::string(key.str());
            std::vector<std::string> valid = keys_of(spec.network);
            std::ranges::copy(keys_of(spec.optimizer), std::back_inserter(valid));
            std::ranges::copy(keys_of(spec), std::back_inserter(valid));
            t.reject_unknown(valid);
            Element element{&value, path, {}};
            read_fields(t, spec.network, &element, &value);
            read_fields(t, spec.optimizer, &element, &value);
            read_fields(t, spec, &element, &value);
            // Input and output sizes come from the task when it is loaded; any valid size
            // checks the rest now.
            train::RateNetworkSpec sized = spec;
            sized.network.n_inputs = 1;
            sized.network.n_outputs = 2;
            check_in(ctx_, element, "", [&] { sized.validate(); });
            scenario_.rate_networks.push_back(std::move(spec));
        }
    }

    // [spiking.<name>]: spiking networks trained on the task without labels. architecture
    // names the network; its parameters are keys of the table, the neuron and plasticity
    // parameters subtables [spiking.<name>.exc], [.inh] and [.stdp].
    void read_spiking_networks(const Table& top) {
        const toml::node* node = top.find("spiking");
        if (node == nullptr) return;
        const Table nets =
            as_table(ctx_, *node, "spiking", "a table of spiking networks [spiking.<name>]");
        if (nets.table.empty()) {
            ctx_.fail(*node, "spiking", "no spiking networks (expected [spiking.<name>] tables)");
        }
        static const std::vector<std::string> architectures{"diehl_cook_2015"};
        for (const auto& [key, value] : nets.table) {
            const std::string path = nets.key_path(key.str());
            check_name(value, path, key.str(), "spiking network");
            const Table t = as_table(ctx_, value, path);
            train::SpikingNetworkSpec spec;
            spec.name = std::string(key.str());
            const toml::node* architecture = t.find("architecture");
            if (architecture == nullptr) {
                ctx_.fail(value, path,
                          fmt::format("missing key 'architecture' ({})", one_of(architectures)));
            }
            const std::string name =
                to_string(ctx_, *architecture, t.key_path("architecture"), "an architecture name");
            if (std::find(architectures.begin(), architectures.end(), name) ==
                architectures.end()) {
                ctx_.fail(*architecture, t.key_path("architecture"),
                          unknown_name("architecture", name, architectures));
            }
            std::vector<std::string> valid = keys_of(spec.architecture);
            std::ranges::copy(keys_of(spec), std::back_inserter(valid));
            for (const char* extra : {"architecture", "exc", "inh", "stdp"})
                valid.emplace_back(extra);
            t.reject_unknown(valid);
            Element element{&value, path, {}};
            read_fields(t, spec.architecture, &element, &value);
            read_fields(t, spec, &element, &value);
            const auto read_part = [&](const char* part, auto& params) {
                const toml::node* sub = t.find(part);
                if (sub == nullptr) return;
                const Table st = as_table(ctx_, *sub, t.key_path(part));
                st.reject_unknown(keys_of(params));
                read_fields(st, params, &element, sub);
            };
            read_part("exc", spec.architecture.exc);
            read_part("inh", spec.architecture.inh);
            read_part("stdp", spec.architecture.stdp);
            check_in(ctx_, element, "", [&] { spec.validate(); });
            scenario_.spiking_networks.push_back(std::move(spec));
        }
    }

    // The whole network and the recording, after every element passed on its own.
    void validate_all() const {
        try {
            scenario_.network.validate();
        } catch (const ParamError& e) {
            const std::string_view message = e.what();
            for (const auto& pop : scenario_.network.populations) {
                const std::string context =
                    fmt::format("population '{}' ({}): ", pop.name, model_id(pop.model));
                if (message.starts_with(context)) {
                    fail_in(ctx_, population_elements_.at(pop.name),
                            message.substr(context.size()));
                }
            }
            for (const auto& [name, element] : projection_elements_) {
                const std::string context = fmt::format("projection '{}': ", name);
                if (message.starts_with(context)) {
                    fail_in(ctx_, element, message.substr(context.size()));
                }
            }
            throw ScenarioError(fmt::format("{}: {}", ctx_.source(), message));
        }
        try {
            scenario_.record.validate(scenario_.network);
        } catch (const ParamError& e) {
            const std::string_view message = e.what();
            for (const auto& [context, element] : record_elements_) {
                if (message.starts_with(context)) {
                    fail_in(ctx_, element, message.substr(context.size()));
                }
            }
            throw ScenarioError(fmt::format("{}: {}", ctx_.source(), message));
        }
    }

    const Context& ctx_;
    Scenario scenario_;
    Mode mode_ = Mode::grid;
    bool output_given_ = false;
    toml::table empty_;
    std::map<std::string, Element> population_elements_;
    std::map<std::string, Element> projection_elements_;
    std::map<std::string, Element> record_elements_;  // by message prefix "record.state.<name>: "
    std::map<std::string, std::filesystem::path> spike_files_;
    std::optional<std::filesystem::path> data_dir_;
};

// --set overrides.

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
        const toml::table probe = toml::parse(fmt::format("{} = 0", key_text), std::string_view{});
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
        doc = toml::parse(fmt::format("{} = {}", key_text, value_text), std::string_view(label));
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

// toml++ on GCC prints doubles with 17 significant digits (0.1 -> 0.10000000000000001). This
// respells every float of the formatted text in its shortest form that parses back to the same
// double. Strings and comments are copied as they are; keys are never numbers after validation.
std::string shortest_floats(std::string_view text) {
    const auto is_key_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    };
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '#') {
            const std::size_t end = std::min(text.find('\n', i), text.size());
            out.append(text.substr(i, end - i));
            i = end;
        } else if (c == '"' || c == '\'') {
            const bool triple = text.substr(i, 3) == std::string(3, c);
            const std::string_view close = triple ? text.substr(i, 3) : text.substr(i, 1);
            std::size_t j = i + close.size();
            while (j < text.size() && text.substr(j, close.size()) != close) {
                j += (c == '"' && text[j] == '\\') ? 2 : 1;
            }
            j = std::min(j + close.size(), text.size());
            out.append(text.substr(i, j - i));
            i = j;
        } else if ((std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '+') &&
                   (i == 0 || !is_key_char(text[i - 1]))) {
            std::size_t j = i + 1;
            while (j < text.size() &&
                   (std::isdigit(static_cast<unsigned char>(text[j])) != 0 ||
                    std::string_view(".eE+-").find(text[j]) != std::string_view::npos)) {
                ++j;
            }
            const std::string_view token = text.substr(i, j - i);
            const std::string_view digits = token.substr(token[0] == '+' ? 1 : 0);
            double value = 0.0;
            const auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            const bool is_float = token.find_first_of(".eE") != std::string_view::npos;
            if (is_float && error == std::errc{} && end == digits.data() + digits.size() &&
                std::isfinite(value)) {
                std::string shortest = fmt::format("{}", value);
                if (shortest.find_first_of(".e") == std::string::npos) shortest += ".0";
                out += shortest;
            } else {
                out.append(token);
            }
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

}  // namespace

Scenario parse_scenario(std::string_view toml_text, std::string_view source_name,
                        const std::vector<std::string>& overrides) {
    const Context ctx{std::string(source_name), std::filesystem::path(source_name).parent_path()};
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        throw ScenarioError(fmt::format("{}:{}:{}: TOML syntax error: {}", source_name, begin.line,
                                        begin.column, e.description()));
    }
    for (const auto& text : overrides) apply_override(root, text);

    Loader loader(ctx);
    Scenario scenario = loader.load(root);
    scenario.source = std::string(source_name);

    // The resolved text parses back to the same scenario from anywhere: the output is explicit
    // and spike-train files are named by absolute path.
    if (!loader.output_given()) {
        if (root.get("run") == nullptr) root.insert("run", toml::table{});
        root.get("run")->as_table()->insert_or_assign("output", scenario.run.output);
    }
    for (const auto& [name, file] : loader.spike_files()) {
        std::error_code error;
        std::filesystem::path absolute = std::filesystem::absolute(file, error);
        if (error) absolute = file;
        root.get("populations")
            ->as_table()
            ->get(name)
            ->as_table()
            ->insert_or_assign("file", absolute.lexically_normal().string());
    }
    if (loader.data_dir()) {
        std::error_code error;
        std::filesystem::path absolute = std::filesystem::absolute(scenario.task->data_dir, error);
        if (error) absolute = scenario.task->data_dir;
        root.get("task")->as_table()->insert_or_assign("data_dir",
                                                       absolute.lexically_normal().string());
    }
    std::ostringstream text;
    text << toml::toml_formatter(root);
    scenario.resolved_text = shortest_floats(text.str()) + "\n";
    return scenario;
}

Scenario load_scenario(const std::filesystem::path& file,
                       const std::vector<std::string>& overrides) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) {
        throw ScenarioError(
            fmt::format("{}: cannot open the scenario file: no such file", file.string()));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw ScenarioError(fmt::format("{}: cannot open the scenario file", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_scenario(text.str(), file.string(), overrides);
}

}  // namespace spikerate::sim::io
