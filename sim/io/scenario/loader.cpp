// How a scenario is read (sim/io/scenario.hpp):
//   0. the file and each --set override are refused when they nest deeper than max_nesting;
//   1. toml++ parses the file (syntax errors carry line:column);
//   2. each --set override is moved into the table (overrides.cpp), its nodes naming the
//      override as their source;
//   3. the sections are read in order (run, populations, projections, modulators, record, task,
//      training, rate, spiking; one file each), each rejecting unknown keys, reading its structs
//      through their visit_fields and validating each element on its own;
//   4. the whole network and the recording are validated once more;
//   5. the table is written back out (resolved_text.cpp).
// A ParamError from a validate() names its key as data (ParamError::key()); the element it
// concerns knows where each key is (reader::Element), so no message is ever parsed.

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "sim/io/scenario.hpp"
#include "sim/io/scenario/sections.hpp"
#include "sim/task/mnist.hpp"

namespace spikerate::sim::io {

namespace reader {

const PopulationSpec* LoadState::population(std::string_view name) const {
    for (const auto& pop : scenario.network.populations) {
        if (pop.name == name) return &pop;
    }
    return nullptr;
}

std::vector<std::string> LoadState::population_names(bool neurons_only) const {
    std::vector<std::string> names;
    for (const auto& pop : scenario.network.populations) {
        if (!neurons_only || is_neuron_model(pop.model)) names.push_back(pop.name);
    }
    return names;
}

void LoadState::check_name(const toml::node& node, const std::string& path, std::string_view name,
                           std::string_view what) const {
    if (name.empty()) ctx.fail(node, path, fmt::format("a {} name must not be empty", what));
    if (name.find('/') != std::string_view::npos) {
        ctx.fail(node, path,
                 fmt::format("a {} name must not contain '/' (it names an HDF5 group)", what));
    }
    if (name == "." || name == "..") {
        ctx.fail(node, path,
                 fmt::format("a {} name cannot be '{}' (it names an HDF5 group)", what, name));
    }
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        ctx.fail(
            node, path,
            fmt::format("a {} name must not contain control characters (NUL, newline, ...)", what));
    }
}

void validate_all(const LoadState& state) {
    const auto check = [&](auto&& validate) {
        try {
            validate();
        } catch (const ParamError& e) {
            const auto element = state.elements.find({e.element_kind(), e.element_name()});
            if (element != state.elements.end()) element->second.fail(state.ctx, e);
            throw ScenarioError(fmt::format("{}: {}", state.ctx.source(), e.what()));
        }
    };
    check([&] { state.scenario.network.validate(); });
    check([&] { state.scenario.record.validate(state.scenario.network); });
}

// /report/<name> and /spikes/<name> of the output are shared by the [record] section and by
// what the rate and spiking networks write (their reports and spike groups): no two may have one
// name, or the run would fail late, after its output was created.
void check_output_names(const LoadState& state) {
    struct Claim {
        std::string owner;  // "record.state.v", "spiking network 'stdp' (its theta report)"
        std::pair<std::string, std::string> element;
    };
    std::map<std::string, Claim> reports;
    std::map<std::string, Claim> spikes;
    const auto claim = [&](std::map<std::string, Claim>& names, const char* group,
                           const std::string& name, Claim claim) {
        const auto [it, inserted] = names.emplace(name, claim);
        if (inserted) return;
        const auto element = state.elements.find(claim.element);
        const ParamError error(fmt::format("/{}/{} is written by {} and by {}: rename one", group,
                                           name, it->second.owner, claim.owner));
        if (element != state.elements.end()) element->second.fail(state.ctx, error);
        throw ScenarioError(fmt::format("{}: {}", state.ctx.source(), error.what()));
    };
    const Scenario& s = state.scenario;
    for (const auto& population : s.record.spikes) {
        claim(spikes, "spikes", population, {"record.spikes", {"record", "spikes"}});
    }
    for (const auto& report : s.record.weights) {
        claim(reports, "report", report.name,
              {"record.weights." + report.name, {"record.weights", report.name}});
    }
    for (const auto& report : s.record.states) {
        claim(reports, "report", report.name,
              {"record.state." + report.name, {"record.state", report.name}});
    }
    for (const auto& net : s.rate_networks) {
        for (const auto& name : net.report_names()) {
            claim(reports, "report", name,
                  {fmt::format("rate network '{}' (its weight reports)", net.name),
                   {"rate", net.name}});
        }
    }
    for (const auto& net : s.spiking_networks) {
        for (const auto& name : net.report_names()) {
            claim(reports, "report", name,
                  {fmt::format("spiking network '{}' (its weight and theta reports)", net.name),
                   {"spiking", net.name}});
        }
        if (!net.spike_windows.empty()) {
            claim(spikes, "spikes", net.spike_group(),
                  {fmt::format("spiking network '{}' (its spike_windows)", net.name),
                   {"spiking", net.name}});
        }
    }
}

namespace {

Scenario load(LoadState& state, const toml::table& root) {
    const Table top{state.ctx, root, ""};
    top.reject_unknown({"run", "populations", "projections", "modulators", "record", "task",
                        "training", "rate", "spiking"});
    read_run(state, top);
    // A scenario that trains networks on a task needs no free-running spiking network.
    const bool trains = top.find("rate") != nullptr || top.find("spiking") != nullptr;
    const bool spiking = top.find("populations") != nullptr || !trains;
    if (spiking) {
        read_populations(state, top);
        read_projections(state, top);
        read_modulators(state, top);
    } else if (const auto* projections = top.find("projections")) {
        state.ctx.fail(*projections, "projections", "projections need [populations.<name>] tables");
    }
    read_record(state, top);
    read_task(state, top);
    read_training(state, top);
    read_rate_networks(state, top);
    read_spiking_networks(state, top);
    validate_all(state);
    check_output_names(state);
    for (const auto& entry : state.elements) {
        // (not a structured binding: clang before 16, which builds the fuzz targets, cannot
        // capture one in a lambda)
        const auto& element = entry.first;
        entry.second.for_each_key(state.ctx, [&](const std::string& ident, std::string where,
                                                 const std::string& path, bool is_default) {
            state.scenario.key_locations.insert_or_assign(
                element.first + "\n" + element.second + "\n" + ident,
                Scenario::KeyLocation{std::move(where), path, is_default});
        });
    }
    return std::move(state.scenario);
}

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// Keys, tables and arrays nesting deeper than this are refused before toml++ parses the text.
// toml++ recurses once per level (its parser, a table's destructor, the formatter), and only
// limits the nesting of values: a dotted key 50,000 levels deep (`a.a.a.....a = 1`, 100 KB)
// overflowed the stack. Scenarios need 6 (populations.exc.initial.V_m_mV.uniform[0]).
constexpr std::size_t max_nesting = 64;

// What is wrong with `text` before toml++ may parse it, or {0, ""}: first, nesting deeper than
// max_nesting levels (the line, from 1, where it does). A level is
// each key of a dotted key or a table header (`[a.b]` is 2 levels, keys under it start at 3),
// an array of tables (`[[a]]` adds one) and an array (its elements are one level down). This is
// a lexer's view of TOML, enough to count levels (strings, comments, brackets, dots, equals
// signs and commas); toml++ reports whatever else is wrong with the text. It does not remember
// which tables are arrays of tables, so a header through one (`[[a]]`, then `[[a.b]]`: 4 levels)
// counts as if it were a table (3): the tables toml++ builds nest at most twice as deep.
//
// It also finds what toml++ 3.3.0 cannot be given safely, each an assertion in a debug build and
// undefined behaviour (an optimiser assumption, __builtin_unreachable) in a release one, each
// found by fuzz_scenario (the first fixed upstream after the version Debian ships):
//  - a table header that does not begin with a key (`[.a]`, `[[[a]]]`, `[=`): toml++ enters its
//    key parser with a broken precondition (marzer/tomlplusplus#301);
//  - a '}' where an array expects a value (`x = [}`): toml++ enters its value parser with a broken
//    precondition;
// (Non-ASCII text, on which toml++'s whitespace test reaches an unreachable branch, is kept from
// it by ascii_toml in reader.hpp.)
struct TextFault {
    std::size_t line = 0;  // 0: none
    std::string what;
};
std::string describe_byte(char c) {
    const auto b = static_cast<unsigned char>(c);
    return b > ' ' && b < 0x7f ? fmt::format("'{}'", c) : fmt::format("byte 0x{:02x}", b);
}
TextFault check_toml_text(std::string_view text) {
    TextFault fault;
    struct Open {
        char bracket;       // '[' an array, '{' an inline table
        std::size_t depth;  // the level of the array or table itself
    };
    std::vector<Open> open;  // at most max_nesting + 1: a level comes between two
    std::size_t depth = 0;   // of the key or value being read
    std::size_t tables = 0;  // of the last [table] or [[array of tables]]
    std::size_t line = 1;
    bool in_key = true;        // reading a key (else a value)
    bool key_started = false;  // the first key of a dotted key has been counted
    bool header = false;       // reading a [table] header (array: [[...]])
    bool header_array = false;
    bool line_start = true;  // only blanks so far on this line of the top level
    std::size_t i = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // a UTF-8 byte order mark

    const auto skip_string = [&] {
        const char quote = text[i];
        const bool triple = text.substr(i, 3) == std::string(3, quote);
        i += triple ? 3 : 1;
        while (i < text.size()) {
            const char c = text[i];
            if (c == '\\' && quote == '"') {
                if (i + 1 < text.size() && text[i + 1] == '\n') ++line;
                i += 2;
            } else if (c == '\n' && !triple) {
                return;  // unterminated: toml++ says so
            } else if (c == quote && (!triple || text.substr(i, 3) == std::string(3, quote))) {
                while (i < text.size() && text[i] == quote) ++i;  // """a"""" holds a"
                return;
            } else {
                if (c == '\n') ++line;
                ++i;
            }
        }
    };
    // A character of a key: a key starts, or goes one level down at a dot.
    const auto key_char = [&](char c) {
        if (c == '.' || !key_started) ++depth;
        key_started = true;
        if (c == '"' || c == '\'') {
            skip_string();
        } else {
            ++i;
        }
    };

    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            ++i;
            if (open.empty()) {
                depth = tables;
                in_key = line_start = true;
                key_started = header = false;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
            continue;
        }
        if (c == '#') {
            i = std::min(text.find('\n', i), text.size());
            continue;
        }
        if (header) {
            if (c == ']') {
                i += header_array && text.substr(i, 2) == "]]" ? 2 : 1;
                tables = depth + (header_array ? 1 : 0);
                depth = tables;
                header = key_started = false;
            } else {
                key_char(c);
            }
        } else if (in_key) {
            if (c == '[' && line_start && open.empty()) {
                header = true;
                header_array = text.substr(i, 2) == "[[";
                i += header_array ? 2 : 1;
                depth = 0;
                std::size_t k = i;
                while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
                const bool second_bracket = !header_array && k < text.size() && text[k] == '[';
                if (k < text.size() && !second_bracket && text[k] != ']' &&
                    !is_bare_key_char(text[k]) && text[k] != '"' && text[k] != '\'') {
                    return {line,
                            "TOML syntax error: a table header must begin with a key (bare "
                            "or quoted), found " +
                                describe_byte(text[k])};
                }
            } else if (c == '=') {
                if (!key_started) ++depth;  // an empty key ("= 1", toml++ refuses it)
                in_key = key_started = false;
                ++i;
            } else if (c == '}' && !open.empty()) {
                depth = open.back().depth;
                open.pop_back();
                in_key = false;
                ++i;
            } else {
                key_char(c);
            }
        } else if (c == '"' || c == '\'') {
            skip_string();
        } else {
            if (c == '[' || c == '{') {
                open.push_back({c, depth});
                if (c == '[') ++depth;
                in_key = c == '{';
            } else if (c == '}' && !open.empty() && open.back().bracket == '[') {
                return {line,
                        "TOML syntax error: '}' inside an array, which no inline table "
                        "opened"};
            } else if ((c == ']' || c == '}') && !open.empty()) {
                depth = open.back().depth;
                open.pop_back();
            } else if (c == ',' && !open.empty()) {
                depth = open.back().depth + (open.back().bracket == '[' ? 1 : 0);
                in_key = open.back().bracket == '{';
            }
            ++i;
        }
        line_start = false;
        if (depth > max_nesting) {
            return {line, fmt::format("keys, tables and arrays nest deeper than {} levels (a "
                                      "scenario needs fewer than 10)",
                                      max_nesting)};
        }
        if (fault.line != 0) return fault;  // found in a string
    }
    return fault;
}

// The start of a long text, for a message.
std::string abbreviated(std::string_view text) {
    constexpr std::size_t shown = 60;
    if (text.size() <= shown) return std::string(text);
    return fmt::format("{}... ({} characters)", text.substr(0, shown), text.size());
}

std::string absolute_path(const std::filesystem::path& path) {
    std::error_code error;
    std::filesystem::path absolute = std::filesystem::absolute(path, error);
    if (error) absolute = path;
    return absolute.lexically_normal().string();
}

}  // namespace

}  // namespace reader

