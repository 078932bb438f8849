#include "sim/io/scenario/reader.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace spikerate::sim::io::reader {

namespace {

bool is_bare_key(std::string_view key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
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

}  // namespace

std::string ascii_toml(std::string_view text, std::string_view where) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t line = 1;
    const auto fail = [&](std::string_view what) {
        throw ScenarioError(fmt::format(
            "{}{}: {}", where,
            where.starts_with("--set") ? std::string() : fmt::format(":{}", line), what));
    };
    // The code point of the UTF-8 sequence at text[i] (i advanced past it), escaped.
    const auto escaped_code_point = [&](std::size_t& i) {
        const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
        const unsigned char lead = byte(i);
        const std::size_t length = lead >= 0xF8   ? 0
                                   : lead >= 0xF0 ? 4
                                   : lead >= 0xE0 ? 3
                                   : lead >= 0xC0 ? 2
                                                  : 0;
        if (length == 0 || i + length > text.size()) fail("invalid UTF-8 in a string");
        std::uint32_t code = lead & (0x7F >> length);
        for (std::size_t k = 1; k < length; ++k) {
            if ((byte(i + k) & 0xC0) != 0x80) fail("invalid UTF-8 in a string");
            code = (code << 6) | (byte(i + k) & 0x3F);
        }
        const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
            fail("invalid UTF-8 in a string");
        }
        i += length;
        return code <= 0xFFFF ? fmt::format("\\u{:04X}", code) : fmt::format("\\U{:08X}", code);
    };
    const auto non_ascii = [&](std::size_t k) {
        return static_cast<unsigned char>(text[k]) >= 0x80;
    };
    std::size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a UTF-8 byte order mark
    while (i < text.size()) {
        const char c = text[i];
        if (c == '#') {  // a comment: its non-ASCII bytes become '?'
            for (; i < text.size() && text[i] != '\n'; ++i) out += non_ascii(i) ? '?' : text[i];
        } else if (c == '"' || c == '\'') {
            const bool triple = text.substr(i, 3) == std::string(3, c);
            const std::size_t open = triple ? 3 : 1;
            // The string's end: past its closing delimiter (up to two more quotes of a
            // multi-line string belong to it), or where toml++ will find it unterminated.
            std::size_t end = i + open;
            bool has_non_ascii = false;
            bool closed = false;
            while (end < text.size()) {
                if (c == '"' && text[end] == '\\') {
                    end += 2;
                } else if (text[end] == '\n' && !triple) {
                    break;
                } else if (text[end] == c &&
                           (!triple || text.substr(end, 3) == std::string(3, c))) {
                    end += triple ? 3 : 1;
                    for (int extra = 0; triple && extra < 2 && end < text.size() && text[end] == c;
                         ++extra) {
                        ++end;
                    }
                    closed = true;
                    break;
                } else {
                    has_non_ascii = has_non_ascii || non_ascii(end);
                    ++end;
                }
            }
            end = std::min(end, text.size());
            const std::size_t close = closed ? (triple ? 3 : 1) : 0;
            const std::string_view content = text.substr(i + open, end - close - (i + open));
            const std::size_t content_start = i + open;
            if (!has_non_ascii) {
                out.append(text.substr(i, end - i));
            } else if (c == '"') {
                out.append(text.substr(i, open));
                for (std::size_t k = content_start; k < content_start + content.size();) {
                    if (text[k] == '\n') ++line;
                    if (text[k] == '\\' && k + 1 < text.size() && non_ascii(k + 1)) {
                        fail("a non-ASCII character after a backslash in a string");
                    }
                    if (text[k] == '\\') {
                        out.append(text.substr(k, 2));
                        if (k + 1 < text.size() && text[k + 1] == '\n') ++line;
                        k += 2;
                    } else if (non_ascii(k)) {
                        out += escaped_code_point(k);
                    } else {
                        out += text[k++];
                    }
                }
                out.append(text.substr(end - close, close));
            } else {  // a literal string with non-ASCII text: the same value as a basic string
                const std::string quotes(triple ? 3 : 1, '"');
                out += quotes;
                for (std::size_t k = content_start; k < content_start + content.size();) {
                    if (text[k] == '\n') ++line;
                    if (text[k] == '\\' || text[k] == '"') {
                        out += '\\';
                        out += text[k++];
                    } else if (non_ascii(k)) {
                        out += escaped_code_point(k);
                    } else {
                        out += text[k++];
                    }
                }
                if (closed) out += quotes;
            }
            if (!has_non_ascii)
                line += static_cast<std::size_t>(
                    std::count(text.begin() + static_cast<std::ptrdiff_t>(i),
                               text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
            i = end;
        } else if (non_ascii(i)) {
            fail("TOML syntax error: a non-ASCII character outside a string or comment");
        } else {
            if (c == '\n') ++line;
            out += c;
            ++i;
        }
    }
    return out;
}

std::string quote_key(std::string_view key) {
    if (is_bare_key(key)) return std::string(key);
    std::string out = "\"";
    for (const char c : key) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {  // NUL, newline: escaped
            out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
            continue;
        }
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

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

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

std::string Context::where(const toml::node& node) const {
    const toml::source_region& region = node.source();
    if (region.path && *region.path != source_) return *region.path;
    if (region.begin.line == 0) return source_;
    return fmt::format("{}:{}", source_, region.begin.line);
}

void Context::fail(const toml::node& node, std::string_view path, std::string_view what) const {
    throw ScenarioError(fmt::format("{}: {}: {}", where(node), path, what));
}

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

void wrong_type(const Context& ctx, const toml::node& node, std::string_view path,
                std::string_view expected) {
    ctx.fail(node, path, fmt::format("expected {}, got {}", expected, type_name(node)));
}

double to_number(const Context& ctx, const toml::node& node, std::string_view path) {
    if (const auto* integer = node.as_integer()) return static_cast<double>(integer->get());
    if (const auto* floating = node.as_floating_point()) return floating->get();
    wrong_type(ctx, node, path, "a number");
}

std::int64_t to_int64(const Context& ctx, const toml::node& node, std::string_view path) {
    const auto* integer = node.as_integer();
    if (integer == nullptr) wrong_type(ctx, node, path, "an integer");
    return integer->get();
}

bool to_bool(const Context& ctx, const toml::node& node, std::string_view path) {
    const auto* boolean = node.as_boolean();
    if (boolean == nullptr) wrong_type(ctx, node, path, "a boolean (true or false)");
    return boolean->get();
}

std::string to_string(const Context& ctx, const toml::node& node, std::string_view path,
                      std::string_view expected) {
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

const toml::node& Table::require(std::string_view key, std::string_view expected) const {
    if (const toml::node* node = find(key)) return *node;
    ctx.fail(table, key_path(key), fmt::format("missing required key (expected {})", expected));
}

Table as_table(const Context& ctx, const toml::node& node, std::string path,
               std::string_view expected) {
    const auto* table = node.as_table();
    if (table == nullptr) wrong_type(ctx, node, path, expected);
    return Table{ctx, *table, std::move(path)};
}

Distribution to_distribution(const Context& ctx, const toml::node& node, const std::string& path,
                             std::string_view unit) {
    static const std::vector<std::string> keys{"uniform", "normal", "within"};
    Distribution out;
    if (node.is_number()) {
        out = Distribution::constant(to_number(ctx, node, path));
    } else if (const auto* table = node.as_table()) {
        const Table t{ctx, *table, path};
        t.reject_unknown(keys);
        const toml::node* within = t.find("within");
        if (table->size() != (within != nullptr ? 2U : 1U)) {
            ctx.fail(node, path,
                     "expected exactly one distribution, such as { uniform = [low, high] } or "
                     "{ normal = [mean, sd] } (a normal may add within = [low, high])");
        }
        const bool uniform = t.find("uniform") != nullptr;
        const std::string key = uniform ? "uniform" : "normal";
        const toml::node& value = *t.find(key);
        const std::string value_path = t.key_path(key);
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
        if (within != nullptr) {
            const std::string within_path = t.key_path("within");
            const char* expected_range =
                "an array of 2 numbers [low, high] (-inf and inf allowed): a normal's values "
                "outside are redrawn";
            if (uniform) {
                ctx.fail(*within, within_path,
                         "within: only a normal distribution is redrawn within a range (narrow "
                         "the uniform's bounds instead)");
            }
            const toml::array& range = to_array(ctx, *within, within_path, expected_range);
            if (range.size() != 2) {
                ctx.fail(*within, within_path,
                         fmt::format("expected {}, got {} elements", expected_range, range.size()));
            }
            out.within_low = to_number(ctx, range[0], item(within_path, 0));
            out.within_high = to_number(ctx, range[1], item(within_path, 1));
        }
    } else {
        wrong_type(ctx, node, path,
                   "a number or a distribution such as { uniform = [low, high] } or "
                   "{ normal = [mean, sd] } (a normal may add within = [low, high])");
    }
    const std::string unit_string(unit);
    try {
        out.validate("value", unit_string.c_str());
    } catch (const ParamError& e) {
        ctx.fail(node, path, e.detail());
    }
    return out;
}

void Element::add(std::string ident, const toml::node* node, const toml::node* fallback,
                  std::string key_path) {
    KeyRef ref{std::move(ident), node != nullptr ? node : fallback, std::move(key_path),
               node == nullptr};
    const auto known = std::find_if(keys_.begin(), keys_.end(),
                                    [&](const KeyRef& k) { return k.ident == ref.ident; });
    if (known != keys_.end()) {
        *known = std::move(ref);  // the later registration knows better (e.g. a spike file)
    } else {
        keys_.push_back(std::move(ref));
    }
}

void Element::fail(const Context& ctx, const ParamError& error) const {
    const auto key = std::find_if(keys_.begin(), keys_.end(),
                                  [&](const KeyRef& k) { return k.ident == error.key(); });
    if (error.key().empty() || key == keys_.end()) ctx.fail(*table_, path_, error.local_message());

    const toml::node* node = key->node;
    std::string path = key->path;
    if (const auto index = error.index(); index && !key->is_default) {
        const auto* array = node->as_array();
        if (array != nullptr && *index < array->size()) {
            node = array->get(*index);
            path = item(path, *index);
        }
    }
    std::string what = error.detail();
    if (key->is_default) what += " (the default value)";
    ctx.fail(*node, path, what);
}

}  // namespace spikerate::sim::io::reader