ScenarioError locate(const Scenario& scenario, const ParamError& error) {
    const auto found = scenario.key_locations.find(error.element_kind() + "\n" +
                                                   error.element_name() + "\n" + error.key());
    if (error.key().empty() || found == scenario.key_locations.end()) {
        return ScenarioError(fmt::format("{}: {}", scenario.source, error.what()));
    }
    const auto& at = found->second;
    std::string path = at.path;
    if (error.index() && !at.is_default) path += fmt::format("[{}]", *error.index());
    return ScenarioError(fmt::format("{}: {}: {}{}", at.where, path, error.detail(),
                                     at.is_default ? " (the default value)" : ""));
}

Scenario parse_scenario(std::string_view toml_text, std::string_view source_name,
                        const std::vector<std::string>& overrides) {
    const reader::Context ctx{std::string(source_name),
                              std::filesystem::path(source_name).parent_path()};
    if (const auto fault = reader::check_toml_text(toml_text); fault.line != 0) {
        throw ScenarioError(fmt::format("{}:{}: {}", source_name, fault.line, fault.what));
    }
    for (const auto& text : overrides) {
        if (const auto fault = reader::check_toml_text(text); fault.line != 0) {
            throw ScenarioError(fmt::format("--set {}: {}", reader::abbreviated(text), fault.what));
        }
    }
    toml::table root;
    try {
        root = toml::parse(reader::ascii_toml(toml_text, source_name), source_name);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        throw ScenarioError(fmt::format("{}:{}:{}: TOML syntax error: {}", source_name, begin.line,
                                        begin.column, e.description()));
    }
    for (const auto& text : overrides) reader::apply_override(root, text);

    reader::LoadState state(ctx);
    Scenario scenario = reader::load(state, root);
    scenario.source = std::string(source_name);

    // The resolved text parses back to the same scenario from anywhere: the output is explicit
    // and files are named by absolute path.
    if (!state.output_given) {
        if (root.get("run") == nullptr) root.insert("run", toml::table{});
        root.get("run")->as_table()->insert_or_assign("output", scenario.run.output);
    }
    for (const auto& [name, file] : state.spike_files) {
        root.get("populations")
            ->as_table()
            ->get(name)
            ->as_table()
            ->insert_or_assign("file", reader::absolute_path(file));
    }
    for (const auto& [name, description] : state.expanded_spiking) {
        root.get("spiking")->as_table()->insert_or_assign(name, description);
    }
    if (state.data_dir) {
        root.get("task")->as_table()->insert_or_assign(
            "data_dir", reader::absolute_path(scenario.task->data_dir));
    }
    scenario.resolved_text = reader::resolved_text(root);
    for (const auto& [name, file] : state.spike_files) scenario.input_files.push_back(file);
    if (scenario.task && scenario.task->dataset == task::DatasetKind::mnist) {
        const auto dir = scenario.task->data_dir.empty() ? task::default_mnist_directory()
                                                         : scenario.task->data_dir;
        for (auto& file : task::mnist_files(dir)) scenario.input_files.push_back(std::move(file));
    }
    return scenario;
}

Scenario load_scenario(const std::filesystem::path& file,
                       const std::vector<std::string>& overrides) {
    std::error_code error;
    const auto status = std::filesystem::status(file, error);
    if (!std::filesystem::exists(status)) {
        throw ScenarioError(
            fmt::format("{}: cannot open the scenario file: no such file", file.string()));
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw ScenarioError(fmt::format(
            "{}: cannot read the scenario file: not a regular file (a directory, FIFO or device "
            "is not read)",
            file.string()));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw ScenarioError(fmt::format("{}: cannot open the scenario file", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    Scenario scenario = parse_scenario(text.str(), file.string(), overrides);
    scenario.input_files.insert(scenario.input_files.begin(), file);
    return scenario;
}

}  // namespace spikerate::sim::io
